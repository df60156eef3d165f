/* A small trained model with every part a model file holds, for the model-file tests. */
#include <dirent.h>
#include <string.h>

#include "nnb_test.h"

void nnbt_model_make(nnbt_model *m, size_t epochs) {
    memset(m, 0, sizeof *m);
    /* 24 rows: an id to drop, a text category, a numeric category, three numbers scaled three
     * ways, and a text class */
    static const char *colours[] = {"red", "green", "Blue"}, *labels[] = {"cat", "dog", "emu"};
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, "id,colour,size,w,v,u,label\n");
    for (int r = 0; r < 24; r++) {
        double w = 0.25 * ((r * 7) % 13) - 1.0, v = 10.0 + (r * 5) % 9, u = -0.5 * (r % 4);
        int size = 1 + (r * 3) % 4, cls = (w > 0.5) + (w > 1.5) + (r % 5 == 0 ? 1 : 0);
        n += (size_t)snprintf(text + n, sizeof text - n, "r%d,%s,%d,%.17g,%.17g,%.17g,%s\n", r,
                              colours[r % 3], size == 4 ? 10 : size, w, v, u, labels[cls % 3]);
    }
    nnb_csv_opts *o = nnbt_text_columns("id colour label");
    m->table = nnbt_parse(text, n, o);
    nnb_csv_opts_free(o);
    nnbt_ok(nnb_prep_create(&m->prep));
    nnbt_ok(nnb_prep_drop(m->prep, "id"));
    nnbt_ok(nnb_prep_onehot(m->prep, "colour"));
    nnbt_ok(nnb_prep_onehot(m->prep, "size"));
    nnbt_ok(nnb_prep_scale(m->prep, "w", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_scale(m->prep, "v", NNB_SCALE_MINMAX));
    nnbt_ok(nnb_prep_add_target(m->prep, "label", NNB_TARGET_ONEHOT));
    nnbt_ok(nnb_prep_set_unseen(m->prep, NNB_UNSEEN_ZERO));
    m->rows = nnb_table_n_rows(m->table);
    nnbt_ok(nnb_prep_fit(m->prep, m->table, NULL, m->rows));
    m->nf = nnb_prep_n_features(m->prep);
    m->ny = nnb_prep_n_targets(m->prep);
    m->x = malloc(m->rows * m->nf * sizeof *m->x);
    m->y = malloc(m->rows * m->ny * sizeof *m->y);
    nnbt_ok(nnb_prep_apply(m->prep, m->table, NULL, m->rows, m->x, m->rows * m->nf, m->y,
                           m->rows * m->ny));

    nnbt_ok(nnb_net_create(&m->net, m->nf));
    nnbt_ok(nnb_net_add_dense(m->net, 5, NNB_ACT_LEAKY_RELU, 1));
    nnbt_ok(nnb_net_set_leaky_slope(m->net, 0, 0.2));
    nnbt_ok(nnb_net_add_dense(m->net, 4, NNB_ACT_TANH, 0));
    nnbt_ok(nnb_net_add_dense(m->net, m->ny, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_net_init(m->net, NNB_INIT_XAVIER_UNIFORM, 11));
    if (epochs) {
        nnb_train_opts *t;
        nnbt_ok(nnb_train_opts_create(&t));
        nnbt_model_opts(t, epochs);
        nnbt_ok(nnb_net_train(m->net, t, m->x, m->rows, m->nf, m->y, m->ny, NULL));
        nnb_train_opts_free(t);
    }

    nnbt_ok(nnb_meta_create(&m->meta));
    nnbt_ok(nnb_meta_set(m->meta, "title", "three animals"));
    nnbt_ok(nnb_meta_set(m->meta, "empty", ""));
    nnbt_ok(nnb_meta_set(m->meta, "caf\xc3\xa9", "na\xc3\xafve, \"quoted\"\nnew line"));
}

void nnbt_model_opts(nnb_train_opts *t, size_t epochs) {
    nnbt_ok(nnb_train_opts_set_epochs(t, epochs));
    nnbt_ok(nnb_train_opts_set_batch_size(t, 5));
    nnbt_ok(nnb_train_opts_set_loss(t, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_optimizer(t, NNB_OPT_ADAM, 0.01));
    nnbt_ok(nnb_train_opts_set_dropout(t, 0.1));
}

void nnbt_model_free(nnbt_model *m) {
    nnb_net_free(m->net);
    nnb_prep_free(m->prep);
    nnb_meta_free(m->meta);
    nnb_table_free(m->table);
    free(m->x);
    free(m->y);
    memset(m, 0, sizeof *m);
}

void nnbt_fix_crc(unsigned char *b, size_t len) {
    uint32_t c = nnbt_crc32(b, len - 4);
    for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(c >> (8 * i));
}

/* CRC-32 (ISO-HDLC, as zlib's crc32), bit by bit: an implementation independent of zlib. */
uint32_t nnbt_crc32(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

int nnbt_count_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}
