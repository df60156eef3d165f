/*
 * nnb_input_read: a whole input read into memory once — a regular file to its size, a stream
 * (FIFO, pipe, character device) up to a limit — with the NUL check of text formats, the errors
 * of every bad argument, and *data NULL on every failure.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnb_test.h"
#include "nnblas.h"

/* A child that writes n bytes (cycling through "0123456789\n") into the FIFO, then exits. */
static pid_t feed_fifo(const char *fifo, size_t n) {
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = fopen(fifo, "w");
        if (!f) _exit(1);
        for (size_t i = 0; i < n; i++) fputc("0123456789\n"[i % 11], f);
        fclose(f);
        _exit(0);
    }
    ck_assert_int_gt(pid, 0);
    return pid;
}

static void reap(pid_t pid) {
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}

START_TEST(regular_files) {
    /* every byte value, NULs included: read as it is when text is 0 */
    unsigned char bytes[1000];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (unsigned char)(i * 7 + 3);
    const char *bin = nnbt_tmp("bytes.bin");
    ck_assert(nnbt_write_file(bin, bytes, sizeof bytes));
    char *data = NULL;
    size_t len = 0;
    /* a regular file is read to its size, whatever the limit */
    nnbt_ok(nnb_input_read(bin, 10, 0, &data, &len));
    ck_assert_uint_eq(len, sizeof bytes);
    ck_assert_int_eq(memcmp(data, bytes, sizeof bytes), 0);
    ck_assert_int_eq(data[len], '\0');
    free(data);
    /* text: the first NUL is refused, naming its offset */
    size_t first = 0;
    while (bytes[first] != 0) first++;
    char want[64];
    snprintf(want, sizeof want, "NUL byte at offset %zu", first);
    data = (char *)1;
    nnbt_expect(nnb_input_read(bin, 0, 1, &data, &len), NNB_E_FORMAT, want);
    ck_assert_ptr_null(data);
    /* an empty file: no bytes, and still a terminated buffer */
    const char *empty = nnbt_tmp("empty.txt");
    ck_assert(nnbt_write_file(empty, "", 0));
    nnbt_ok(nnb_input_read(empty, 0, 1, &data, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(data[0], '\0');
    free(data);
}
END_TEST

START_TEST(streams_and_limits) {
    char fifo[4096];
    nnbt_tmp_path(fifo, sizeof fifo, "input.fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    char *data = NULL;
    size_t len = 0;
    /* at the limit exactly: read whole */
    pid_t pid = feed_fifo(fifo, 5000);
    nnbt_ok(nnb_input_read(fifo, 5000, 1, &data, &len));
    reap(pid);
    ck_assert_uint_eq(len, 5000);
    for (size_t i = 0; i < len; i++) ck_assert_int_eq(data[i], "0123456789\n"[i % 11]);
    ck_assert_int_eq(data[len], '\0');
    free(data);
    /* one byte past it: refused, naming the limit (the writer is not left blocked: the reader
     * closes the FIFO and the child's write fails or completes) */
    pid = feed_fifo(fifo, 5001);
    data = (char *)1;
    nnbt_expect(nnb_input_read(fifo, 5000, 1, &data, &len), NNB_E_TOO_LARGE, "5000");
    ck_assert_ptr_null(data);
    reap(pid);
    /* limit 0: the process's input limit */
    nnbt_ok(nnb_set_input_limit(100));
    pid = feed_fifo(fifo, 101);
    nnbt_expect(nnb_input_read(fifo, 0, 0, &data, &len), NNB_E_TOO_LARGE, "100");
    reap(pid);
    pid = feed_fifo(fifo, 100);
    nnbt_ok(nnb_input_read(fifo, 0, 0, &data, &len));
    reap(pid);
    ck_assert_uint_eq(len, 100);
    free(data);
    nnbt_ok(nnb_set_input_limit((size_t)1 << 30));
    /* a character device without end: the NUL check stops text at once, the limit stops bytes */
    nnbt_expect(nnb_input_read("/dev/zero", 0, 1, &data, &len), NNB_E_FORMAT,
                "NUL byte at offset 0");
    nnbt_expect(nnb_input_read("/dev/zero", 4096, 0, &data, &len), NNB_E_TOO_LARGE, "4096");
    ck_assert_ptr_null(data);
    /* a pipe given as /dev/fd/N */
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "a,b\n1,2\n", 8), 8);
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    nnbt_ok(nnb_input_read(path, 0, 1, &data, &len));
    close(fds[0]);
    ck_assert_uint_eq(len, 8);
    ck_assert_str_eq(data, "a,b\n1,2\n");
    free(data);
}
END_TEST

START_TEST(bad_arguments) {
    char *data = (char *)1;
    size_t len = 0;
    nnbt_expect(nnb_input_read(NULL, 0, 1, &data, &len), NNB_E_NULL, "path");
    ck_assert_ptr_null(data);
    data = (char *)1;
    nnbt_expect(nnb_input_read("/dev/null", 0, 1, &data, NULL), NNB_E_NULL, "len");
    ck_assert_ptr_null(data);
    nnbt_expect(nnb_input_read("/dev/null", 0, 1, NULL, &len), NNB_E_NULL, "data");
    data = (char *)1;
    nnbt_expect(nnb_input_read(nnbt_tmp("no/such/file"), 0, 1, &data, &len), NNB_E_IO,
                "No such file");
    ck_assert_ptr_null(data);
    nnbt_expect(nnb_input_read(nnbt_tmpdir(), 0, 1, &data, &len), NNB_E_IO, "directory");
    ck_assert_ptr_null(data);
    /* /dev/null: a stream with no bytes */
    nnbt_ok(nnb_input_read("/dev/null", 0, 1, &data, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(data[0], '\0');
    free(data);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("read_input");
    TCase *tc = tcase_create("read_input");
    tcase_add_test(tc, regular_files);
    tcase_add_test(tc, streams_and_limits);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
