/*
 * Untrusted text made safe for a terminal: what a file says (a CSV's labels and column names, a
 * model's metadata, the library's messages that quote them) must not move the cursor, retitle
 * the terminal, clear the screen, reorder a line or fake a line of output. One source, compiled
 * into the library (its error messages) and the nnblas command (everything it prints from a
 * file), as atomic_file.c.
 *
 * Escaped: the C0 controls and DEL (\n, \r, \t as such; the others as \xHH, ESC as \x1b), the C1
 * controls U+0080..U+009F, the line and paragraph separators U+2028/U+2029 and the
 * bidirectional marks, embeddings, overrides and isolates (U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069) as \uHHHH, and every byte that is not part of valid UTF-8 as \xHH. Everything
 * else (printable ASCII, valid UTF-8, the backslash) is copied as it is, so escaping twice
 * changes nothing.
 */
#ifndef NNBLAS_TEXT_ESCAPE_H
#define NNBLAS_TEXT_ESCAPE_H

#include <stddef.h>

/* Writes src escaped into dst (cap bytes, NUL-terminated when cap > 0; an escape is never cut in
 * two: the text stops before one that does not fit) and returns the length the whole escaped
 * text needs, without the NUL (as snprintf; dst may be NULL when cap is 0). Allocates nothing. */
size_t nnbi_escape_text(char *dst, size_t cap, const char *src);

#endif
