/* IDX files made here, raw and gzipped: values, labels, MNIST-style folders, and every kind of
 * bad header, truncation and corruption, which must be errors with messages, never crashes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "nnb_test.h"

/* Writes header + data to name (gzipped if gz); the path goes to path (512 bytes). */
static void write_idx(const char *name, int gz, const unsigned char *hdr, size_t hlen,
                      const unsigned char *data, size_t n, char *path) {
    nnbt_tmp_path(path, 512, name);
    if (!gz) {
        unsigned char *b = malloc(hlen + n + 1);
        memcpy(b, hdr, hlen);
        if (n) memcpy(b + hlen, data, n);
        ck_assert(nnbt_write_file(path, b, hlen + n));
        free(b);
        return;
    }
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, hdr, (unsigned)hlen), (int)hlen);
    if (n) ck_assert_int_eq(gzwrite(f, data, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

/* An IDX header: type 0x08, the given dimensions. */
static size_t header(unsigned char *h, const uint32_t *dims, int nd) {
    h[0] = 0, h[1] = 0, h[2] = 0x08, h[3] = (unsigned char)nd;
    for (int d = 0; d < nd; d++)
        for (int k = 0; k < 4; k++) h[4 + 4 * d + k] = (unsigned char)(dims[d] >> (24 - 8 * k));
    return 4 + 4 * (size_t)nd;
}

static void expect(nnb_status st, nnb_status want, const char *msg) {
    ck_assert_msg(st == want, "got %s (%s), expected %s", nnb_status_name(st), nnb_last_error(),
                  nnb_status_name(want));
    ck_assert_msg(strstr(nnb_last_error(), msg), "message '%s' lacks '%s'", nnb_last_error(), msg);
}

START_TEST(images_raw_and_gzip) {
    unsigned char h[16], data[30];
    uint32_t dims[] = {5, 3, 2};
    size_t hl = header(h, dims, 3);
    for (int i = 0; i < 30; i++) data[i] = (unsigned char)(i * 37 % 256);
    data[0] = 0, data[1] = 255;
    for (int gz = 0; gz <= 1; gz++) {
        char path[512];
        write_idx(gz ? "img.gz" : "img", gz, h, hl, data, 30, path);
        size_t n, size, rows = 0, cols = 0;
        nnbt_ok(nnb_idx_info(path, &n, &size));
        ck_assert(n == 5 && size == 6);
        double x[31];
        x[30] = -7;
        nnbt_ok(nnb_idx_read_images(path, x, 31, &rows, &cols));
        ck_assert(rows == 5 && cols == 6);
        for (int i = 0; i < 30; i++) ck_assert(x[i] == data[i] / 255.0);
        ck_assert(x[0] == 0.0 && x[1] == 1.0 && x[30] == -7);
        expect(nnb_idx_read_images(path, x, 29, NULL, NULL), NNB_E_SHAPE, "x holds 29 values");
    }
}
END_TEST

START_TEST(labels) {
    unsigned char h[16], data[6] = {3, 0, 1, 2, 1, 3};
    uint32_t dims[] = {6};
    size_t hl = header(h, dims, 1);
    char path[512];
    write_idx("lab.gz", 1, h, hl, data, 6, path);
    double y[24];
    size_t rows;
    nnbt_ok(nnb_idx_read_labels(path, 0, y, 6, &rows));
    ck_assert_uint_eq(rows, 6);
    for (int i = 0; i < 6; i++) ck_assert(y[i] == data[i]);
    nnbt_ok(nnb_idx_read_labels(path, 4, y, 24, NULL));
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 4; k++) ck_assert(y[4 * i + k] == (k == data[i]));
    expect(nnb_idx_read_labels(path, 3, y, 24, NULL), NNB_E_FORMAT,
           "label 3 of item 0 is not below 3 classes");
    expect(nnb_idx_read_labels(path, 4, y, 23, NULL), NNB_E_SHAPE, "one-hot");
    /* images are not labels */
    uint32_t idims[] = {2, 3};
    hl = header(h, idims, 2);
    write_idx("notlab", 0, h, hl, data, 6, path);
    expect(nnb_idx_read_labels(path, 0, y, 24, NULL), NNB_E_FORMAT, "not labels");
}
END_TEST

START_TEST(bad_headers) {
    unsigned char data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    char path[512];
    size_t n;
    unsigned char magic1[] = {1, 0, 8, 1, 0, 0, 0, 8};
    write_idx("m1", 0, magic1, 8, data, 8, path);
    expect(nnb_idx_info(path, &n, NULL), NNB_E_FORMAT, "is not an IDX file");
    unsigned char type_float[] = {0, 0, 0x0D, 1, 0, 0, 0, 2};
    write_idx("m2", 1, type_float, 8, data, 8, path);
    expect(nnb_idx_info(path, &n, NULL), NNB_E_UNSUPPORTED, "float elements");
    unsigned char type_bad[] = {0, 0, 0x42, 1, 0, 0, 0, 8};
    write_idx("m3", 0, type_bad, 8, data, 8, path);
    expect(nnb_idx_info(path, &n, NULL), NNB_E_FORMAT, "is not an IDX file");
    unsigned char no_dims[] = {0, 0, 8, 0};
    write_idx("m4", 0, no_dims, 4, data, 8, path);
    expect(nnb_idx_info(path, &n, NULL), NNB_E_FORMAT, "is not an IDX file");
    unsigned char zero_dim[] = {0, 0, 8, 2, 0, 0, 0, 4, 0, 0, 0, 0};
    write_idx("m5", 1, zero_dim, 12, data, 0, path);
    expect(nnb_idx_info(path, &n, NULL), NNB_E_FORMAT, "dimension 2 is 0");
    unsigned char huge[] = {0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
    write_idx("m6", 0, huge, 16, data, 8, path);
    nnb_status st = nnb_idx_info(path, &n, NULL);
    ck_assert_msg(st == NNB_E_TOO_LARGE || st == NNB_E_FORMAT, "%s", nnb_last_error());
    write_idx("m7", 0, magic1, 2, data, 0, path); /* header cut short */
    expect(nnb_idx_info(path, &n, NULL), NNB_E_FORMAT, "truncated: the header ends after 2 of 4");
    write_idx("m8", 0, magic1, 0, data, 0, path); /* empty */
    expect(nnb_idx_info(path, &n, NULL), NNB_E_FORMAT, "truncated");
    nnbt_tmp_path(path, sizeof path, "absent");
    expect(nnb_idx_info(path, &n, NULL), NNB_E_IO, "cannot open");
    expect(nnb_idx_info(NULL, &n, NULL), NNB_E_NULL, "path");
}
END_TEST

START_TEST(raw_sizes) {
    unsigned char h[16], data[11] = {0};
    uint32_t dims[] = {10};
    size_t hl = header(h, dims, 1);
    char path[512];
    double y[16];
    write_idx("short", 0, h, hl, data, 9, path);
    expect(nnb_idx_info(path, NULL, NULL), NNB_E_FORMAT, "truncated: the header announces 10");
    expect(nnb_idx_read_labels(path, 0, y, 16, NULL), NNB_E_FORMAT, "truncated");
    write_idx("long", 0, h, hl, data, 11, path);
    expect(nnb_idx_info(path, NULL, NULL), NNB_E_FORMAT, "too long");
}
END_TEST

/* Pseudo-random bytes that deflate cannot shrink much, so cutting the file cuts the data. */
static unsigned char *noise(size_t n, uint64_t seed) {
    unsigned char *d = malloc(n);
    nnbt_rng g = {seed};
    for (size_t i = 0; i < n; i++) d[i] = (unsigned char)(nnbt_uniform(&g) * 256);
    return d;
}

START_TEST(gzip_truncated_and_corrupted) {
    enum { ITEMS = 500, SIZE = 784 };
    unsigned char h[16];
    uint32_t dims[] = {ITEMS, 28, 28};
    size_t hl = header(h, dims, 3);
    unsigned char *data = noise(ITEMS * SIZE, 5);
    char path[512], bad[512];
    write_idx("good.gz", 1, h, hl, data, ITEMS * SIZE, path);
    size_t len;
    char *gz = nnbt_read_file(path, &len);
    double *x = malloc(ITEMS * SIZE * sizeof *x);
    nnbt_ok(nnb_idx_read_images(path, x, ITEMS * SIZE, NULL, NULL));

    /* cut in the middle, and just before the end */
    nnbt_tmp_path(bad, sizeof bad, "cut.gz");
    size_t cuts[] = {len / 2, len - 1, 30};
    for (size_t c = 0; c < 3; c++) {
        ck_assert(nnbt_write_file(bad, gz, cuts[c]));
        nnb_status st = nnb_idx_info(bad, NULL, NULL);
        ck_assert_msg(st == NNB_E_FORMAT, "cut at %zu: %s", cuts[c], nnb_last_error());
        st = nnb_idx_read_images(bad, x, ITEMS * SIZE, NULL, NULL);
        ck_assert_msg(st == NNB_E_FORMAT, "cut at %zu: %s", cuts[c], nnb_last_error());
    }
    /* a flipped byte inside the compressed data: a zlib error or a CRC mismatch */
    for (size_t at = len / 3; at < len - 8; at += len / 7) {
        char saved = gz[at];
        gz[at] = (char)(gz[at] ^ 0x5A);
        ck_assert(nnbt_write_file(bad, gz, len));
        gz[at] = saved;
        nnb_status st = nnb_idx_read_images(bad, x, ITEMS * SIZE, NULL, NULL);
        ck_assert_msg(st == NNB_E_FORMAT, "flip at %zu: %s (%s)", at, nnb_status_name(st),
                      nnb_last_error());
    }
    /* only the CRC in the trailer is wrong */
    gz[len - 6] = (char)(gz[len - 6] ^ 1);
    ck_assert(nnbt_write_file(bad, gz, len));
    expect(nnb_idx_read_images(bad, x, ITEMS * SIZE, NULL, NULL), NNB_E_FORMAT, "gzip");
    free(gz);
    /* more data than the header announces */
    uint32_t fewer[] = {ITEMS - 1, 28, 28};
    header(h, fewer, 3);
    write_idx("long.gz", 1, h, hl, data, ITEMS * SIZE, bad);
    nnb_status st = nnb_idx_read_images(bad, x, ITEMS * SIZE, NULL, NULL);
    ck_assert_msg(st == NNB_E_FORMAT, "%s", nnb_last_error());
    free(data);
    free(x);
}
END_TEST

START_TEST(mnist_folder) {
    char dir[512], path[512];
    nnbt_tmp_path(dir, sizeof dir, "mnist");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    unsigned char h[16], img[3 * 4], lab[3] = {9, 0, 4};
    for (int i = 0; i < 12; i++) img[i] = (unsigned char)(20 * i);
    uint32_t idims[] = {3, 2, 2}, ldims[] = {3};
    size_t hl = header(h, idims, 3);
    write_idx("mnist/train-images-idx3-ubyte.gz", 1, h, hl, img, 12, path);
    size_t ll = header(h, ldims, 1);
    write_idx("mnist/train-labels-idx1-ubyte", 0, h, ll, lab, 3, path);
    size_t rows, cols;
    nnbt_ok(nnb_mnist_info(dir, NNB_MNIST_TRAIN, &rows, &cols));
    ck_assert(rows == 3 && cols == 4);
    double x[12], y[30];
    nnbt_ok(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 1, x, 12, y, 30));
    for (int i = 0; i < 12; i++) ck_assert(x[i] == img[i] / 255.0);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 10; k++) ck_assert(y[10 * i + k] == (k == lab[i]));
    nnbt_ok(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 0, x, 12, y, 3));
    ck_assert(y[0] == 9 && y[1] == 0 && y[2] == 4);
    nnbt_ok(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 0, x, 12, NULL, 0));
    expect(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 1, x, 12, y, 29), NNB_E_SHAPE, "one-hot");
    expect(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 2, x, 12, y, 30), NNB_E_INVALID_ARG, "onehot");
    expect(nnb_mnist_info(dir, NNB_MNIST_TEST, &rows, &cols), NNB_E_IO,
           "no t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz");
    expect(nnb_mnist_info(dir, (nnb_mnist_part)5, &rows, &cols), NNB_E_INVALID_ARG, "part");
    /* counts that differ */
    uint32_t ldims2[] = {2};
    ll = header(h, ldims2, 1);
    write_idx("mnist/train-labels-idx1-ubyte", 0, h, ll, lab, 2, path);
    expect(nnb_mnist_info(dir, NNB_MNIST_TRAIN, &rows, &cols), NNB_E_FORMAT, "has 3 images but");
}
END_TEST

