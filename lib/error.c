/* Status strings and the thread-local last-error message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nnb_internal.h"
#include "text_escape.h"

#define NNBI_ERRBUF 1024

static _Thread_local char last_error[NNBI_ERRBUF];

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
    [NNB_OK] = {"NNB_OK", "success"},
    [NNB_E_NOMEM] = {"NNB_E_NOMEM", "out of memory"},
    [NNB_E_INVALID_ARG] = {"NNB_E_INVALID_ARG", "invalid argument"},
    [NNB_E_NULL] = {"NNB_E_NULL", "NULL pointer"},
    [NNB_E_SHAPE] = {"NNB_E_SHAPE", "shape mismatch"},
    [NNB_E_NONFINITE] = {"NNB_E_NONFINITE", "NaN or infinity in data"},
    [NNB_E_TOO_LARGE] = {"NNB_E_TOO_LARGE", "size too large"},
    [NNB_E_IO] = {"NNB_E_IO", "input/output error"},
    [NNB_E_FORMAT] = {"NNB_E_FORMAT", "malformed data"},
    [NNB_E_VERSION] = {"NNB_E_VERSION", "unsupported format version"},
    [NNB_E_CHECKSUM] = {"NNB_E_CHECKSUM", "checksum mismatch"},
    [NNB_E_CANCELLED] = {"NNB_E_CANCELLED", "cancelled"},
    [NNB_E_UNSUPPORTED] = {"NNB_E_UNSUPPORTED", "not supported"},
    [NNB_E_STATE] = {"NNB_E_STATE", "invalid state"},
    [NNB_E_INTERNAL] = {"NNB_E_INTERNAL", "internal error"},
    [NNB_E_COMM] = {"NNB_E_COMM", "communication failed"},
};

#define N_STATUS (sizeof status_table / sizeof status_table[0])

NNB_API const char *nnb_status_string(nnb_status status) {
    unsigned s = (unsigned)status;
    if (s < N_STATUS && status_table[s].text) return status_table[s].text;
    return "unknown status";
}

NNB_API const char *nnb_status_name(nnb_status status) {
    unsigned s = (unsigned)status;
    if (s < N_STATUS && status_table[s].name) return status_table[s].name;
    return "NNB_E_UNKNOWN";
}

NNB_API const char *nnb_last_error(void) { return last_error; }

NNB_API void nnb_clear_error(void) { last_error[0] = '\0'; }

/* Messages quote what files say (a CSV cell, a column name, a model's metadata): they are kept
 * escaped (text_escape.h), so that printing one cannot drive the terminal. */
NNB_API nnb_status nnb_set_error(nnb_status status, const char *message) {
    nnbi_escape_text(last_error, sizeof last_error, message);
    return status;
}

nnb_status nnbi_error(nnb_status status, const char *func, const char *fmt, ...) {
    char msg[NNBI_ERRBUF];
    int n = snprintf(msg, sizeof msg, "%s: ", func ? func : "nnblas");
    if (n < 0 || (size_t)n >= sizeof msg) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    nnbi_escape_text(last_error, sizeof last_error, msg);
    return status;
}
