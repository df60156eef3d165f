/*
 * What the nnblas-bench subcommands share: a monotonic clock, timing of a call with untimed resets,
 * medians, and a little JSON output. Benchmarks never assert times; they print a table, or with
 * --json one object per line (docs/design.md, "Tests, CI and benchmarks").
 */
#ifndef NNBB_UTIL_H
#define NNBB_UTIL_H

#include <stddef.h>
#include <stdio.h>

/* Seconds on a monotonic clock. */
double nnbb_now(void);

/* A call to time. `reset` (may be NULL) runs untimed before every batch of at most `max_batch`
 * calls (0 = no limit): for kernels that change their own inputs. */
typedef struct nnbb_job {
    void (*call)(void *arg);
    void (*reset)(void *arg);
    void *arg;
    size_t max_batch;
} nnbb_job;

/* Seconds per call: runs batches until at least min_seconds of timed calls (and at least one). */
double nnbb_seconds_per_call(const nnbb_job *job, double min_seconds);

/* Median of v[0..n) (n > 0); reorders v. */
double nnbb_median(double *v, size_t n);

/* Whether name is among list[0..n); an empty list takes every name (a --workload or --kernel
 * filter). */
int nnbb_wanted(const char *const *list, size_t n, const char *name);

/* Writes x as a JSON number, or null if it is not finite. */
void nnbb_json_num(FILE *f, const char *key, double x, int last);

/* Synthetic value i of the benchmarks' data: splitmix64 -> a rough normal (the sum of 4 uniforms,
 * scaled to variance 1). */
double nnbb_synthetic(size_t i);

/* Runs run(arg, out) in a child process (fork) with `threads` OpenBLAS threads, so that the
 * measurement has its own peak resident memory and a fresh thread pool, and copies the child's
 * `size` bytes at out (at most PIPE_BUF) back into out; out is all zero bytes when the child
 * fails. */
void nnbb_in_child(int threads, void (*run)(void *arg, void *out), void *arg, void *out,
                   size_t size);

/* One line naming the machine and the date, for the human-readable output. */
void nnbb_print_machine(FILE *f);

/* One nnblas measurement's network, training options and history (the history appends, so
 * later rounds go on training), as the train workloads keep them across rounds. */
typedef struct nnbb_side {
    struct nnb_net *net;
    struct nnb_train_opts *opts;
    struct nnb_history *hist;
} nnbb_side;

/* Frees what the side holds (any of it may be NULL). */
void nnbb_side_free(nnbb_side *s);

/* `epochs` more epochs of training on rows x cols of x (float when f32, else double) and
 * y_cols targets; 0, or -1 with the library's message on stderr. */
int nnbb_side_train(nnbb_side *s, int f32, const void *x, size_t rows, size_t cols, const void *y,
                    size_t y_cols, size_t epochs);

#endif
