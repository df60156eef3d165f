/* Guessing a CSV file's delimiter from its header row (nnb_csv_detect_delimiter). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nnb_internal.h"

#define SNIFF_MAX ((size_t)1 << 20) /* the header row is looked for in the first 1 MiB */

static const char candidates[] = {',', ';', '\t', '|'};
#define N_CAND (sizeof candidates / sizeof candidates[0])

NNB_API nnb_status nnb_csv_detect_delimiter(const char *path, char *delimiter) {
    NNBI_CHECK_NULL(path, __func__);
    NNBI_CHECK_NULL(delimiter, __func__);
    FILE *f = fopen(path, "rb");
    if (!f) return nnbi_error(NNB_E_IO, __func__, "%s: %s", path, strerror(errno));
    size_t count[N_CAND] = {0}, seen = 0;
    int c, quoted = 0, started = 0, first = 1;
    while (seen < SNIFF_MAX && (c = getc(f)) != EOF) {
        seen++;
        if (first && seen <= 3 && (c == 0xEF || c == 0xBB || c == 0xBF)) continue; /* BOM */
        first = 0;
        if (!started && (c == '\r' || c == '\n')) continue; /* blank lines before the header */
        started = 1;
        if (c == '"') quoted = !quoted; /* a doubled quote toggles twice */
        if (quoted) continue;
        if (c == '\r' || c == '\n') break;
        for (size_t k = 0; k < N_CAND; k++) count[k] += c == candidates[k];
    }
    int err = ferror(f);
    fclose(f);
    if (err) return nnbi_error(NNB_E_IO, __func__, "%s: read error", path);
    size_t best = 0;
    for (size_t k = 1; k < N_CAND; k++)
        if (count[k] > count[best]) best = k;
    *delimiter = candidates[best];
    return NNB_OK;
}
