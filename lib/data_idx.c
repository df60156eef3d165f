/*
 * IDX files (MNIST, Fashion-MNIST), gzipped or raw, read through zlib (gzread reads raw files
 * transparently). The header is validated before any data is touched; the bytes are decoded in
 * 256 KiB chunks straight into the caller's double matrix, so no second full-size buffer exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "atomic_file.h"
#include "data_internal.h"

#define IDX_MAX_DIMS 8
#define CHUNK (256 * 1024)
#define GZIP_MAX_RATIO 1032 /* deflate's largest compression ratio (zlib's FAQ) */

typedef struct idx_file {
    const char *path;
    const char *func;
    gzFile gz;
    size_t n_items, item_size, total; /* total = n_items * item_size bytes of data */
} idx_file;

static const char *type_name(unsigned t) {
    switch (t) {
    case 0x08:
        return "unsigned byte";
    case 0x09:
        return "signed byte";
    case 0x0B:
        return "short";
    case 0x0C:
        return "int";
    case 0x0D:
        return "float";
    case 0x0E:
        return "double";
    default:
        return NULL;
    }
}

/* The message for a failed or short gzread. */
static nnb_status read_error(idx_file *f, const char *what, size_t got, size_t want) {
    int errnum = Z_OK;
    const char *msg = gzerror(f->gz, &errnum);
    if (errnum == Z_ERRNO)
        return nnbi_error(errno == ENOMEM ? NNB_E_NOMEM : NNB_E_IO, f->func, "cannot read %s: %s",
                          f->path, strerror(errno));
    if (errnum == Z_MEM_ERROR)
        return nnbi_error(NNB_E_NOMEM, f->func, "%s: no memory to decompress the %s", f->path,
                          what);
    if (errnum != Z_OK && errnum != Z_STREAM_END)
        return nnbi_error(NNB_E_FORMAT, f->func, "%s: corrupted gzip data in the %s (%s)", f->path,
                          what, msg);
    return nnbi_error(NNB_E_FORMAT, f->func, "%s: truncated: the %s ends after %zu of %zu bytes",
                      f->path, what, got, want);
}

/* Reads exactly n bytes (n may exceed INT_MAX: read in pieces). */
static nnb_status read_exact(idx_file *f, void *buf, size_t n, const char *what) {
    size_t done = 0;
    while (done < n) {
        size_t want = n - done > CHUNK ? CHUNK : n - done;
        int got = gzread(f->gz, (char *)buf + done, (unsigned)want);
        if (got < 0) return read_error(f, what, done, n);
        done += (size_t)got;
        if ((size_t)got < want) return read_error(f, what, done, n);
    }
    return NNB_OK;
}

/* The uncompressed size mod 2^32 recorded at the end of a gzip file, or -1 if unreadable.
 * (open/pread: no allocation, so this probe cannot fail for lack of memory.) */
static long long gzip_isize(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    unsigned char b[4];
    long long r = -1;
    off_t end = lseek(fd, 0, SEEK_END);
    if (end >= 4 && pread(fd, b, 4, end - 4) == 4)
        r = (long long)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                        (uint32_t)b[3] << 24);
    close(fd);
    return r;
}

static void idx_close(idx_file *f) {
    if (f->gz) gzclose_r(f->gz);
    f->gz = NULL;
}

