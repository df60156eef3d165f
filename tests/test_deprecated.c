/*
 * The names the naming rule replaced (nnblas.h, "Deprecated names") keep working until 1.0: each
 * old name is called here and must give what its replacement gives. A renamed function must be
 * the very same function: the library's symbol for the old name has the replacement's address
 * (looked up with dlsym in the library itself). tests/check_abi.py checks the same from the
 * header's list; this file checks it by calling.
 */
#define NNB_DISABLE_DEPRECATION_WARNINGS /* the old names, on purpose */
#define _GNU_SOURCE                      /* RTLD_NOLOAD */
#include <dlfcn.h>
#include <string.h>

#include "nnb_test.h"

/* old name, new name: the renamed functions whose parameters stayed */
static const char *const renamed[][2] = {
    {"nnb_gradcheck", "nnb_net_grad_check"},
    {"nnb_split", "nnb_rows_split"},
    {"nnb_permutation", "nnb_rows_permute"},
    {"nnb_gather_rows", "nnb_rows_gather"},
    {"nnb_nearest_name", "nnb_name_find_nearest"},
    {"nnb_train", "nnb_net_train"},
    {"nnb_train_f32", "nnb_net_train_f32"},
    {"nnb_read_input", "nnb_input_read"},
    {"nnb_too_many_classes", "nnb_target_has_too_many_classes"},
    {"nnb_prep_set_target", "nnb_prep_add_target"},
    {"nnb_model_save", "nnb_model_write"},
    {"nnb_model_save_size", "nnb_model_write_size"},
    {"nnb_history_len", "nnb_history_n_epochs"},
    {"nnb_meta_count", "nnb_meta_n_keys"},
    {"nnb_table_n_cols", "nnb_table_n_columns"},
    {"nnb_table_n_dropped", "nnb_table_n_dropped_rows"},
    {"nnb_prep_n_constant", "nnb_prep_n_constant_columns"},
    {"nnb_table_col_name", "nnb_table_column_name"},
    {"nnb_table_find_col", "nnb_table_find_column"},
    {"nnb_table_col_is_text", "nnb_table_column_is_text"},
    {"nnb_csv_parse", "nnb_csv_read_buffer"},
    {"nnb_csv_detect_delimiter_mem", "nnb_csv_detect_delimiter_buffer"},
    {"nnb_csv_options_create", "nnb_csv_opts_create"},
    {"nnb_csv_options_free", "nnb_csv_opts_free"},
    {"nnb_csv_options_set_delimiter", "nnb_csv_opts_set_delimiter"},
    {"nnb_csv_options_text_column", "nnb_csv_opts_add_text_column"},
    {"nnb_csv_options_skip_column", "nnb_csv_opts_skip_column"},
    {"nnb_csv_options_set_drop_bad_rows", "nnb_csv_opts_set_drop_bad_rows"},
    {"nnb_csv_options_set_input_limit", "nnb_csv_opts_set_input_limit"},
    {"nnb_input_limit", "nnb_get_input_limit"},
    {"nnb_status_count", "nnb_status_n_values"},
    {"nnb_activation_count", "nnb_activation_n_values"},
    {"nnb_init_count", "nnb_init_n_values"},
    {"nnb_dtype_count", "nnb_dtype_n_values"},
    {"nnb_loss_count", "nnb_loss_n_values"},
    {"nnb_reduction_count", "nnb_reduction_n_values"},
    {"nnb_optimizer_count", "nnb_optimizer_n_values"},
    {"nnb_schedule_count", "nnb_schedule_n_values"},
    {"nnb_history_field_count", "nnb_history_field_n_values"},
    {"nnb_target_kind_count", "nnb_target_kind_n_values"},
    {"nnb_scale_count", "nnb_scale_n_values"},
    {"nnb_unseen_count", "nnb_unseen_n_values"},
    {"nnb_mnist_part_count", "nnb_mnist_part_n_values"},
};

