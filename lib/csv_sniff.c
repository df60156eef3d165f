/* Guessing a CSV file's delimiter from its header row (nnb_csv_detect_delimiter and, for bytes in
 * memory, nnb_csv_detect_delimiter_buffer). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnb_internal.h"

#define SNIFF_MAX ((size_t)1 << 20) /* the header row is looked for in the first 1 MiB */

static const char candidates[] = {',', ';', '\t', '|'};
#define N_CAND (sizeof candidates / sizeof candidates[0])

/* The delimiter of the header row in s[0, n). */
static char sniff(const unsigned char *s, size_t n) {
    size_t count[N_CAND] = {0}, i = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) i = 3; /* a byte-order mark */
    while (i < n && (s[i] == '\r' || s[i] == '\n')) i++;   /* blank lines before the header */
    for (int quoted = 0; i < n; i++) {
        if (s[i] == '"') quoted = !quoted; /* a doubled quote toggles twice */
        if (quoted) continue;
        if (s[i] == '\r' || s[i] == '\n') break;
        for (size_t k = 0; k < N_CAND; k++) count[k] += s[i] == (unsigned char)candidates[k];
    }
    size_t best = 0;
    for (size_t k = 1; k < N_CAND; k++)
        if (count[k] > count[best]) best = k;
    return candidates[best];
}

NNB_API nnb_status nnb_csv_detect_delimiter_buffer(const char *data, size_t len, char *delimiter) {
    NNBI_CHECK_NULL(data, __func__);
    NNBI_CHECK_NULL(delimiter, __func__);
    *delimiter = sniff((const unsigned char *)data, len < SNIFF_MAX ? len : SNIFF_MAX);
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_csv_detect_delimiter_mem, nnb_csv_detect_delimiter_buffer);

NNB_API nnb_status nnb_csv_detect_delimiter(const char *path, char *delimiter) {
    NNBI_CHECK_NULL(path, __func__);
    NNBI_CHECK_NULL(delimiter, __func__);
    FILE *f = fopen(path, "rb");
    if (!f) return nnbi_error(NNB_E_IO, __func__, "%s: %s", path, strerror(errno));
    unsigned char *buf = malloc(SNIFF_MAX);
    if (!buf) {
        fclose(f);
        return nnbi_error(NNB_E_NOMEM, __func__, "no memory to read %s's header", path);
    }
    size_t n = fread(buf, 1, SNIFF_MAX, f);
    int err = ferror(f);
    fclose(f);
    if (!err) *delimiter = sniff(buf, n);
    free(buf);
    if (err) return nnbi_error(NNB_E_IO, __func__, "%s: read error", path);
    return NNB_OK;
}
