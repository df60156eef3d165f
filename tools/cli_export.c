/* The nnblas command: `nnblas export`, a saved model as ONNX or as C source (lib/export*.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const command cmd_export = {
    "export",
    "usage: nnblas export MODEL (--onnx FILE.onnx | --c FILE.c) [--header FILE.h] [--name NAME]\n"
    "                     [--int8] [--own-math] [--dtype f32|f64] [--input-scale S]\n"
    "                     [--csv FILE | --idx SPEC]\n"
    "\n"
    "Writes a saved model in a form that runs without nnblas: an ONNX file (IR version 7,\n"
    "opset 13, for onnxruntime, a browser or onnx2c), or one C99 source file and its header with\n"
    "the parameters compiled in (NAME_predict(), no allocation, nothing but <math.h>). Both take\n"
    "the raw values nnblas predict reads (the model's preparation is inside: column order,\n"
    "scaling, one-hot columns; the image bytes 0-255 for a model trained on IDX images) and give\n"
    "what it writes. A one-hot text column takes the index of its category (listed in the ONNX\n"
    "metadata and the header). Files are written atomically; the model itself is never\n"
    "overwritten. docs/export.md has a worked example.\n"
    "\n"
    "  MODEL           a model saved by nnblas train (or nnb_model_write); --model MODEL too\n"
    "  --onnx FILE     write an ONNX file\n"
    "  --c FILE        write C source (and its header: FILE with .c replaced by .h)\n"
    "  --header FILE   the header's path (its file name: letters, digits, . - _ +)\n"
    "  --name NAME     the prefix of the C names (NAME_predict) and the ONNX graph's name; a C\n"
    "                  identifier of up to 40 characters (default: the output file's name\n"
    "                  without its extension when it is one, else model)\n"
    "  --int8          C source: int8 weights, one scale per output unit (about a quarter of\n"
    "                  the float32 weights' bytes); reports the accuracy kept on the data\n"
    "  --own-math      C source: the file's own exp and tanh, so it needs no library at all\n"
    "  --dtype T       the exported model's type: f32 (float) or f64 (double); default the\n"
    "                  model's\n"
    "  --input-scale S multiply raw inputs by S before the preparation (default: 1/255 for a\n"
    "                  model trained on IDX images, whose exports take the bytes 0-255, else 1)\n"
    "  --csv FILE      labelled data to measure the int8 accuracy on (default: the data the\n"
    "                  model was trained on, when it can be read: the test part of IDX images)\n"
    "  --idx SPEC      the same, as an MNIST-style folder (its test part)\n"
    "  --help          this text\n",
};

typedef struct export_args {
    const char *model, *onnx, *c, *header, *name, *csv, *idx;
    int int8, own_math, dtype; /* dtype -1: the model's */
    double input_scale;
} export_args;