START_TEST(renamed_are_the_same_functions) {
    void *lib = dlopen("libnnblas.so.0", RTLD_NOW | RTLD_NOLOAD);
    ck_assert_msg(lib != NULL, "libnnblas.so.0 is not loaded: %s", dlerror());
    for (size_t i = 0; i < sizeof renamed / sizeof renamed[0]; i++) {
        void *old = dlsym(lib, renamed[i][0]), *new = dlsym(lib, renamed[i][1]);
        ck_assert_msg(old != NULL && new != NULL, "%s or %s missing", renamed[i][0], renamed[i][1]);
        ck_assert_msg(old == new, "%s is not %s", renamed[i][0], renamed[i][1]);
    }
    dlclose(lib);
}
END_TEST

/* A 2-4-1 network of seed 3. */
static nnb_net *small_net(void) {
    nnb_net *net = NULL;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 3));
    return net;
}

static const double X[8] = {0, 0, 0, 1, 1, 0, 1, 1}, Y[4] = {0, 1, 1, 0};

static void same_params(const nnb_net *a, const nnb_net *b) {
    double pa[64], pb[64];
    size_t n = nnb_net_n_params(a);
    ck_assert_uint_eq(n, nnb_net_n_params(b));
    nnbt_ok(nnb_net_params_get(a, pa, n));
    nnbt_ok(nnb_net_params_get(b, pb, n));
    ck_assert_mem_eq(pa, pb, n * sizeof(double));
}

START_TEST(networks_and_training) {
    nnb_net *a = small_net(), *b = small_net();
    double e1 = 0, e2 = 1;
    size_t w1 = 1, w2 = 2;
    nnbt_ok(nnb_gradcheck(a, X, 4, 2, Y, 1, NNB_LOSS_BCE, NNB_REDUCTION_MEAN, 0, &e1, &w1));
    nnbt_ok(nnb_net_grad_check(b, X, 4, 2, Y, 1, NNB_LOSS_BCE, NNB_REDUCTION_MEAN, 0, &e2, &w2));
    ck_assert(e1 == e2 && w1 == w2);
    nnb_train_opts *o = NULL;
    nnb_history *h = NULL;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_BCE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_train(a, o, X, 4, 2, Y, 1, h));
    nnbt_ok(nnb_net_train(b, o, X, 4, 2, Y, 1, NULL));
    same_params(a, b);
    ck_assert_uint_eq(nnb_history_len(h), 10);
    ck_assert_uint_eq(nnb_history_len(h), nnb_history_n_epochs(h));
    const float xf[8] = {0, 0, 0, 1, 1, 0, 1, 1}, yf[4] = {0, 1, 1, 0};
    nnbt_ok(nnb_train_f32(a, o, xf, 4, 2, yf, 1, NULL));
    nnbt_ok(nnb_net_train_f32(b, o, xf, 4, 2, yf, 1, NULL));
    same_params(a, b);
    /* nnb_net_convert(src, dtype, &out) is nnb_net_copy(&out, src, dtype) */
    nnb_net *c1 = NULL, *c2 = NULL;
    nnbt_ok(nnb_net_convert(a, NNB_F64, &c1));
    nnbt_ok(nnb_net_copy(&c2, a, NNB_F64));
    same_params(c1, c2);
    same_params(c1, a);
    nnb_net_free(c1);
    nnbt_expect(nnb_net_convert(a, (nnb_dtype)7, &c1), NNB_E_INVALID_ARG, "nnb_net_copy");
    ck_assert_ptr_null(c1);
    nnb_net_free(c2);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(a);
    nnb_net_free(b);
}
END_TEST

