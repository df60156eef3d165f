/*
 * Saves that fail part-way (an internal test: it links the library's objects, so that it can call
 * nnbi_model_save_ops() with file operations of its own). For every byte N of a model, a write
 * that fails at byte N must leave the earlier file exactly as it was and no temporary file in the
 * folder; so must a failing fsync or rename. Writes that return fewer bytes than asked, or are
 * interrupted (EINTR), must still give a complete file.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_internal.h"
#include "nnb_test.h"

/* File operations that write at most `step` bytes per call, fail with `err` once `fail_at` bytes
 * have been written (SIZE_MAX: never), are interrupted every third call, and fail the fsync or
 * the rename on request. */
typedef struct faulty {
    size_t written, fail_at, step, calls;
    int err, fail_fsync, fail_rename;
} faulty;

static ssize_t f_write(void *ctx, int fd, const void *buf, size_t len) {
    faulty *f = ctx;
    if (++f->calls % 3 == 0) {
        errno = EINTR;
        return -1;
    }
    if (f->written >= f->fail_at) {
        errno = f->err;
        return -1;
    }
    size_t n = len < f->step ? len : f->step;
    if (f->fail_at != SIZE_MAX && n > f->fail_at - f->written) n = f->fail_at - f->written;
    ssize_t w = write(fd, buf, n);
    if (w > 0) f->written += (size_t)w;
    return w;
}

static int f_fsync(void *ctx, int fd) {
    faulty *f = ctx;
    if (f->fail_fsync) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static int f_rename(void *ctx, const char *from, const char *to) {
    faulty *f = ctx;
    if (f->fail_rename) {
        errno = EXDEV;
        return -1;
    }
    return rename(from, to);
}

static nnb_status save(const char *path, const nnbt_model *m, faulty *f) {
    nnbi_file_ops ops = {f_write, f_fsync, f_rename, f};
    return nnbi_model_save_ops(path, m->net, m->prep, m->meta, 1, &ops, "test_save");
}

/* A folder holding only `old.nnb`, an earlier model; returns its bytes. */
static char *folder_with_old_model(const char *name, char *dir, size_t dlen, char *path,
                                   size_t plen, size_t *old_len) {
    nnbt_tmp_path(dir, dlen, name);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(path, plen, "%s/old.nnb", dir);
    nnbt_model old;
    nnbt_model_make(&old, 0);
    nnbt_ok(nnb_model_write(path, old.net, NULL, old.meta, 0));
    nnbt_model_free(&old);
    char *bytes = nnbt_read_file(path, old_len);
    ck_assert_ptr_nonnull(bytes);
    return bytes;
}

static void assert_untouched(const char *dir, const char *path, const char *old, size_t old_len) {
    size_t len;
    char *now = nnbt_read_file(path, &len);
    ck_assert_ptr_nonnull(now);
    ck_assert_uint_eq(len, old_len);
    ck_assert(memcmp(now, old, len) == 0);
    free(now);
    ck_assert_int_eq(nnbt_count_files(dir), 1); /* no temporary file left */
}

START_TEST(a_write_failing_at_any_byte_changes_nothing) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    char dir[512], path[600];
    size_t old_len, size = nnb_model_write_size(m.net, m.prep, m.meta, 1);
    char *old = folder_with_old_model("every", dir, sizeof dir, path, sizeof path, &old_len);
    for (size_t n = 0; n < size; n++) {
        faulty f = {.fail_at = n, .step = 97, .err = ENOSPC};
        nnb_clear_error();
        ck_assert_int_eq(save(path, &m, &f), NNB_E_IO);
        ck_assert_msg(strstr(nnb_last_error(), "No space left on device") &&
                          strstr(nnb_last_error(), "writing"),
                      "%s", nnb_last_error());
        assert_untouched(dir, path, old, old_len);
    }
    /* with room for every byte it succeeds, through short and interrupted writes */
    faulty f = {.fail_at = SIZE_MAX, .step = 97};
    nnbt_ok(save(path, &m, &f));
    ck_assert_uint_eq(f.written, size);
    ck_assert_int_eq(nnbt_count_files(dir), 1);
    nnb_net *net;
    nnbt_ok(nnb_model_read(&net, NULL, NULL, path));
    nnb_net_free(net);
    free(old);
    nnbt_model_free(&m);
}
END_TEST

START_TEST(a_failing_sync_or_rename_changes_nothing) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    char dir[512], path[600];
    size_t old_len;
    char *old = folder_with_old_model("sync", dir, sizeof dir, path, sizeof path, &old_len);
    faulty f = {.fail_at = SIZE_MAX, .step = 1 << 20, .fail_fsync = 1};
    ck_assert_int_eq(save(path, &m, &f), NNB_E_IO);
    ck_assert_msg(strstr(nnb_last_error(), "syncing"), "%s", nnb_last_error());
    assert_untouched(dir, path, old, old_len);
    faulty g = {.fail_at = SIZE_MAX, .step = 1 << 20, .fail_rename = 1};
    ck_assert_int_eq(save(path, &m, &g), NNB_E_IO);
    ck_assert_msg(strstr(nnb_last_error(), "renaming"), "%s", nnb_last_error());
    assert_untouched(dir, path, old, old_len);
    free(old);
    nnbt_model_free(&m);
}
END_TEST

/* A model larger than the writer's 64 KiB chunk fails cleanly at chunk boundaries too. */
START_TEST(large_model_chunk_boundaries) {
    nnbt_model m;
    nnbt_model_make(&m, 0);
    nnb_net_free(m.net);
    nnbt_ok(nnb_net_create(&m.net, m.nf));
    nnbt_ok(nnb_net_add_dense(m.net, 400, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(m.net, 40, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(m.net, m.ny, NNB_ACT_SOFTMAX, 1));
    char dir[512], path[600];
    size_t old_len, size = nnb_model_write_size(m.net, m.prep, m.meta, 1);
    ck_assert_uint_gt(size, 2 * 65536);
    char *old = folder_with_old_model("large", dir, sizeof dir, path, sizeof path, &old_len);
    const size_t cuts[] = {0, 1, 65535, 65536, 65537, 131072, size - 4, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        faulty f = {.fail_at = cuts[i], .step = 40000, .err = EIO};
        ck_assert_int_eq(save(path, &m, &f), NNB_E_IO);
        assert_untouched(dir, path, old, old_len);
    }
    faulty f = {.fail_at = SIZE_MAX, .step = 40000};
    nnbt_ok(save(path, &m, &f));
    size_t len;
    char *now = nnbt_read_file(path, &len);
    unsigned char *want = malloc(size);
    nnbt_ok(nnb_model_write_buffer(m.net, m.prep, m.meta, 1, want, size, NULL));
    ck_assert_uint_eq(len, size);
    ck_assert(memcmp(now, want, size) == 0);
    free(now);
    free(want);
    free(old);
    nnbt_model_free(&m);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("model_internal");
    TCase *tc = tcase_create("failing saves");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, a_write_failing_at_any_byte_changes_nothing);
    tcase_add_test(tc, a_failing_sync_or_rename_changes_nothing);
    tcase_add_test(tc, large_model_chunk_boundaries);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
