/* Untrusted text made safe for a terminal (text_escape.h). */
#include "text_escape.h"

#include <stdio.h>
#include <string.h>

/* The code point of the UTF-8 sequence at s (its length in *len), or -1 if the bytes there are
 * not valid UTF-8 (an overlong form, a surrogate, beyond U+10FFFF, a cut sequence). */
static long decode(const unsigned char *s, size_t *len) {
    unsigned c = s[0];
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (n == 1 || c > 0xf4) return -1;
    long cp = (long)(c & (0x7f >> n));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return -1;
        cp = cp << 6 | (long)(s[i] & 0x3f);
    }
    static const long min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    *len = n;
    return cp;
}

/* A code point that reorders or breaks the line it is on. */
static int format_control(long cp) {
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f || cp == 0x2028 ||
           cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The unit at s, escaped into out (at most 7 bytes and a NUL); *used: the bytes of s it takes. */
static size_t unit(const unsigned char *s, char out[8], size_t *used) {
    unsigned c = s[0];
    *used = 1;
    if (c >= 0x20 && c < 0x7f) {
        out[0] = (char)c;
        return 1;
    }
    if (c == '\n' || c == '\r' || c == '\t')
        return (size_t)snprintf(out, 8, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
    if (c < 0x80) return (size_t)snprintf(out, 8, "\\x%02x", c);
    size_t n;
    long cp = decode(s, &n);
    if (cp < 0) return (size_t)snprintf(out, 8, "\\x%02x", c);
    *used = n;
    if (format_control(cp)) return (size_t)snprintf(out, 8, "\\u%04lx", (unsigned long)cp);
    memcpy(out, s, n);
    return n;
}

size_t nnbi_escape_text(char *dst, size_t cap, const char *src) {
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    size_t need = 0, at = 0;
    int full = cap == 0;
    while (*s) {
        char out[8];
        size_t used, k = unit(s, out, &used);
        if (!full && at + k < cap) {
            memcpy(dst + at, out, k);
            at += k;
        } else {
            full = 1;
        }
        need += k;
        s += used;
    }
    if (cap) dst[at] = '\0';
    return need;
}