START_TEST(model_files) {
    nnb_net *net = small_net();
    nnb_meta *meta = NULL;
    nnbt_ok(nnb_meta_create(&meta));
    nnbt_ok(nnb_meta_set(meta, "k", "v"));
    ck_assert_uint_eq(nnb_meta_count(meta), 1);
    ck_assert_uint_eq(nnb_meta_count(meta), nnb_meta_n_keys(meta));
    size_t size = nnb_model_save_size(net, NULL, meta, 1);
    ck_assert_uint_eq(size, nnb_model_write_size(net, NULL, meta, 1));
    unsigned char *old = malloc(size), *new = malloc(size);
    size_t n_old = 0, n_new = 0;
    /* nnb_model_save_buffer(buf, len, &written, ...) is nnb_model_write_buffer(..., buf, len,
     * &written) */
    nnbt_ok(nnb_model_save_buffer(old, size, &n_old, net, NULL, meta, 1));
    nnbt_ok(nnb_model_write_buffer(net, NULL, meta, 1, new, size, &n_new));
    ck_assert(n_old == size && n_new == size);
    ck_assert_mem_eq(old, new, size);
    /* files: the same bytes as the buffers */
    const char *p1 = nnbt_tmp("old.nnb"), *p2 = nnbt_tmp("new.nnb");
    nnbt_ok(nnb_model_save(p1, net, NULL, meta, 1));
    nnbt_ok(nnb_model_write(p2, net, NULL, meta, 1));
    size_t l1 = 0, l2 = 0;
    char *f1 = nnbt_read_file(p1, &l1), *f2 = nnbt_read_file(p2, &l2);
    ck_assert(l1 == size && l2 == size);
    ck_assert_mem_eq(f1, old, size);
    ck_assert_mem_eq(f2, old, size);
    free(f1);
    free(f2);
    /* nnb_model_load(path, &net, &prep, &meta), nnb_model_load_buffer(buf, len, &net, ...) */
    nnb_net *a = NULL, *b = NULL;
    nnb_prep *prep = (nnb_prep *)1;
    nnb_meta *m = NULL;
    nnbt_ok(nnb_model_load(p1, &a, &prep, &m));
    ck_assert_ptr_null(prep);
    ck_assert_str_eq(nnb_meta_get(m, "k"), "v");
    nnb_meta_free(m);
    nnbt_ok(nnb_model_load_buffer(old, size, &b, NULL, NULL));
    same_params(a, net);
    same_params(b, net);
    nnb_net_free(a);
    nnb_net_free(b);
    nnbt_expect(nnb_model_load_buffer(old, 10, &a, NULL, NULL), NNB_E_FORMAT,
                "nnb_model_read_buffer");
    ck_assert_ptr_null(a);
    free(old);
    free(new);
    nnb_meta_free(meta);
    nnb_net_free(net);
}
END_TEST

static const char CSV[] = "a;b;c\n1;x;3\n;y;6\n7;x;9\n";

START_TEST(csv_tables) {
    char d1 = 0, d2 = 0;
    nnbt_ok(nnb_csv_detect_delimiter_mem(CSV, sizeof CSV - 1, &d1));
    nnbt_ok(nnb_csv_detect_delimiter_buffer(CSV, sizeof CSV - 1, &d2));
    ck_assert(d1 == ';' && d2 == ';');
    nnb_csv_options *o = NULL;
    nnbt_ok(nnb_csv_options_create(&o));
    nnbt_ok(nnb_csv_options_set_delimiter(o, ';'));
    nnbt_ok(nnb_csv_options_text_column(o, "b"));
    nnbt_ok(nnb_csv_options_skip_column(o, "c"));
    nnbt_ok(nnb_csv_options_set_drop_bad_rows(o, 1));
    nnbt_ok(nnb_csv_options_set_input_limit(o, 1000));
    nnb_table *t = NULL;
    nnbt_ok(nnb_csv_parse(&t, CSV, sizeof CSV - 1, "t.csv", o));
    ck_assert_uint_eq(nnb_table_n_rows(t), 2);
    ck_assert_uint_eq(nnb_table_n_cols(t), 2);
    ck_assert_uint_eq(nnb_table_n_cols(t), nnb_table_n_columns(t));
    ck_assert_uint_eq(nnb_table_n_dropped(t), 1);
    ck_assert_uint_eq(nnb_table_n_dropped(t), nnb_table_n_dropped_rows(t));
    ck_assert_str_eq(nnb_table_col_name(t, 1), "b");
    ck_assert_str_eq(nnb_table_column_name(t, 1), "b");
    size_t c1 = 9, c2 = 9;
    nnbt_ok(nnb_table_find_col(t, "b", &c1));
    nnbt_ok(nnb_table_find_column(t, "b", &c2));
    ck_assert(c1 == 1 && c2 == 1);
    ck_assert(nnb_table_col_is_text(t, 1) && nnb_table_column_is_text(t, 1));
    ck_assert(!nnb_table_col_is_text(t, 0) && !nnb_table_column_is_text(t, 0));
    nnbt_expect(nnb_table_find_col(t, "c", &c1), NNB_E_INVALID_ARG, "nnb_table_find_column");
    nnb_table_free(t);
    nnb_csv_options_free(o);
    ck_assert_uint_eq(nnb_input_limit(), nnb_get_input_limit());
    /* nnb_read_input */
    const char *path = nnbt_tmp("in.csv");
    ck_assert(nnbt_write_file(path, CSV, sizeof CSV - 1));
    char *data = NULL;
    size_t len = 0;
    nnbt_ok(nnb_read_input(path, 0, 1, &data, &len));
    ck_assert_uint_eq(len, sizeof CSV - 1);
    ck_assert_mem_eq(data, CSV, len);
    free(data);
}
END_TEST