/* Every element type of the format is named when refused; a folder is an I/O error; a labels
 * file that holds images, and too small an x, are refused by the folder reader. */
START_TEST(types_folders_and_shapes) {
    unsigned char data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    char path[512];
    static const struct {
        unsigned char type;
        const char *name;
    } types[] = {
        {0x09, "signed byte"}, {0x0B, "short"}, {0x0C, "int"}, {0x0D, "float"}, {0x0E, "double"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        unsigned char h[] = {0, 0, types[i].type, 1, 0, 0, 0, 2};
        write_idx("typed", 0, h, 8, data, 8, path);
        char want[64];
        snprintf(want, sizeof want, "holds %s elements", types[i].name);
        expect(nnb_idx_info(path, NULL, NULL), NNB_E_UNSUPPORTED, want);
    }
    expect(nnb_idx_info(nnbt_tmpdir(), NULL, NULL), NNB_E_IO, "cannot read");

    char dir[512];
    nnbt_tmp_path(dir, sizeof dir, "mnist2");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    unsigned char h[16], img[2 * 4] = {0};
    uint32_t idims[] = {2, 2, 2};
    size_t hl = header(h, idims, 3);
    write_idx("mnist2/train-images-idx3-ubyte", 0, h, hl, img, 8, path);
    write_idx("mnist2/train-labels-idx1-ubyte", 0, h, hl, img, 8, path); /* images, not labels */
    expect(nnb_mnist_info(dir, NNB_MNIST_TRAIN, NULL, NULL), NNB_E_FORMAT,
           "holds items of 4 values, not labels");
    uint32_t ldims[] = {2};
    unsigned char lab[2] = {1, 2};
    hl = header(h, ldims, 1);
    write_idx("mnist2/train-labels-idx1-ubyte", 0, h, hl, lab, 2, path);
    double x[8], y[20];
    expect(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 1, x, 7, y, 20), NNB_E_SHAPE, "x holds 7");
    nnbt_ok(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 1, x, 8, y, 20));
}
END_TEST

