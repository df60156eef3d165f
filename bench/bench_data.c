/*
 * nnblas-bench data: reading speed of the data layer.
 *
 *   csv       a generated CSV file (200000 rows: 8 numeric columns of 6 significant digits, one
 *             category column read as text, one class column), parsed by nnb_csv_read;
 *   idx-gz    Fashion-MNIST as the Debian package ships it (gzipped IDX), all 70000 images and
 *             labels through nnb_mnist_read_part, into buffers touched beforehand (the first touch of
 *             376 MB of fresh memory is the kernel's page faults, not reading);
 *   idx-raw   the same files uncompressed (written to a temporary folder first);
 *   csv-wide  a wide generated CSV file (20 rows, 100000 numeric columns; --quick 20000) read
 *             by nnb_csv_read and prepared (a preparation fitted and applied: every column found
 *             by name), the case whose column look-ups were once quadratic (issue 14).
 * MB/s counts the bytes of the file as read (the CSV text; the uncompressed IDX bytes). Each figure
 * is the median of --reps runs. Benchmarks report; they never assert.
 *
 *   nnblas-bench data [--quick] [--json] [--reps N] [--dir FASHION_MNIST_DIR]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bench_data.h"
#include "bench_util.h"
#include "nnblas.h"

static void emit(int json, const char *format, size_t rows, double bytes, double secs) {
    if (json) {
        printf("{\"bench\": \"data\", \"format\": \"%s\", \"isa\": \"%s\", \"threads\": 1, "
               "\"rows\": %zu, ",
               format, nnb_kernel_isa(), rows);
        nnbb_json_num(stdout, "bytes", bytes, 0);
        nnbb_json_num(stdout, "seconds", secs, 0);
        nnbb_json_num(stdout, "mb_per_s", bytes / secs / 1e6, 0);
        nnbb_json_num(stdout, "rows_per_s", (double)rows / secs, 1);
        printf("}\n");
    } else {
        printf("%-8s %9zu rows %9.1f MB %9.3f s %9.1f MB/s %12.0f rows/s\n", format, rows,
               bytes / 1e6, secs, bytes / secs / 1e6, (double)rows / secs);
    }
    fflush(stdout);
}

static double bench_csv(const char *path, size_t *rows) {
    nnb_csv_opts *o = NULL;
    nnb_table *t = NULL;
    double t0 = nnbb_now();
    nnb_status st = nnb_csv_opts_create(&o);
    if (st == NNB_OK) st = nnb_csv_opts_add_text_column(o, "color");
    if (st == NNB_OK) st = nnb_csv_read(&t, path, o);
    double secs = nnbb_now() - t0;
    if (st != NNB_OK) {
        fprintf(stderr, "nnblas-bench data: %s\n", nnb_last_error());
        secs = -1;
    }
    *rows = nnb_table_n_rows(t);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    return secs;
}

static int write_csv(const char *path, size_t rows) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    static const char *colors[] = {"red", "green", "blue", "amber"};
    fprintf(f, "a,b,c,d,e,f,g,h,color,label\n");
    uint64_t s = 7;
    for (size_t r = 0; r < rows; r++) {
        for (int c = 0; c < 8; c++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            fprintf(f, "%.6g,", ((double)(s >> 11) * 0x1.0p-53 - 0.5) * 1000);
        }
        fprintf(f, "%s,%zu\n", colors[r % 4], r % 10);
    }
    return fclose(f);
}

static int write_wide(const char *path, size_t cols) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs("y", f);
    for (size_t c = 0; c < cols; c++) fprintf(f, ",c%zu", c);
    fputc('\n', f);
    for (size_t r = 0; r < 20; r++) {
        fprintf(f, "%zu", r % 2);
        for (size_t c = 0; c < cols; c++) fprintf(f, ",%zu", (r * 7 + c) % 10);
        fputc('\n', f);
    }
    return fclose(f);
}

/* Reads and prepares the wide file: seconds, or -1. */
static double bench_wide(const char *path) {
    nnb_table *t = NULL;
    nnb_prep *p = NULL;
    double *x = NULL, *y = NULL, t0 = nnbb_now();
    nnb_status st = nnb_csv_read(&t, path, NULL);
    if (st == NNB_OK) st = nnb_prep_create(&p);
    if (st == NNB_OK) st = nnb_prep_add_target(p, "y", NNB_TARGET_VALUES);
    if (st == NNB_OK) st = nnb_prep_fit(p, t, NULL, nnb_table_n_rows(t));
    size_t n = nnb_table_n_rows(t), nf = st == NNB_OK ? nnb_prep_n_features(p) : 0;
    if (st == NNB_OK) {
        x = malloc(n * nf * sizeof *x), y = malloc(n * sizeof *y);
        st = x && y ? nnb_prep_apply(p, t, NULL, n, x, n * nf, y, n) : NNB_E_NOMEM;
    }
    double secs = nnbb_now() - t0;
    if (st != NNB_OK) {
        fprintf(stderr, "nnblas-bench data: csv-wide: %s\n", nnb_last_error());
        secs = -1;
    }
    free(x), free(y);
    nnb_prep_free(p);
    nnb_table_free(t);
    return secs;
}

