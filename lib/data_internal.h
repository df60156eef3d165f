/*
 * Internal declarations of the data layer (data_csv.c, data_idx.c, data_util.c, preprocess.c,
 * split.c): the table object behind nnb_table, locale-independent number conversion, and the
 * memory check done before reading a file.
 */
#ifndef NNB_DATA_INTERNAL_H
#define NNB_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "name_index.h"
#include "nnb_internal.h"

/* ---- the table read from a CSV file ---------------------------------------------------------- */

typedef struct nnbi_column {
    char *name;
    size_t field; /* 1-based field number in the file (for messages) */
    int is_text;  /* 0: numbers in num[]; 1: texts, offsets into the table's pool */
    double *num;  /* n_rows values (is_text 0) */
    size_t *text; /* n_rows offsets into pool (is_text 1) */
} nnbi_column;

struct nnb_table {
    char *source; /* the file name used in messages ("data.csv", or the caller's name) */
    size_t n_rows, n_cols;
    nnbi_column *cols;
    size_t *line;     /* n_rows: the 1-based line of the file where each row starts */
    size_t n_dropped; /* rows dropped for missing or non-numeric cells (when asked) */
    char *pool;       /* NUL-terminated texts of the text columns */
    size_t pool_len;
    nnbi_name_index index; /* the columns by name */
};

/* The column called `name`, or -1 (as ptrdiff_t) if there is none. */
ptrdiff_t nnbi_table_find(const nnb_table *t, const char *name);

/* The text of a text column's cell. */
static inline const char *nnbi_table_text(const nnb_table *t, size_t col, size_t row) {
    return t->pool + t->cols[col].text[row];
}

/* ---- numbers, whatever the process locale (data_util.c) ------------------------------------- */

/* Parses a whole NUL-terminated cell as a finite decimal number: optional spaces or tabs around
 * [+-]digits[.digits][(e|E)[+-]digits] (digits on at least one side of the point). Converts with
 * strtod in the "C" locale (exact, round-to-nearest). Returns 1 and *v on success; 0 if the text
 * is not such a number; -1 if it is one but overflows to infinity. */
int nnbi_parse_number(const char *s, double *v);

/* Shortest text that reads back as v ("%.15g", else "%.16g", else "%.17g"), in the C locale.
 * buf needs 32 bytes. */
void nnbi_format_number(double v, char *buf, size_t len);

/* Is the text a missing-value marker: empty (after trimming spaces), NA, N/A, NaN, nan, null,
 * NULL? */
int nnbi_is_missing(const char *s);

/* ---- memory ---------------------------------------------------------------------------------- */

/* Bytes this process can still expect to allocate: the smaller of MemAvailable (Linux) and the
 * address-space / data-segment limits, or SIZE_MAX if nothing is known. */
size_t nnbi_available_memory(void);

/* Formats a byte count for a message ("376.3 MiB"). */
void nnbi_format_bytes(size_t bytes, char *buf, size_t len);

/* Makes room for at least `need` elements of `elem` bytes in arr (capacity *cap, doubled from
 * `first`): returns the (possibly moved) array, or NULL if memory ran out (arr is then still
 * valid and *cap unchanged). */
void *nnbi_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first);

/* Reads fd to its end into a new buffer (*out, *len bytes) with one spare byte after them, for a
 * terminator. `expect` is the size the caller knows of (a regular file's; 0 if unknown): the
 * buffer starts at expect + 1 bytes and, once full, one byte is read aside to learn whether the
 * file goes on, so a file of the expected size is read without growing the buffer. With expect 0
 * (a stream: pipe, FIFO, device, /proc file) at most `limit` bytes are taken. stop_at_nul: a NUL
 * byte ends the read (checked as the bytes arrive). Returns 0; 1 if memory ran out; -1 with
 * errno set if a read failed; 2 past the limit (nothing returned); 3 at a NUL byte (*len is its
 * offset; nothing returned); 4 when the thread's interrupt flag is set (nnb_set_interrupt_flag;
 * polled before every read). */
enum {
    NNBI_READ_OK = 0,
    NNBI_READ_NOMEM = 1,
    NNBI_READ_LIMIT = 2,
    NNBI_READ_NUL = 3,
    NNBI_READ_CANCELLED = 4
};
int nnbi_read_fd(int fd, size_t expect, size_t limit, int stop_at_nul, char **out, size_t *len);

/* Opens and reads a whole input (regular file or stream) for reader `func`, with the byte limit
 * `limit` for streams (0: nnb_get_input_limit()), the memory check for regular files and, for text,
 * NUL bytes refused with their offset and line. Sets the error; *buf gets a terminator. */
nnb_status nnbi_read_input(const char *func, const char *path, size_t limit, int text, char **buf,
                           size_t *len);

/* Duplicates a string (NULL on failure). */
char *nnbi_strdup(const char *s);
/* A NUL-terminated copy of the n bytes at s (NULL on failure). */
char *nnbi_strndup(const char *s, size_t n);

#endif
