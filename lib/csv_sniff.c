/* Guessing a CSV file's delimiter from its header row (nnb_csv_detect_delimiter and, for bytes in
 * memory, nnb_csv_detect_delimiter_buffer), and its decimal mark from its first rows
 * (nnb_csv_detect_decimal_buffer). */
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
    while (i < n && (s[i] == '\r' || s[i] == '\n')) i++;    /* blank lines before the header */
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

/* ---- the decimal mark ---------------------------------------------------------------------- */

#define DECIMAL_ROWS 1000

/* What an unquoted field s[0, n) is: 1 a number with one decimal comma, 2 a number with a
 * decimal point, 0 anything else (whole numbers say nothing). */
static int number_kind(const unsigned char *s, size_t n) {
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    size_t i = 0, before = 0, after = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, before++;
    if (i == n || (s[i] != ',' && s[i] != '.')) return 0;
    int mark = s[i++] == ',' ? 1 : 2;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, after++;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i == n || s[i] < '0' || s[i] > '9') return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    return i == n && before + after > 0 ? mark : 0;
}

/* Counts the comma (seen[1]) and point (seen[2]) numbers among the unquoted fields of the data
 * rows in s[0, n), the header row skipped. */
static void count_marks(const unsigned char *s, size_t n, char delim, size_t seen[3]) {
    size_t i = 0, start = 0, row = 0;
    int quoted = 0, in_quotes = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) i = start = 3;
    for (; i <= n && row <= DECIMAL_ROWS; i++) {
        int end = i == n;
        unsigned char ch = end ? '\n' : s[i];
        if (ch == '"') {
            in_quotes = !in_quotes;
            quoted = 1;
            continue;
        }
        if (in_quotes && !end) continue;
        if (ch != (unsigned char)delim && ch != '\n' && ch != '\r') continue;
        if (row > 0 && !quoted) seen[number_kind(s + start, i - start)]++;
        quoted = 0;
        start = i + 1;
        if (ch == '\n' || (ch == '\r' && !(i + 1 < n && s[i + 1] == '\n'))) row++;
    }
}

NNB_API nnb_status nnb_csv_detect_decimal_buffer(const char *data, size_t len, char delimiter,
                                                 char *decimal) {
    NNBI_CHECK_NULL(data, __func__);
    NNBI_CHECK_NULL(decimal, __func__);
    size_t seen[3] = {0, 0, 0};
    if (delimiter != ',')
        count_marks((const unsigned char *)data, len < SNIFF_MAX ? len : SNIFF_MAX, delimiter,
                    seen);
    *decimal = seen[1] > 0 && seen[2] == 0 ? ',' : '.';
    return NNB_OK;
}
