/* The internal constructors that model files use to rebuild a fitted preparation
 * (lib/prep_internal.h): a rebuilt copy behaves exactly like the original, and inconsistent stored
 * values are errors, not crashes. Compiled with the lib/ sources it needs. */
#include <string.h>
#include <sys/resource.h>

#include "nnb_test.h"
#include "data_internal.h"
#include "prep_internal.h"

/* Rebuilds p from its serialisable fields, as model_io.c will. */
static nnb_status rebuild(const nnb_prep *p, nnb_prep **out) {
    nnb_prep *q;
    nnb_status st = nnbi_prep_new_fitted(&q, p->fit_kind, p->target_kind, p->unseen, "rebuild");
    if (st != NNB_OK) return st;
    for (size_t i = 0; i < p->n_inputs && st == NNB_OK; i++) {
        const nnbi_prep_input *in = &p->inputs[i];
        st = nnbi_prep_add_input(q, in->name, in->role, in->encoding, in->scale, in->a, in->b,
                                 in->text, in->n_cats, (const char *const *)in->cats, "rebuild");
    }
    if (st == NNB_OK) st = nnbi_prep_finish(q, "rebuild");
    if (st != NNB_OK) {
        nnb_prep_free(q);
        q = NULL;
    }
    *out = q;
    return st;
}

START_TEST(rebuilt_copy_is_identical) {
    const char *text = "name,colour,size,w,v,label\n"
                       "a,red,1,3.5,10,cat\nb,green,2,1.25,20,dog\nc,red,10,7,30,emu\n"
                       "d,Blue,2,2,40,dog\ne,green,1,9,50,cat\n";
    nnb_csv_opts *o = nnbt_text_columns("name colour label");
    nnb_table *t = nnbt_parse(text, strlen(text), o);
    nnb_prep *p, *q;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_drop(p, "name"));
    nnbt_ok(nnb_prep_onehot(p, "colour"));
    nnbt_ok(nnb_prep_onehot(p, "size"));
    nnbt_ok(nnb_prep_scale(p, "w", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_scale(p, "v", NNB_SCALE_MINMAX));
    nnbt_ok(nnb_prep_add_target(p, "label", NNB_TARGET_ONEHOT));
    nnbt_ok(nnb_prep_set_unseen(p, NNB_UNSEEN_ZERO));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 5));
    nnbt_ok(rebuild(p, &q));
    size_t nf = nnb_prep_n_features(p), ny = nnb_prep_n_targets(p);
    ck_assert_uint_eq(nnb_prep_n_features(q), nf);
    ck_assert_uint_eq(nnb_prep_n_targets(q), ny);
    for (size_t j = 0; j < nf; j++)
        ck_assert_str_eq(nnb_prep_feature_name(q, j), nnb_prep_feature_name(p, j));
    for (size_t j = 0; j < ny; j++)
        ck_assert_str_eq(nnb_prep_target_name(q, j), nnb_prep_target_name(p, j));
    double x1[64], x2[64], y1[16], y2[16];
    nnbt_ok(nnb_prep_apply(p, t, NULL, 5, x1, 64, y1, 16));
    nnbt_ok(nnb_prep_apply(q, t, NULL, 5, x2, 64, y2, 16));
    ck_assert(memcmp(x1, x2, 5 * nf * sizeof *x1) == 0);
    ck_assert(memcmp(y1, y2, 5 * ny * sizeof *y1) == 0);
    nnb_prep_free(q);
    /* a matrix preparation too */
    double m[6] = {1, 2, 3, 4, 5, 7};
    nnb_prep *pm;
    nnbt_ok(nnb_prep_create(&pm));
    nnbt_ok(nnb_prep_fit_matrix(pm, m, 3, 2, NNB_SCALE_STANDARD));
    nnbt_ok(rebuild(pm, &q));
    double m1[6], m2[6];
    memcpy(m1, m, sizeof m);
    memcpy(m2, m, sizeof m);
    nnbt_ok(nnb_prep_transform(pm, m1, 3, 2));
    nnbt_ok(nnb_prep_transform(q, m2, 3, 2));
    ck_assert(memcmp(m1, m2, sizeof m1) == 0);
    nnb_prep_free(q);
    nnb_prep_free(pm);
    nnb_prep_free(p);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
}
END_TEST