static int parse_export(int argc, char **argv, export_args *e) {
    memset(e, 0, sizeof *e);
    e->dtype = -1;
    args a = {argc, argv, 2, &cmd_export, 0, NULL, 0};
    while (a.i < argc && !a.status) {
        const char *v = NULL;
        if (arg_flag(&a, "--help")) {
            fputs(cmd_export.help, stdout);
            return -1;
        } else if (arg_value(&a, "--model", &v)) {
            e->model = v;
        } else if (arg_value(&a, "--onnx", &v)) {
            e->onnx = v;
        } else if (arg_value(&a, "--c", &v)) {
            e->c = v;
        } else if (arg_value(&a, "--header", &v)) {
            e->header = v;
        } else if (arg_value(&a, "--name", &v)) {
            e->name = v;
        } else if (arg_value(&a, "--csv", &v)) {
            e->csv = v;
        } else if (arg_value(&a, "--idx", &v)) {
            e->idx = v;
        } else if (arg_flag(&a, "--int8")) {
            e->int8 = 1;
        } else if (arg_flag(&a, "--own-math")) {
            e->own_math = 1;
        } else if (arg_value(&a, "--dtype", &v)) {
            nnb_dtype dt;
            if (v && nnb_dtype_parse(v, &dt) != NNB_OK) return bad_name(&a, "--dtype"), a.status;
            if (v) e->dtype = (int)dt;
        } else if (arg_value(&a, "--input-scale", &v)) {
            if (v && !parse_double(&a, "--input-scale", v, &e->input_scale)) return a.status;
            if (v && !(e->input_scale > 0))
                return usage_error(&cmd_export, "--input-scale: %s is not a positive number", v);
        } else if (argv[a.i][0] != '-' && !e->model) {
            e->model = argv[a.i++];
        } else {
            const char *known[] = {"--help",   "--model",       "--onnx", "--c",
                                   "--header", "--name",        "--int8", "--own-math",
                                   "--dtype",  "--input-scale", "--csv",  "--idx"};
            return unknown_arg(&cmd_export, argv[a.i], known, sizeof known / sizeof known[0]);
        }
    }
    if (a.status) return a.status;
    if (!e->model) return usage_error(&cmd_export, "no model: give MODEL (or --model MODEL)");
    if (!e->onnx && !e->c) return usage_error(&cmd_export, "give --onnx FILE or --c FILE");
    if (!e->c && (e->header || e->int8 || e->own_math))
        return usage_error(&cmd_export, "--header, --int8 and --own-math are for --c");
    if (e->csv && e->idx) return usage_error(&cmd_export, "give either --csv or --idx, not both");
    if ((e->csv || e->idx) && !e->int8)
        return usage_error(&cmd_export, "--csv and --idx give the data --int8 reports on");
    nnb_export_opts *o;
    if (nnb_export_opts_create(&o) != NNB_OK) return fail_nnb();
    int bad = e->name && nnb_export_opts_set_name(o, e->name) != NNB_OK;
    nnb_export_opts_free(o);
    if (bad) return usage_error(&cmd_export, "--name: %s", lib_message());
    return 0;
}

int check_export(int argc, char **argv) {
    export_args e;
    int r = parse_export(argc, argv, &e);
    return r < 0 ? EXIT_OK : r;
}

/* Before any work: each output is a file (not "-"), none is the model, the data --int8 reads,
 * or another output (check_data_files: by identity, links followed), and each can be written. */
static int check_outputs(const export_args *e, const char *header) {
    const char *out[3] = {e->onnx, e->c, header};
    const char *what[3] = {"--onnx", "--c", "--header"};
    file_use uses[4] = {{"MODEL", e->model, 0, 0}};
    size_t n = 1;
    for (int i = 0; i < 3; i++) {
        if (!out[i]) continue;
        int st = file_output(&cmd_export, what[i], out[i]);
        if (st != EXIT_OK) return st;
        uses[n++] = (file_use){what[i], out[i], 1, 0};
    }
    data_flags df = {.csv = e->csv, .idx = e->idx}; /* the rest none, decimal mark detected */
    int st = check_data_files(&cmd_export, &df, uses, n);
    for (int i = 0; i < 3 && st == EXIT_OK; i++)
        if (out[i] && !check_writable(out[i])) st = EXIT_FAIL;
    return st;
}

static const char *human_bytes(double b, char buf[32]) {
    if (b < 10000)
        snprintf(buf, 32, "%.0f bytes", b);
    else if (b < 1e7)
        snprintf(buf, 32, "%.1f KB", b / 1e3);
    else
        snprintf(buf, 32, "%.1f MB", b / 1e6);
    return buf;
}

static double file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size : 0;
}

/* The bytes of the parameters as the C file holds them: W (int8: a byte each, plus a scale per
 * output unit or filter) and b. */
static double param_bytes(const nnb_net *net, int int8) {
    double b = 0, elem = nnb_net_dtype(net) == NNB_F32 ? 4 : 8;
    for (size_t l = 0; l < nnb_net_n_layers(net); l++) {
        size_t n_out, n_filters = 0;
        int bias;
        nnb_net_layer_info(net, l, NULL, &n_out, NULL, &bias, NULL, NULL);
        if (strcmp(nnb_net_layer_kind(net, l), "dense") != 0)
            nnb_net_layer_window(net, l, NULL, &n_filters), n_out = n_filters;
        double nw = (double)(nnb_net_layer_n_params(net, l) - (bias ? n_out : 0));
        b += nw * (int8 ? 1 : elem) + (double)n_out * elem * (bias + int8);
    }
    return b;
}