/* Copies a gzipped file uncompressed. */
static int gunzip_to(const char *src, const char *dst) {
    gzFile in = gzopen(src, "rb");
    FILE *out = fopen(dst, "wb");
    if (!in || !out) {
        if (in) gzclose(in);
        if (out) fclose(out);
        return -1;
    }
    char buf[1 << 16];
    int n;
    while ((n = gzread(in, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, out);
    gzclose(in);
    return fclose(out) || n < 0 ? -1 : 0;
}

static double bench_mnist(const char *dir, double *xtr, double *ytr, double *xte, double *yte) {
    double t0 = nnbb_now();
    if (nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 0, xtr, 60000 * 784, ytr, 60000) != NNB_OK ||
        nnb_mnist_read_part(dir, NNB_MNIST_TEST, 0, xte, 10000 * 784, yte, 10000) != NNB_OK) {
        fprintf(stderr, "nnblas-bench data: %s\n", nnb_last_error());
        return -1;
    }
    return nnbb_now() - t0;
}

int nnbb_data_main(int argc, char **argv) {
    int json = 0, quick = 0;
    size_t reps = 5;
    const char *dir = "/usr/share/datasets/fashion-mnist";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--quick") == 0)
            quick = 1, reps = 1;
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
            reps = (size_t)atoi(argv[++i]);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: nnblas-bench data [--quick] [--json] [--reps N] [--dir DIR]\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (reps > 64) reps = 64;
    char tmp[] = "/tmp/nnblas-bench-XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    if (!json) nnbb_print_machine(stdout);
    char path[4096];
    double t[64];
    /* CSV */
    snprintf(path, sizeof path, "%s/data.csv", tmp);
    size_t rows = quick ? 20000 : 200000;
    if (write_csv(path, rows) == 0) {
        struct stat sb;
        stat(path, &sb);
        size_t got = 0, k = 0;
        for (size_t r = 0; r < reps; r++)
            if ((t[k] = bench_csv(path, &got)) > 0) k++;
        if (k) emit(json, "csv", got, (double)sb.st_size, nnbb_median(t, k));
        unlink(path);
    }
    /* a wide CSV: 20 rows, many columns */
    snprintf(path, sizeof path, "%s/wide.csv", tmp);
    if (write_wide(path, quick ? 20000 : 100000) == 0) {
        struct stat sb;
        stat(path, &sb);
        size_t k = 0;
        for (size_t r = 0; r < reps; r++)
            if ((t[k] = bench_wide(path)) > 0) k++;
        if (k) emit(json, "csv-wide", 20, (double)sb.st_size, nnbb_median(t, k));
        unlink(path);
    }
    /* IDX, gzipped and raw */
    size_t n_img, n_cols;
    if (nnb_mnist_info(dir, NNB_MNIST_TRAIN, &n_img, &n_cols) == NNB_OK && n_img == 60000 &&
        n_cols == 784) {
        double *xtr = malloc(60000 * 784 * sizeof *xtr), *ytr = malloc(60000 * sizeof *ytr);
        double *xte = malloc(10000 * 784 * sizeof *xte), *yte = malloc(10000 * sizeof *yte);
        if (xtr && ytr && xte && yte) {
            memset(xtr, 0, 60000 * 784 * sizeof *xtr); /* the first touch, outside the timing */
            memset(xte, 0, 10000 * 784 * sizeof *xte);
            double bytes = 70000.0 * 784 + 70000 + 4 * 16 + 2 * 8; /* uncompressed IDX bytes */
            static const char *files[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
            for (int raw = 0; raw <= 1; raw++) {
                const char *d = dir;
                if (raw) {
                    int ok = 1;
                    for (int f = 0; f < 4 && ok; f++) {
                        char src[4096], dst[4096];
                        snprintf(src, sizeof src, "%s/%s.gz", dir, files[f]);
                        snprintf(dst, sizeof dst, "%s/%s", tmp, files[f]);
                        ok = gunzip_to(src, dst) == 0;
                    }
                    if (!ok) break;
                    d = tmp;
                }
                size_t k = 0;
                for (size_t r = 0; r < reps; r++)
                    if ((t[k] = bench_mnist(d, xtr, ytr, xte, yte)) > 0) k++;
                if (k) emit(json, raw ? "idx-raw" : "idx-gz", 70000, bytes, nnbb_median(t, k));
            }
            for (int f = 0; f < 4; f++) {
                snprintf(path, sizeof path, "%s/%s", tmp, files[f]);
                unlink(path);
            }
        }
        free(xtr), free(ytr), free(xte), free(yte);
    } else if (!json) {
        printf("# Fashion-MNIST not found in %s (package dataset-fashion-mnist): IDX skipped\n",
               dir);
    }
    rmdir(tmp);
    return 0;
}