/* Opens the file and validates its header; on success the stream is at the first data byte. */
static nnb_status idx_open(idx_file *f, const char *path, const char *func) {
    memset(f, 0, sizeof *f);
    f->path = path;
    f->func = func;
    /* IDX files are opened more than once (nnb_idx_info, then the read; the gzip trailer): a
     * FIFO or a pipe would be empty, or wait for a writer forever, the second time */
    struct stat in;
    if (stat(path, &in) == 0 && !S_ISREG(in.st_mode))
        return nnbi_error(NNB_E_IO, func,
                          "cannot read %s: it is %s; IDX files are read more than once, so only "
                          "regular files can be read (save the data to a file first)",
                          path, nnbi_file_kind(in.st_mode));
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz) /* zlib leaves errno as its failed malloc set it (ENOMEM), or untouched */
        return nnbi_error(errno && errno != ENOMEM ? NNB_E_IO : NNB_E_NOMEM, func,
                          "cannot open %s: %s", path,
                          errno && errno != ENOMEM ? strerror(errno) : "out of memory");
    gzbuffer(f->gz, CHUNK);
    unsigned char magic[4];
    nnb_status st = read_exact(f, magic, 4, "header");
    if (st != NNB_OK) goto fail;
    if (magic[0] != 0 || magic[1] != 0 || !type_name(magic[2]) || magic[3] == 0 ||
        magic[3] > IDX_MAX_DIMS) {
        st = nnbi_error(NNB_E_FORMAT, func,
                        "%s is not an IDX file: its magic is %02x %02x %02x %02x (expected "
                        "00 00, a type, 1..%d dimensions)",
                        path, magic[0], magic[1], magic[2], magic[3], IDX_MAX_DIMS);
        goto fail;
    }
    if (magic[2] != 0x08) {
        st = nnbi_error(NNB_E_UNSUPPORTED, func,
                        "%s holds %s elements; only unsigned bytes (type 0x08) are supported", path,
                        type_name(magic[2]));
        goto fail;
    }
    unsigned nd = magic[3];
    unsigned char dims[4 * IDX_MAX_DIMS];
    if ((st = read_exact(f, dims, 4 * nd, "header")) != NNB_OK) goto fail;
    size_t total = 1;
    for (unsigned d = 0; d < nd; d++) {
        uint32_t v = (uint32_t)dims[4 * d] << 24 | (uint32_t)dims[4 * d + 1] << 16 |
                     (uint32_t)dims[4 * d + 2] << 8 | (uint32_t)dims[4 * d + 3];
        if (v == 0) {
            st = nnbi_error(NNB_E_FORMAT, func, "%s: dimension %u is 0", path, d + 1);
            goto fail;
        }
        if (d == 0) f->n_items = v;
        if (!nnbi_mul_size(total, v, &total) || total > SIZE_MAX / sizeof(double)) {
            st = nnbi_error(NNB_E_TOO_LARGE, func, "%s: the dimensions overflow", path);
            goto fail;
        }
    }
    f->total = total;
    f->item_size = total / f->n_items;
    size_t header = 4 + 4 * (size_t)nd;
    int have_stat = stat(path, &in) == 0;
    if (gzdirect(f->gz)) { /* a raw file: its size must match */
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
            (uintmax_t)sb.st_size != (uintmax_t)header + total) {
            st = nnbi_error(NNB_E_FORMAT, func,
                            "%s: %s: the header announces %zu bytes of data, the file has %jd",
                            path, (uintmax_t)sb.st_size < header + total ? "truncated" : "too long",
                            total, (intmax_t)sb.st_size - (intmax_t)header);
            goto fail;
        }
    } else if (have_stat && S_ISREG(in.st_mode)) {
        /* gzip: deflate compresses at most 1032:1, so a small file cannot hold what a lying
         * header announces (a "gzip bomb" header would make the caller allocate it first) */
        if ((uintmax_t)(header + total) / GZIP_MAX_RATIO > (uintmax_t)in.st_size) {
            st = nnbi_error(NNB_E_FORMAT, func,
                            "%s: the header announces %zu bytes of data, more than a gzip file of "
                            "%jd bytes can hold (deflate compresses at most %d:1)",
                            path, total, (intmax_t)in.st_size, GZIP_MAX_RATIO);
            goto fail;
        }
        /* the trailer records the uncompressed size mod 2^32 (regular files only: opening a
         * FIFO again could wait for a writer forever) */
        long long isize = gzip_isize(path);
        if (isize >= 0 && (uint32_t)isize != (uint32_t)(header + total)) {
            st = nnbi_error(NNB_E_FORMAT, func,
                            "%s: truncated or corrupted: the header announces %zu bytes of data, "
                            "the gzip trailer records %lld bytes in all",
                            path, total, isize);
            goto fail;
        }
    }
    return NNB_OK;
fail:
    idx_close(f);
    return st;
}

/* After the data: the stream must end there (reading on also makes zlib check the CRC). */
static nnb_status idx_finish(idx_file *f) {
    char extra;
    int got = gzread(f->gz, &extra, 1);
    nnb_status st = NNB_OK;
    if (got < 0)
        st = read_error(f, "gzip trailer", 0, 0);
    else if (got > 0)
        st = nnbi_error(NNB_E_FORMAT, f->func, "%s has bytes after the data its header announces",
                        f->path);
    int rc = gzclose_r(f->gz);
    f->gz = NULL;
    if (st == NNB_OK && rc != Z_OK)
        st = nnbi_error(rc == Z_ERRNO ? NNB_E_IO : NNB_E_FORMAT, f->func,
                        "%s: the gzip stream is truncated or corrupted (zlib error %d)", f->path,
                        rc);
    return st;
}