/* Stored values that do not make sense are NNB_E_FORMAT with a message. */
START_TEST(inconsistent_values) {
    nnb_prep *q;
    const char *sorted[] = {"1", "2", "10"}, *unsorted[] = {"2", "1"}, *words[] = {"b", "a"};
    const char *not_num[] = {"x"};
    ck_assert_int_eq(nnbi_prep_new_fitted(&q, 9, NNB_TARGET_VALUES, NNB_UNSEEN_ERROR, "t"),
                     NNB_E_FORMAT);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(
        nnbi_prep_new_fitted(&q, NNBI_FIT_TABLE, (nnb_target_kind)7, NNB_UNSEEN_ERROR, "t"),
        NNB_E_FORMAT);
    nnbt_ok(nnbi_prep_new_fitted(&q, NNBI_FIT_TABLE, NNB_TARGET_VALUES, NNB_UNSEEN_ERROR, "t"));
    ck_assert_int_eq(nnbi_prep_add_input(q, "a", 5, NNBI_ENC_NUMBER, 0, 0, 1, 0, 0, NULL, "t"),
                     NNB_E_FORMAT);
    ck_assert_int_eq(nnbi_prep_add_input(q, NULL, 0, NNBI_ENC_NUMBER, 0, 0, 1, 0, 0, NULL, "t"),
                     NNB_E_FORMAT);
    ck_assert_int_eq(
        nnbi_prep_add_input(q, "a", 0, NNBI_ENC_NUMBER, NNB_SCALE_STANDARD, 0, -1, 0, 0, NULL, "t"),
        NNB_E_FORMAT);
    ck_assert_int_eq(
        nnbi_prep_add_input(q, "a", 0, NNBI_ENC_NUMBER, NNB_SCALE_MINMAX, NAN, 1, 0, 0, NULL, "t"),
        NNB_E_FORMAT);
    ck_assert_int_eq(
        nnbi_prep_add_input(q, "c", 0, NNBI_ENC_CATEGORY, 0, 0, 1, 0, 2, unsorted, "t"),
        NNB_E_FORMAT);
    ck_assert_int_eq(nnbi_prep_add_input(q, "c", 0, NNBI_ENC_CATEGORY, 0, 0, 1, 1, 2, words, "t"),
                     NNB_E_FORMAT);
    ck_assert_int_eq(nnbi_prep_add_input(q, "c", 0, NNBI_ENC_CATEGORY, 0, 0, 1, 0, 1, not_num, "t"),
                     NNB_E_FORMAT);
    ck_assert_msg(strstr(nnb_last_error(), "'x' is not a number"), "%s", nnb_last_error());
    ck_assert_int_eq(nnbi_prep_finish(q, "t"), NNB_E_FORMAT); /* no feature yet */
    nnbt_ok(nnbi_prep_add_input(q, "c", 0, NNBI_ENC_CATEGORY, 0, 0, 1, 0, 3, sorted, "t"));
    /* a class target under the VALUES kind */
    nnbt_ok(nnbi_prep_add_input(q, "y", NNBI_ROLE_TARGET, NNBI_ENC_CATEGORY, 0, 0, 1, 0, 3, sorted,
                                "t"));
    ck_assert_int_eq(nnbi_prep_finish(q, "t"), NNB_E_FORMAT);
    ck_assert(!nnb_prep_is_fitted(q));
    nnb_prep_free(q);
}
END_TEST