START_TEST(splits_names_and_counts) {
    size_t o1[10], o2[10], n1[3], n2[3];
    nnbt_ok(nnb_split(10, 0.2, 0.1, 5, NULL, 0, o1, 10, &n1[0], &n1[1], &n1[2]));
    nnbt_ok(nnb_rows_split(10, 0.2, 0.1, 5, NULL, 0, o2, 10, &n2[0], &n2[1], &n2[2]));
    ck_assert_mem_eq(o1, o2, sizeof o1);
    ck_assert_mem_eq(n1, n2, sizeof n1);
    nnbt_ok(nnb_permutation(10, 8, o1, 10));
    nnbt_ok(nnb_rows_permute(10, 8, o2, 10));
    ck_assert_mem_eq(o1, o2, sizeof o1);
    const double src[6] = {1, 2, 3, 4, 5, 6};
    const size_t rows[2] = {2, 0};
    double g1[4], g2[4];
    nnbt_ok(nnb_gather_rows(src, 3, 2, rows, 2, g1, 4));
    nnbt_ok(nnb_rows_gather(src, 3, 2, rows, 2, g2, 4));
    ck_assert_mem_eq(g1, g2, sizeof g1);
    ck_assert(g1[0] == 5 && g1[3] == 2);
    const char *names[] = {"alpha", "beta"};
    ck_assert_ptr_eq(nnb_nearest_name("betta", names, 2), names[1]);
    ck_assert_ptr_eq(nnb_name_find_nearest("betta", names, 2), names[1]);
    ck_assert_int_eq(nnb_too_many_classes(30, 40), nnb_target_has_too_many_classes(30, 40));
    ck_assert_int_eq(nnb_too_many_classes(30, 40), 1);
    ck_assert_uint_eq(nnb_status_count(), nnb_status_n_values());
    ck_assert_uint_eq(nnb_activation_count(), nnb_activation_n_values());
    ck_assert_uint_eq(nnb_init_count(), nnb_init_n_values());
    ck_assert_uint_eq(nnb_dtype_count(), nnb_dtype_n_values());
    ck_assert_uint_eq(nnb_loss_count(), nnb_loss_n_values());
    ck_assert_uint_eq(nnb_reduction_count(), nnb_reduction_n_values());
    ck_assert_uint_eq(nnb_optimizer_count(), nnb_optimizer_n_values());
    ck_assert_uint_eq(nnb_schedule_count(), nnb_schedule_n_values());
    ck_assert_uint_eq(nnb_history_field_count(), nnb_history_field_n_values());
    ck_assert_uint_eq(nnb_target_kind_count(), nnb_target_kind_n_values());
    ck_assert_uint_eq(nnb_scale_count(), nnb_scale_n_values());
    ck_assert_uint_eq(nnb_unseen_count(), nnb_unseen_n_values());
    ck_assert_uint_eq(nnb_mnist_part_count(), nnb_mnist_part_n_values());
    ck_assert_uint_eq(nnb_loss_count(), (size_t)NNB_LOSS_CE + 1);
}
END_TEST