NNB_API nnb_status nnb_idx_info(const char *path, size_t *n_items, size_t *item_size) {
    NNBI_CHECK_NULL(path, __func__);
    idx_file f;
    nnb_status st = idx_open(&f, path, __func__);
    if (st != NNB_OK) return st;
    if (n_items) *n_items = f.n_items;
    if (item_size) *item_size = f.item_size;
    idx_close(&f);
    return NNB_OK;
}

/* Decodes the data into out, of type ot (the double values rounded to it): one-hot rows of
 * n_classes (n_classes > 0) or byte * scale. */
static nnb_status idx_decode(idx_file *f, void *out, nnb_dtype ot, double scale, size_t n_classes) {
    const size_t es = nnbi_dtype_size(ot);
    unsigned char *buf = malloc(CHUNK);
    if (!buf) {
        idx_close(f);
        return nnbi_error(NNB_E_NOMEM, f->func, "no memory for a read buffer");
    }
    double table[256];
    for (int i = 0; i < 256; i++) table[i] = (double)i * scale;
    if (scale == 1.0 / 255.0)
        for (int i = 0; i < 256; i++) table[i] = (double)i / 255.0; /* exact division */
    nnb_status st = NNB_OK;
    for (size_t done = 0; done < f->total && st == NNB_OK;) {
        size_t n = f->total - done > CHUNK ? CHUNK : f->total - done;
        int got = gzread(f->gz, buf, (unsigned)n);
        if (got < 0 || (size_t)got < n) {
            st = read_error(f, "data", done + (got > 0 ? (size_t)got : 0), f->total);
            break;
        }
        if (n_classes == 0) {
            for (size_t i = 0; i < n; i++) nnbi_write(ot, out, done + i, table[buf[i]]);
        } else {
            for (size_t i = 0; i < n; i++) {
                if (buf[i] >= n_classes) {
                    st = nnbi_error(NNB_E_FORMAT, f->func,
                                    "%s: label %u of item %zu is not below %zu classes", f->path,
                                    buf[i], done + i, n_classes);
                    break;
                }
                char *row = (char *)out + (done + i) * n_classes * es;
                memset(row, 0, n_classes * es);
                nnbi_write(ot, row, buf[i], 1.0);
            }
        }
        done += n;
    }
    free(buf);
    if (st == NNB_OK) st = idx_finish(f);
    idx_close(f);
    return st;
}

/* The checks and opening shared by the readers. */
static nnb_status open_for_read(idx_file *f, const char *path, const void *out, const char *func) {
    NNBI_CHECK_NULL(path, func);
    NNBI_CHECK_NULL(out, func);
    return idx_open(f, path, func);
}

static nnb_status read_images(const char *path, void *x, nnb_dtype xt, size_t x_len, size_t *rows,
                              size_t *cols, const char *func) {
    idx_file f;
    nnb_status st = open_for_read(&f, path, x, func);
    if (st != NNB_OK) return st;
    if (x_len < f.total) {
        idx_close(&f);
        return nnbi_error(NNB_E_SHAPE, func, "x holds %zu values, %s has %zu x %zu", x_len, path,
                          f.n_items, f.item_size);
    }
    if (rows) *rows = f.n_items;
    if (cols) *cols = f.item_size;
    return idx_decode(&f, x, xt, 1.0 / 255.0, 0);
}

NNB_API nnb_status nnb_idx_read_images(const char *path, double *x, size_t x_len, size_t *rows,
                                       size_t *cols) {
    return read_images(path, x, NNB_F64, x_len, rows, cols, __func__);
}

NNB_API nnb_status nnb_idx_read_images_f32(const char *path, float *x, size_t x_len, size_t *rows,
                                           size_t *cols) {
    return read_images(path, x, NNB_F32, x_len, rows, cols, __func__);
}

static nnb_status read_labels(const char *path, size_t n_classes, void *y, nnb_dtype yt,
                              size_t y_len, size_t *rows, const char *func) {
    idx_file f;
    nnb_status st = open_for_read(&f, path, y, func);
    if (st != NNB_OK) return st;
    size_t need;
    if (f.item_size != 1) {
        idx_close(&f);
        return nnbi_error(NNB_E_FORMAT, func, "%s holds items of %zu values, not labels", path,
                          f.item_size);
    }
    if (!nnbi_mul_size(f.n_items, n_classes ? n_classes : 1, &need) || y_len < need) {
        idx_close(&f);
        return nnbi_error(NNB_E_SHAPE, func, "y holds %zu values, %zu labels%s need more", y_len,
                          f.n_items, n_classes ? " as one-hot rows" : "");
    }
    if (rows) *rows = f.n_items;
    return idx_decode(&f, y, yt, 1.0, n_classes);
}