/* Issue 14's families for IDX: a gzip file whose header announces far more than it can hold (a
 * gzip bomb's header, with the trailer's size made to agree) is refused before any caller
 * allocates for it; a FIFO (no writer: opening it would wait forever) and character devices are
 * refused at once, as is an MNIST folder whose images file is a FIFO. */
START_TEST(bombs_and_special_files) {
    unsigned char h[16], *data = noise(1 << 20, 3); /* incompressible: past zlib's buffer */
    uint32_t dims[] = {4000, 1000, 1000};           /* 4e9 bytes announced, 1 MiB given */
    size_t hl = header(h, dims, 3);
    char path[512];
    write_idx("bomb.gz", 1, h, hl, data, 1 << 20, path);
    free(data);
    size_t len;
    char *gz = nnbt_read_file(path, &len);
    uint32_t isize =
        (uint32_t)(hl + (size_t)4000 * 1000 * 1000); /* the trailer agrees (mod 2^32) */
    for (int k = 0; k < 4; k++) gz[len - 4 + k] = (char)(isize >> (8 * k));
    ck_assert(nnbt_write_file(path, gz, len));
    free(gz);
    size_t n = 0;
    expect(nnb_idx_info(path, &n, NULL), NNB_E_FORMAT, "more than a gzip file of");
    ck_assert_uint_eq(n, 0);
    /* the bound is not too tight: 1 MB of zeros, gzipped (about 1000:1), reads */
    unsigned char *zeros = calloc(1000000, 1);
    uint32_t big[] = {1000, 1000};
    hl = header(h, big, 2);
    write_idx("zeros.gz", 1, h, hl, zeros, 1000000, path);
    free(zeros);
    nnbt_ok(nnb_idx_info(path, &n, NULL));
    ck_assert_uint_eq(n, 1000);

    char fifo[512];
    nnbt_tmp_path(fifo, sizeof fifo, "images.fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    double x[4];
    expect(nnb_idx_info(fifo, NULL, NULL), NNB_E_IO, "FIFO");
    expect(nnb_idx_read_images(fifo, x, 4, NULL, NULL), NNB_E_IO, "only regular files");
    expect(nnb_idx_read_labels(fifo, 0, x, 4, NULL), NNB_E_IO, "FIFO");
    expect(nnb_idx_info("/dev/zero", NULL, NULL), NNB_E_IO, "character device");
    char dir[512];
    nnbt_tmp_path(dir, sizeof dir, "mnist3");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    uint32_t ldims[] = {2};
    unsigned char lab[2] = {1, 2};
    write_idx("mnist3/train-labels-idx1-ubyte", 0, h, header(h, ldims, 1), lab, 2, path);
    nnbt_tmp_path(path, sizeof path, "mnist3/train-images-idx3-ubyte");
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    expect(nnb_mnist_info(dir, NNB_MNIST_TRAIN, NULL, NULL), NNB_E_IO, "FIFO");
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

/* The IDX readers into float32: every value the float64 reader's, rounded; one-hot labels. */
START_TEST(idx_float32) {
    unsigned char img[16 + 8] = {0, 0, 8, 3, 0, 0, 0, 2,   0,   0,   0,   2,
                                 0, 0, 0, 2, 0, 1, 2, 127, 128, 200, 254, 255};
    unsigned char lab[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 3, 1};
    char ip[4096], lp[4096];
    nnbt_tmp_path(ip, sizeof ip, "img.idx");
    nnbt_tmp_path(lp, sizeof lp, "lab.idx");
    ck_assert(nnbt_write_file(ip, img, sizeof img) && nnbt_write_file(lp, lab, sizeof lab));
    double xd[8], yd[8];
    float xf[8], yf[8];
    size_t rows, cols;
    nnbt_ok(nnb_idx_read_images(ip, xd, 8, NULL, NULL));
    nnbt_ok(nnb_idx_read_images_f32(ip, xf, 8, &rows, &cols));
    ck_assert(rows == 2 && cols == 4);
    for (int i = 0; i < 8; i++) ck_assert(xf[i] == (float)xd[i]);
    ck_assert(xf[7] == 1.0f && xf[0] == 0.0f);
    nnbt_ok(nnb_idx_read_labels(lp, 4, yd, 8, NULL));
    nnbt_ok(nnb_idx_read_labels_f32(lp, 4, yf, 8, &rows));
    for (int i = 0; i < 8; i++) ck_assert(yf[i] == (float)yd[i]);
    ck_assert(yf[3] == 1.0f && yf[5] == 1.0f && yf[0] == 0.0f);
    nnbt_expect(nnb_idx_read_images_f32(ip, xf, 7, NULL, NULL), NNB_E_SHAPE, "x holds 7");
    nnbt_expect(nnb_idx_read_labels_f32(lp, 3, yf, 8, NULL), NNB_E_FORMAT, "label 3");
    nnbt_expect(nnb_mnist_read_part_f32(nnbt_tmpdir(), NNB_MNIST_TRAIN, 1, xf, 8, NULL, 0),
                NNB_E_IO, "train-images");
}
END_TEST

static Suite *idx_suite(void) {
    Suite *s = suite_create("idx");
    TCase *tc = tcase_create("idx");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, images_raw_and_gzip);
    tcase_add_test(tc, labels);
    tcase_add_test(tc, bad_headers);
    tcase_add_test(tc, raw_sizes);
    tcase_add_test(tc, gzip_truncated_and_corrupted);
    tcase_add_test(tc, mnist_folder);
    tcase_add_test(tc, types_folders_and_shapes);
    tcase_add_test(tc, bombs_and_special_files);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, idx_float32);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(idx_suite, 0)