static const char CSV_TARGET[] = "x,y\n1,0\n2,1\n3,0\n";

START_TEST(preparations_and_idx) {
    /* nnb_prep_n_constant */
    nnb_prep *p = NULL;
    const double x[6] = {1, 5, 2, 5, 3, 5}; /* column 1 is constant */
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix(p, x, 3, 2, NNB_SCALE_STANDARD));
    ck_assert_uint_eq(nnb_prep_n_constant(p), 1);
    ck_assert_uint_eq(nnb_prep_n_constant_columns(p), 1);
    nnb_prep_free(p);
    /* nnb_prep_set_target: a target role, as nnb_prep_add_target gives */
    nnb_table *t = nnbt_parse(CSV_TARGET, sizeof CSV_TARGET - 1, NULL);
    nnb_prep *p1 = NULL, *p2 = NULL;
    nnbt_ok(nnb_prep_create(&p1));
    nnbt_ok(nnb_prep_create(&p2));
    nnbt_ok(nnb_prep_set_target(p1, "y", NNB_TARGET_ONEHOT));
    nnbt_ok(nnb_prep_add_target(p2, "y", NNB_TARGET_ONEHOT));
    nnbt_ok(nnb_prep_fit(p1, t, NULL, nnb_table_n_rows(t)));
    nnbt_ok(nnb_prep_fit(p2, t, NULL, nnb_table_n_rows(t)));
    ck_assert(nnb_prep_n_targets(p1) == 2 && nnb_prep_n_targets(p2) == 2);
    ck_assert_int_eq(nnb_prep_target_kind(p1), NNB_TARGET_ONEHOT);
    nnbt_expect(nnb_prep_set_target(p1, "y", NNB_TARGET_VALUES), NNB_E_STATE,
                "nnb_prep_add_target");
    nnb_prep_free(p1);
    nnb_prep_free(p2);
    nnb_table_free(t);
    /* nnb_mnist_read(dir, part, x, x_len, y, y_len, onehot) is nnb_mnist_read_part(dir, part,
     * onehot, x, x_len, y, y_len) */
    const char *dir = nnbt_idx_folder("mnist", 3, 2, 8); /* 8 x 8 images */
    double a[192], b[192], ya[30], yb[30];
    nnbt_ok(nnb_mnist_read(dir, NNB_MNIST_TRAIN, a, 192, ya, 30, 1));
    nnbt_ok(nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 1, b, 192, yb, 30));
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_mem_eq(ya, yb, sizeof ya);
    float af[128], bf[128], yaf[2], ybf[2];
    nnbt_ok(nnb_mnist_read_f32(dir, NNB_MNIST_TEST, af, 128, yaf, 2, 0));
    nnbt_ok(nnb_mnist_read_part_f32(dir, NNB_MNIST_TEST, 0, bf, 128, ybf, 2));
    ck_assert_mem_eq(af, bf, sizeof af);
    ck_assert_mem_eq(yaf, ybf, sizeof yaf);
    nnbt_expect(nnb_mnist_read(dir, NNB_MNIST_TEST, a, 128, NULL, 0, 2), NNB_E_INVALID_ARG,
                "onehot");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("deprecated");
    TCase *tc = tcase_create("old names");
    tcase_add_test(tc, renamed_are_the_same_functions);
    tcase_add_test(tc, networks_and_training);
    tcase_add_test(tc, model_files);
    tcase_add_test(tc, csv_tables);
    tcase_add_test(tc, splits_names_and_counts);
    tcase_add_test(tc, preparations_and_idx);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