NNB_API nnb_status nnb_idx_read_labels(const char *path, size_t n_classes, double *y, size_t y_len,
                                       size_t *rows) {
    return read_labels(path, n_classes, y, NNB_F64, y_len, rows, __func__);
}

NNB_API nnb_status nnb_idx_read_labels_f32(const char *path, size_t n_classes, float *y,
                                           size_t y_len, size_t *rows) {
    return read_labels(path, n_classes, y, NNB_F32, y_len, rows, __func__);
}

/* ---- MNIST-style folders ----------------------------------------------------------------------- */

/* The path of dir/base.gz, else dir/base; NNB_E_IO if neither exists. */
static nnb_status find_file(const char *dir, const char *base, char *path, size_t len,
                            const char *func) {
    struct stat sb;
    snprintf(path, len, "%s/%s.gz", dir, base);
    if (stat(path, &sb) == 0) return NNB_OK;
    snprintf(path, len, "%s/%s", dir, base);
    if (stat(path, &sb) == 0) return NNB_OK;
    return nnbi_error(NNB_E_IO, func, "%s has no %s or %s.gz", dir, base, base);
}

static nnb_status mnist_paths(const char *dir, nnb_mnist_part part, char *img, char *lab,
                              size_t len, size_t *rows, size_t *cols, const char *func) {
    NNBI_CHECK_NULL(dir, func);
    if (part != NNB_MNIST_TRAIN && part != NNB_MNIST_TEST)
        return nnbi_error(NNB_E_INVALID_ARG, func, "unknown part %d", (int)part);
    const char *pre = part == NNB_MNIST_TRAIN ? "train" : "t10k";
    char base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", pre);
    nnb_status st = find_file(dir, base, img, len, func);
    if (st != NNB_OK) return st;
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", pre);
    if ((st = find_file(dir, base, lab, len, func)) != NNB_OK) return st;
    size_t n_img, n_lab, size, lsize;
    if ((st = nnb_idx_info(img, &n_img, &size)) != NNB_OK) return st;
    if ((st = nnb_idx_info(lab, &n_lab, &lsize)) != NNB_OK) return st;
    if (lsize != 1)
        return nnbi_error(NNB_E_FORMAT, func, "%s holds items of %zu values, not labels", lab,
                          lsize);
    if (n_img != n_lab)
        return nnbi_error(NNB_E_FORMAT, func, "%s has %zu images but %s has %zu labels", img, n_img,
                          lab, n_lab);
    if (rows) *rows = n_img;
    if (cols) *cols = size;
    return NNB_OK;
}

NNB_API nnb_status nnb_mnist_info(const char *dir, nnb_mnist_part part, size_t *rows,
                                  size_t *cols) {
    char img[4096], lab[4096];
    return mnist_paths(dir, part, img, lab, sizeof img, rows, cols, __func__);
}

static nnb_status mnist_read(const char *dir, nnb_mnist_part part, void *x, size_t x_len, void *y,
                             size_t y_len, int onehot, nnb_dtype t, const char *func) {
    char img[4096], lab[4096];
    size_t rows, cols;
    NNBI_CHECK_NULL(x, func);
    if (onehot != 0 && onehot != 1)
        return nnbi_error(NNB_E_INVALID_ARG, func, "onehot must be 0 or 1, not %d", onehot);
    nnb_status st = mnist_paths(dir, part, img, lab, sizeof img, &rows, &cols, func);
    if (st != NNB_OK) return st;
    if (x_len / cols < rows)
        return nnbi_error(NNB_E_SHAPE, func, "x holds %zu values, %zu images of %zu need more",
                          x_len, rows, cols);
    if (y && y_len / (onehot ? 10 : 1) < rows)
        return nnbi_error(NNB_E_SHAPE, func, "y holds %zu values, %zu labels%s need more", y_len,
                          rows, onehot ? " as one-hot rows of 10" : "");
    if ((st = read_images(img, x, t, x_len, NULL, NULL, func)) != NNB_OK) return st;
    if (y) st = read_labels(lab, onehot ? 10 : 0, y, t, y_len, NULL, func);
    return st;
}

NNB_API nnb_status nnb_mnist_read_part(const char *dir, nnb_mnist_part part, int onehot, double *x,
                                       size_t x_len, double *y, size_t y_len) {
    return mnist_read(dir, part, x, x_len, y, y_len, onehot, NNB_F64, __func__);
}

NNB_API nnb_status nnb_mnist_read_part_f32(const char *dir, nnb_mnist_part part, int onehot,
                                           float *x, size_t x_len, float *y, size_t y_len) {
    return mnist_read(dir, part, x, x_len, y, y_len, onehot, NNB_F32, __func__);
}
