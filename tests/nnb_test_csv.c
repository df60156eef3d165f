/* Test helpers for CSV input, in their own object file so that suites built without the library
 * (tests of internals) do not pull them in. */
#include <string.h>

#include "nnb_test.h"

nnb_csv_opts *nnbt_text_columns(const char *names) {
    nnb_csv_opts *o;
    nnbt_ok(nnb_csv_opts_create(&o));
    char name[256];
    for (const char *p = names; p && *p;) {
        size_t n = strcspn(p, " ");
        ck_assert(n < sizeof name);
        memcpy(name, p, n);
        name[n] = 0;
        if (n) nnbt_ok(nnb_csv_opts_add_text_column(o, name));
        p += n + (p[n] == ' ');
    }
    return o;
}

nnb_table *nnbt_parse(const char *text, size_t len, const nnb_csv_opts *o) {
    nnb_table *t = NULL;
    nnbt_ok(nnb_csv_read_buffer(&t, text, len, "data.csv", o));
    ck_assert_ptr_nonnull(t);
    return t;
}