/* What the int8 report measures on: labelled data, read before anything is written. */
typedef struct int8_data {
    mat x, y;
    const char *src; /* the data's name */
    int have;        /* x and y hold it */
    char why[512];   /* else why not */
} int8_data;

/* Is the model's own data (metadata "data": "idx:SPEC" or "csv:FILE") there to read? */
static int own_data_there(const char *data) {
    if (strncmp(data, "csv:", 4) == 0) return access(data + 4, R_OK) == 0;
    idx_spec s;
    char err[256];
    return idx_spec_parse(data + 4, &s, err, sizeof err) && access(s.dir, R_OK) == 0;
}

/* --csv/--idx (an error when they cannot be read: 0 after a message, before anything is
 * written), else the model's own data when it is there (a note in d->why when it is not). */
static int int8_read(const export_args *e, model_info *mi, int8_data *d) {
    memset(d, 0, sizeof *d);
    data_flags df = {.csv = e->csv, .idx = e->idx}; /* the rest none, decimal mark detected */
    const char *data = nnb_meta_get(mi->meta, "data");
    d->src = e->csv ? e->csv : e->idx;
    if (!d->src && data && (strncmp(data, "idx:", 4) == 0 || strncmp(data, "csv:", 4) == 0)) {
        if (!own_data_there(data)) {
            snprintf(d->why, sizeof d->why,
                     "not measured: the model's data (%s) is not there; "
                     "give --csv or --idx",
                     esc(data));
            return 1;
        }
        d->src = data + 4;
        if (data[0] == 'i')
            df.idx = d->src;
        else
            df.csv = d->src;
    }
    if (!d->src) {
        snprintf(d->why, sizeof d->why, "not measured: no data (give --csv or --idx)");
        return 1;
    }
    if (!mi->n_classes && !mi->prep) {
        snprintf(d->why, sizeof d->why, "not measured: the model has no targets to compare with");
        return 1;
    }
    d->have = model_data(mi, &df, 1, &d->x, &d->y);
    if (!d->have && (e->csv || e->idx)) return 0; /* the message is out */
    if (!d->have)
        snprintf(d->why, sizeof d->why, "not measured: %s could not be read", esc(d->src));
    return 1;
}

/* --int8: what the int8 weights keep, measured on labelled data. */
static void report_int8(model_info *mi, const nnb_net *net, int8_data *d) {
    if (!d->have) {
        printf("int8 accuracy: %s\n", d->why);
        return;
    }
    nnb_net *q = NULL;
    double loss[2], acc[2];
    const mat *x = &d->x, *y = &d->y;
    const char *type = nnb_net_dtype(net) == NNB_F32 ? "float32" : "float64";
    int ok = nnb_net_copy_int8(&q, net) == NNB_OK &&
             mat_evaluate(net, x, y, mi->loss, NNB_REDUCTION_MEAN, &loss[0], &acc[0]) == NNB_OK &&
             mat_evaluate(q, x, y, mi->loss, NNB_REDUCTION_MEAN, &loss[1], &acc[1]) == NNB_OK;
    if (!ok)
        printf("int8 accuracy: not measured (%s)\n", lib_message());
    else if (mi->n_classes)
        printf("int8 accuracy on %s (%zu rows): %.4f, against %.4f with %s weights (%+.2f "
               "points); loss %.4g against %.4g\n",
               esc(d->src), x->rows, acc[1], acc[0], type, 100 * (acc[1] - acc[0]), loss[1],
               loss[0]);
    else
        printf("int8 loss on %s (%zu rows): %.6g, against %.6g with %s weights\n", esc(d->src),
               x->rows, loss[1], loss[0], type);
    nnb_net_free(q);
}

/* The default name: the output file's, without its folder and extension ("fashion" for
 * --c out/fashion.c), when that is a valid name; else the library's ("model"). */
static void default_name(const export_args *e, nnb_export_opts *o) {
    const char *path = e->c ? e->c : e->onnx, *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path, *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char name[48];
    if (n == 0 || n >= sizeof name) return;
    memcpy(name, base, n);
    name[n] = '\0';
    if (nnb_export_opts_set_name(o, name) != NNB_OK) nnb_clear_error(); /* keeps "model" */
}

