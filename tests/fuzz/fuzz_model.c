/*
 * Fuzzing harness: the model loader, from a buffer (nnb_model_read_buffer) and from a file
 * (nnb_model_read), and the nnblas command's `info` on that file.
 *
 * Every input is loaded as it is (mostly refused by the size field or the CRC-32), then again
 * with its size field and CRC-32 made right, so that changes reach the section parsers.
 * Properties: a buffer and a file with the same bytes give the same status; a loaded model saved
 * again and loaded gives the same bytes when saved once more (and predicts); a refused model
 * leaves every out-pointer NULL and a message.
 */
#include <zlib.h>

#include "cli.h"
#include "fuzz.h"

#define MAX_PARAMS (1u << 22) /* larger models are loaded but not saved again */

static void put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Saves a loaded model into a new buffer (*n bytes); NULL if too large or out of memory. */
static unsigned char *save(const nnb_net *net, const nnb_prep *prep, const nnb_meta *meta,
                           size_t *n) {
    *n = nnb_model_write_size(net, prep, meta, 1);
    if (*n == 0) return NULL;
    unsigned char *b = malloc(*n);
    if (!b) return NULL;
    size_t written = 0;
    nnb_status st = nnb_model_write_buffer(net, prep, meta, 1, b, *n, &written);
    if (st != NNB_OK) {
        FUZZ_CHECK(st == NNB_E_NOMEM);
        free(b);
        return NULL;
    }
    FUZZ_CHECK(written == *n);
    return b;
}

static nnb_status load_checked(const uint8_t *data, size_t size) {
    nnb_net *net = (nnb_net *)1;
    nnb_prep *prep = (nnb_prep *)1;
    nnb_meta *meta = (nnb_meta *)1;
    nnb_status st = nnb_model_read_buffer(&net, &prep, &meta, data, size);
    if (st != NNB_OK) {
        FUZZ_CHECK(!net && !prep && !meta);
        FUZZ_CHECK(nnb_last_error()[0] != '\0');
        return st;
    }
    FUZZ_CHECK(net && meta);
    size_t n_in = nnb_net_n_inputs(net), n_out = nnb_net_n_outputs(net);
    FUZZ_CHECK(n_in > 0 && n_out > 0 && nnb_net_n_layers(net) > 0);
    /* a row of zeros through the network */
    double *x = calloc(n_in, sizeof *x), *y = calloc(n_out, sizeof *y);
    if (x && y) FUZZ_CHECK(nnb_net_predict(net, x, 1, n_in, y, n_out) == NNB_OK);
    free(x);
    free(y);
    if (prep) FUZZ_CHECK(nnb_prep_n_features(prep) == n_in);
    for (size_t i = 0; i < nnb_meta_n_keys(meta); i++)
        FUZZ_CHECK(nnb_meta_key(meta, i) && nnb_meta_value(meta, i));
    /* saved, loaded and saved again: the same bytes */
    if (nnb_net_n_params(net) <= MAX_PARAMS) {
        size_t n1, n2;
        unsigned char *b1 = save(net, prep, meta, &n1);
        if (b1) {
            nnb_net *net2;
            nnb_prep *prep2;
            nnb_meta *meta2;
            nnb_status st2 = nnb_model_read_buffer(&net2, &prep2, &meta2, b1, n1);
            FUZZ_CHECK(st2 == NNB_OK || st2 == NNB_E_NOMEM);
            if (st2 == NNB_OK) {
                unsigned char *b2 = save(net2, prep2, meta2, &n2);
                if (b2) FUZZ_CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
                free(b2);
                nnb_net_free(net2);
                nnb_prep_free(prep2);
                nnb_meta_free(meta2);
            }
            free(b1);
        }
    }
    nnb_net_free(net);
    nnb_prep_free(prep);
    nnb_meta_free(meta);
    return st;
}

static void load_file(const uint8_t *data, size_t size, nnb_status want) {
    const char *path = fuzz_file(0, data, size);
    if (!path) return;
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    nnb_status st = nnb_model_read(&net, &prep, &meta, path);
    FUZZ_CHECK(st == want || st == NNB_E_NOMEM || want == NNB_E_NOMEM);
    if (st == NNB_OK) {
        nnb_net_free(net);
        nnb_prep_free(prep);
        nnb_meta_free(meta);
    }
    /* the command: info describes it or fails with a message (exit 1), never a signal */
    char *argv[] = {"nnblas", "info", "--model", (char *)path, "--params-hex", NULL};
    int status = nnblas_main(4, argv);
    FUZZ_CHECK(status == (st == NNB_OK ? 0 : 1));
    if (st == NNB_OK) FUZZ_CHECK(nnblas_main(5, argv) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_quiet();
    nnb_status st = load_checked(data, size);
    load_file(data, size, st);
    if (size < 36) return 0;
    /* the size field and the checksum made right */
    uint8_t *fixed = malloc(size);
    if (!fixed) return 0;
    memcpy(fixed, data, size);
    put_le64(fixed + 16, size);
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), fixed, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    st = load_checked(fixed, size);
    load_file(fixed, size, st);
    free(fixed);
    return 0;
}
