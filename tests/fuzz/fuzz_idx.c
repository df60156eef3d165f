/*
 * Fuzzing harness: the IDX reader (nnb_idx_info, nnb_idx_read_images, nnb_idx_read_labels) and
 * an MNIST-style folder (nnb_mnist_info, nnb_mnist_read_part), on files raw or gzipped.
 *
 * Input: two bytes (big-endian) giving the length of the images file, the images file, then the
 * labels file. Both are written into a folder under their MNIST names (train-images-idx3-ubyte,
 * train-labels-idx1-ubyte), and each is also read alone.
 * Properties: the reported shape is the shape read; pixels are in [0, 1]; labels are class
 * indices below 256, or one-hot rows.
 */
#include <math.h>
#include <unistd.h>

#include "fuzz.h"

#define MAX_VALUES (1u << 20) /* items x item size beyond which the data is not read */

static void read_one(const char *path) {
    size_t n = 0, item = 0;
    if (nnb_idx_info(path, &n, &item) != NNB_OK) return;
    FUZZ_CHECK(n > 0 && item > 0);
    if (n > MAX_VALUES / item) return;
    double *x = malloc(n * item * sizeof *x);
    if (!x) return;
    size_t rows = 0, cols = 0;
    if (nnb_idx_read_images(path, x, n * item, &rows, &cols) == NNB_OK) {
        FUZZ_CHECK(rows == n && cols == item);
        for (size_t i = 0; i < n * item; i++) FUZZ_CHECK(x[i] >= 0 && x[i] <= 1);
    }
    if (item == 1) {
        if (nnb_idx_read_labels(path, 0, x, n, &rows) == NNB_OK) {
            FUZZ_CHECK(rows == n);
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(x[i] >= 0 && x[i] < 256 && x[i] == floor(x[i]));
        }
        if (n <= MAX_VALUES / 10) {
            double *y = malloc(n * 10 * sizeof *y);
            if (y && nnb_idx_read_labels(path, 10, y, n * 10, &rows) == NNB_OK) {
                for (size_t i = 0; i < n; i++) {
                    double sum = 0;
                    for (int k = 0; k < 10; k++) sum += y[i * 10 + k];
                    FUZZ_CHECK(sum == 1);
                }
            }
            free(y);
        }
    }
    free(x);
}

static void write_named(const char *dir, const char *name, const uint8_t *data, size_t size) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t split = (size_t)data[0] << 8 | data[1];
    data += 2, size -= 2;
    if (split > size) split = size;
    const uint8_t *labels = data + split;
    size_t labels_size = size - split;

    const char *images_path = fuzz_file(0, data, split);
    const char *labels_path = fuzz_file(1, labels, labels_size);
    if (images_path) read_one(images_path);
    if (labels_path) read_one(labels_path);

    /* the folder */
    const char *dir = fuzz_dir();
    if (!dir) return 0;
    write_named(dir, "train-images-idx3-ubyte", data, split);
    write_named(dir, "train-labels-idx1-ubyte", labels, labels_size);
    size_t rows = 0, cols = 0;
    if (nnb_mnist_info(dir, NNB_MNIST_TRAIN, &rows, &cols) == NNB_OK && rows <= MAX_VALUES / cols &&
        rows <= MAX_VALUES / 10) {
        double *x = malloc(rows * cols * sizeof *x), *y = malloc(rows * 10 * sizeof *y);
        if (x && y) {
            /* labels one-hot or as indices (each open costs about 1 ms under AddressSanitizer,
             * for zlib's buffers: one variant per input) */
            int onehot = (int)(size & 1);
            if (nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, onehot, x, rows * cols, y,
                                    rows * (onehot ? 10 : 1)) == NNB_OK)
                for (size_t i = 0; i < rows * cols; i++) FUZZ_CHECK(x[i] >= 0 && x[i] <= 1);
        }
        free(x);
        free(y);
    }
    /* the test part is missing: an error with a message */
    FUZZ_CHECK(nnb_mnist_info(dir, NNB_MNIST_TEST, NULL, NULL) == NNB_E_IO);
    return 0;
}