/* More stored values that do not make sense: each NNB_E_FORMAT with a message naming it. */
START_TEST(inconsistent_values_named) {
    nnb_prep *q;
    ck_assert_int_eq(
        nnbi_prep_new_fitted(&q, NNBI_FIT_TABLE, NNB_TARGET_VALUES, (nnb_unseen)5, "t"),
        NNB_E_FORMAT);
    ck_assert_msg(strstr(nnb_last_error(), "unseen-category policy 5"), "%s", nnb_last_error());
    ck_assert_ptr_null(q);
    /* a missing category label */
    const char *holes[] = {"a", NULL};
    nnbt_ok(nnbi_prep_new_fitted(&q, NNBI_FIT_TABLE, NNB_TARGET_VALUES, NNB_UNSEEN_ERROR, "t"));
    nnbt_expect(nnbi_prep_add_input(q, "c", 0, NNBI_ENC_CATEGORY, 0, 0, 1, 1, 2, holes, "t"),
                NNB_E_FORMAT, "column 'c': category 1 is missing");
    nnb_prep_free(q);
    /* a matrix preparation with a category column, or a target */
    const char *cats[] = {"a", "b"};
    nnbt_ok(nnbi_prep_new_fitted(&q, NNBI_FIT_MATRIX, NNB_TARGET_VALUES, NNB_UNSEEN_ERROR, "t"));
    nnbt_ok(nnbi_prep_add_input(q, "x0", 0, NNBI_ENC_NUMBER, 0, 0, 1, 0, 0, NULL, "t"));
    nnbt_ok(nnbi_prep_add_input(q, "x1", 0, NNBI_ENC_CATEGORY, 0, 0, 1, 1, 2, cats, "t"));
    nnbt_expect(nnbi_prep_finish(q, "t"), NNB_E_FORMAT, "only number features");
    nnb_prep_free(q);
    nnbt_ok(nnbi_prep_new_fitted(&q, NNBI_FIT_MATRIX, NNB_TARGET_VALUES, NNB_UNSEEN_ERROR, "t"));
    nnbt_ok(
        nnbi_prep_add_input(q, "x0", NNBI_ROLE_TARGET, NNBI_ENC_NUMBER, 0, 0, 1, 0, 0, NULL, "t"));
    nnbt_expect(nnbi_prep_finish(q, "t"), NNB_E_FORMAT, "only number features");
    nnb_prep_free(q);
    /* a value target under a classification kind */
    nnbt_ok(nnbi_prep_new_fitted(&q, NNBI_FIT_TABLE, NNB_TARGET_INDEX, NNB_UNSEEN_ERROR, "t"));
    nnbt_ok(nnbi_prep_add_input(q, "f", 0, NNBI_ENC_NUMBER, 0, 0, 1, 0, 0, NULL, "t"));
    nnbt_ok(
        nnbi_prep_add_input(q, "y", NNBI_ROLE_TARGET, NNBI_ENC_NUMBER, 0, 0, 1, 0, 0, NULL, "t"));
    nnbt_expect(nnbi_prep_finish(q, "t"), NNB_E_FORMAT, "value targets under a classification");
    ck_assert(!nnb_prep_is_fitted(q));
    nnb_prep_free(q);
}
END_TEST

/* The memory figures of the data layer: a resource limit bounds the memory a read may count on,
 * and byte counts read as people write them. */
START_TEST(memory_figures) {
#if !defined(__SANITIZE_ADDRESS__) /* AddressSanitizer reserves terabytes of address space */
    struct rlimit old;
    ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
    rlim_t cap = (rlim_t)1 << 42; /* 4 TiB: far above what the test uses */
    if (old.rlim_max != RLIM_INFINITY && old.rlim_max < cap) cap = old.rlim_max;
    struct rlimit lim = {cap, old.rlim_max};
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
    size_t avail = nnbi_available_memory();
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
    ck_assert_msg(avail <= (size_t)cap, "%zu > the limit %zu", avail, (size_t)cap);
#endif
    char buf[32];
    nnbi_format_bytes(100, buf, sizeof buf);
    ck_assert_str_eq(buf, "100 bytes");
    nnbi_format_bytes(3 * 1024 * 1024 / 2, buf, sizeof buf);
    ck_assert_str_eq(buf, "1.5 MiB");
}
END_TEST

static Suite *prep_internal_suite(void) {
    Suite *s = suite_create("prep_internal");
    TCase *tc = tcase_create("rebuild");
    tcase_add_test(tc, rebuilt_copy_is_identical);
    tcase_add_test(tc, inconsistent_values);
    tcase_add_test(tc, inconsistent_values_named);
    tcase_add_test(tc, memory_figures);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(prep_internal_suite, 0)
