/* Fashion-MNIST from the Debian package dataset-fashion-mnist (or NNBLAS_FASHION_MNIST_DIR):
 * shapes, label counts, pixels against zlib read here, the memory the reader needs, and
 * truncated or corrupted copies of the real files. Skipped (77) when the files are absent, unless
 * NNBLAS_REQUIRE_SHARED=1 (CI), where that is a failure. */
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

#include "nnb_test.h"

static const char *fashion_dir(void) {
    const char *d = getenv("NNBLAS_FASHION_MNIST_DIR");
    return d && *d ? d : "/usr/share/datasets/fashion-mnist";
}

static void fashion_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", fashion_dir(), name);
}

START_TEST(train_and_test) {
    const char *dir = fashion_dir();
    size_t rows, cols, trows, tcols;
    nnbt_ok(nnb_mnist_info(dir, NNB_MNIST_TRAIN, &rows, &cols));
    nnbt_ok(nnb_mnist_info(dir, NNB_MNIST_TEST, &trows, &tcols));
    ck_assert(rows == 60000 && cols == 784 && trows == 10000 && tcols == 784);

    double *x = malloc(rows * cols * sizeof *x), *y = malloc(rows * 10 * sizeof *y);
    ck_assert(x && y);
    nnbt_ok(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 1, x, rows * cols, y, rows * 10));
#if !defined(__SANITIZE_ADDRESS__)
    /* decoded straight into x: no second full-size buffer (valgrind's own memory counts in the
     * peak RSS there: not measured under it) */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double peak_mib = (double)ru.ru_maxrss / 1024;
    double data_mib = (double)rows * (784 + 10) * 8 / 1048576;
    ck_assert_msg(nnbt_valgrind() || peak_mib < data_mib * 1.15 + 64,
                  "peak RSS %.0f MiB for %.0f MiB of data", peak_mib, data_mib);
#endif
    size_t count[10] = {0};
    for (size_t i = 0; i < rows; i++) {
        double s = 0;
        for (size_t k = 0; k < 10; k++) {
            s += y[i * 10 + k];
            if (y[i * 10 + k] == 1) count[k]++;
        }
        ck_assert(s == 1);
    }
    for (size_t k = 0; k < 10; k++) ck_assert_uint_eq(count[k], 6000);

    /* the first 1000 images against the bytes zlib gives here */
    char path[1024];
    fashion_path(path, sizeof path, "train-images-idx3-ubyte.gz");
    gzFile f = gzopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = 16 + 1000 * 784;
    unsigned char *raw = malloc(n);
    ck_assert_int_eq(gzread(f, raw, (unsigned)n), (int)n);
    gzclose(f);
    ck_assert(raw[2] == 8 && raw[3] == 3);
    for (size_t i = 0; i < 1000 * 784; i++) ck_assert(x[i] == raw[16 + i] / 255.0);
    free(raw);
    double lo = 1, hi = 0;
    for (size_t i = 0; i < rows * cols; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    ck_assert(lo == 0 && hi == 1);
    free(y);

    /* the test part, labels as indices, into the same (warm) buffer */
    y = malloc(trows * sizeof *y);
    nnbt_ok(nnb_mnist_read_part(dir, NNB_MNIST_TEST, 0, x, rows * cols, y, trows));
    size_t tcount[10] = {0};
    for (size_t i = 0; i < trows; i++) {
        ck_assert(y[i] >= 0 && y[i] <= 9 && y[i] == floor(y[i]));
        tcount[(size_t)y[i]]++;
    }
    for (size_t k = 0; k < 10; k++) ck_assert_uint_eq(tcount[k], 1000);
    free(x);
    free(y);
}
END_TEST

/* Copies of the real files, cut short or with a flipped byte, are errors. */
START_TEST(damaged_copies) {
    char src[1024], bad[512];
    size_t len;
    fashion_path(src, sizeof src, "t10k-images-idx3-ubyte.gz");
    char *gz = nnbt_read_file(src, &len);
    ck_assert_ptr_nonnull(gz);
    double *x = malloc(10000 * 784 * sizeof *x);
    nnbt_tmp_path(bad, sizeof bad, "t10k-images-idx3-ubyte.gz");
    size_t cuts[] = {len / 2, len - 3, 100};
    for (size_t c = 0; c < 3; c++) {
        ck_assert(nnbt_write_file(bad, gz, cuts[c]));
        nnb_status st = nnb_idx_read_images(bad, x, 10000 * 784, NULL, NULL);
        ck_assert_msg(st == NNB_E_FORMAT, "cut at %zu: %s", cuts[c], nnb_last_error());
    }
    gz[len / 2] = (char)(gz[len / 2] ^ 0x10);
    ck_assert(nnbt_write_file(bad, gz, len));
    nnb_status st = nnb_idx_read_images(bad, x, 10000 * 784, NULL, NULL);
    ck_assert_msg(st == NNB_E_FORMAT, "%s", nnb_last_error());
    free(gz);
    /* labels, cut by one byte */
    fashion_path(src, sizeof src, "t10k-labels-idx1-ubyte.gz");
    gz = nnbt_read_file(src, &len);
    ck_assert_ptr_nonnull(gz);
    nnbt_tmp_path(bad, sizeof bad, "t10k-labels-idx1-ubyte.gz");
    ck_assert(nnbt_write_file(bad, gz, len - 1));
    st = nnb_idx_read_labels(bad, 10, x, 100000, NULL);
    ck_assert_msg(st == NNB_E_FORMAT, "%s", nnb_last_error());
    st = nnb_mnist_info(nnbt_tmpdir(), NNB_MNIST_TEST, NULL, NULL);
    ck_assert_msg(st == NNB_E_FORMAT, "%s", nnb_last_error());
    free(gz);
    free(x);
}
END_TEST

static Suite *fashion_suite(void) {
    Suite *s = suite_create("fashion");
    TCase *tc = tcase_create("fashion");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, train_and_test);
    tcase_add_test(tc, damaged_copies);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    char path[1024];
    struct stat sb;
    fashion_path(path, sizeof path, "train-images-idx3-ubyte.gz");
    if (stat(path, &sb) != 0) {
        const char *req = getenv("NNBLAS_REQUIRE_SHARED");
        if (req && strcmp(req, "1") == 0) {
            fprintf(stderr,
                    "%s is missing and NNBLAS_REQUIRE_SHARED=1 (install the package "
                    "dataset-fashion-mnist: scripts/deps)\n",
                    path);
            return 1;
        }
        fprintf(stderr, "skipped: %s is missing (package dataset-fashion-mnist)\n", path);
        return 77;
    }
    nnbt_no_time_limits();
    return nnbt_run(fashion_suite(), 0);
}