static nnb_status make_opts(const export_args *e, nnb_export_opts **o) {
    nnb_status st = nnb_export_opts_create(o);
    if (st == NNB_OK && !e->name) default_name(e, *o);
    if (st == NNB_OK && e->name) st = nnb_export_opts_set_name(*o, e->name);
    if (st == NNB_OK && e->input_scale > 0)
        st = nnb_export_opts_set_input_scale(*o, e->input_scale);
    if (st == NNB_OK) st = nnb_export_opts_set_int8(*o, e->int8);
    if (st == NNB_OK) st = nnb_export_opts_set_own_math(*o, e->own_math);
    return st;
}

static int has_conv(const nnb_net *net) {
    for (size_t l = 0; l < nnb_net_n_layers(net); l++)
        if (strcmp(nnb_net_layer_kind(net, l), "conv2d") == 0) return 1;
    return 0;
}

/* Writes what was asked; 1, or 0 after a message. */
static int write_exports(const export_args *e, model_info *mi, const nnb_net *net,
                         const char *header, int8_data *d) {
    nnb_export_opts *o = NULL;
    char b1[32], b2[32];
    if (make_opts(e, &o) != NNB_OK) return nnb_export_opts_free(o), fail_nnb(), 0;
    int ok = 1;
    if (e->onnx) {
        ok = nnb_onnx_write(e->onnx, net, mi->prep, mi->meta, o) == NNB_OK;
        if (ok) printf("wrote %s (%s)\n", esc(e->onnx), human_bytes(file_size(e->onnx), b1));
    }
    if (ok && e->c) {
        ok = nnb_c_source_write(e->c, header, net, mi->prep, mi->meta, o) == NNB_OK;
        const char *type = nnb_net_dtype(net) == NNB_F32 ? "float" : "double";
        if (ok)
            printf("wrote %s (%s) and %s: %zu parameters in %s", esc(e->c),
                   human_bytes(file_size(e->c), b1), esc(header), nnb_net_n_params(net),
                   human_bytes(param_bytes(net, e->int8), b2));
        if (ok && e->int8)
            printf(" (int8 weights, a scale per output unit%s; %s as %s)\n",
                   has_conv(net) ? " or filter" : "", human_bytes(param_bytes(net, 0), b1), type);
        else if (ok)
            printf(" (%s)\n", type);
        if (ok && e->int8) report_int8(mi, net, d);
    }
    nnb_export_opts_free(o);
    if (!ok) fail_nnb();
    return ok;
}

int run_export(int argc, char **argv) {
    export_args e;
    int r = parse_export(argc, argv, &e);
    if (r) return r < 0 ? EXIT_OK : r;
    char *header = NULL;
    if (e.c && !e.header) { /* the library's rule: .c replaced by .h, or .h appended */
        size_t n = strlen(e.c);
        header = malloc(n + 3);
        if (!header) return fail("out of memory");
        memcpy(header, e.c, n + 1);
        strcpy(header + (n > 2 && strcmp(e.c + n - 2, ".c") == 0 ? n - 2 : n), ".h");
    }
    const char *h = e.header ? e.header : header;
    model_info mi;
    int status = EXIT_FAIL;
    int st = check_outputs(&e, h);
    if (st != EXIT_OK || !model_open(e.model, &mi)) {
        free(header);
        return st != EXIT_OK ? st : EXIT_FAIL;
    }
    nnb_net *conv = NULL;
    const nnb_net *net = mi.net;
    if (e.dtype >= 0 && (nnb_dtype)e.dtype != nnb_net_dtype(mi.net)) {
        if (nnb_net_copy(&conv, mi.net, (nnb_dtype)e.dtype) != NNB_OK) {
            fail_nnb();
            goto done;
        }
        net = conv;
    }
    int8_data d = {0};
    if ((!e.int8 || int8_read(&e, &mi, &d)) && write_exports(&e, &mi, net, h, &d)) status = EXIT_OK;
    mat_free(&d.x);
    mat_free(&d.y);
done:
    nnb_net_free(conv);
    model_close(&mi);
    free(header);
    return status;
}
