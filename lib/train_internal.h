/* Internal declarations of the training layer (train.c, train_opts.c, optim.c, lm.c). */
#ifndef NNB_TRAIN_INTERNAL_H
#define NNB_TRAIN_INTERNAL_H

#include "nnb_internal.h"

struct nnb_train_opts {
    size_t epochs;
    size_t batch; /* 0 = full batch */
    int shuffle;
    nnb_loss loss;
    nnb_reduction reduction;
    nnb_optimizer opt;
    double lr;
    double momentum;
    double beta1, beta2, adam_eps;
    double rho, rms_eps;
    double weight_decay;
    double clip_norm;  /* 0 = off */
    double clip_value; /* 0 = off */
    double dropout;    /* 0 = off */
    nnb_schedule schedule;
    double sched1, sched2;
    double sched_mult; /* warm restarts' period multiplier (nnb_train_opts_set_restart_mult) */
    const double *val_x, *val_y;
    size_t val_rows;
    double val_fraction; /* 0 = off */
    uint64_t val_seed;
    size_t patience; /* 0 = off */
    int restore_best;
    int check_finite;
    nnb_epoch_fn epoch_fn;           /* the deprecated positional callback, or */
    nnb_epoch_info_fn epoch_info_fn; /* the record's (at most one of the two is set) */
    void *epoch_data;
    nnb_batch_fn batch_fn;
    void *batch_data;
    /* data-parallel training (nnb_train_opts_set_shard / _set_allreduce) */
    size_t shard_rank, shard_count; /* count 1: not sharded */
    nnb_allreduce_fn allreduce;
    void *allreduce_data;
    nnb_allreduce_f32_fn allreduce32; /* a float32 network's gradient (optional) */
    void *allreduce32_data;
    nnb_grad_ready_fn grad_ready; /* the overlap hook (NULL: synchronous) */
    void *grad_ready_data;
    size_t grad_ready_piece;            /* the largest piece announced (values; 0: whole layers) */
    nnb_grad_ready_f32_fn grad_ready32; /* a float32 network's hook (with allreduce32) */
    void *grad_ready32_data;
    size_t grad_ready32_piece;
    /* nnb_train_opts_request_stop(): read and written with __atomic builtins only */
    int stop_requested;
};

/* One epoch's record (history). */
typedef struct nnbi_epoch_rec {
    double v[8]; /* indexed by nnb_history_field */
} nnbi_epoch_rec;

struct nnb_history {
    size_t len, cap;
    nnbi_epoch_rec *rec;
    size_t best_epoch;
    double best_loss;
    int stopped_early;
};

/* Records reserved before the training loop (at most): a history grows geometrically past them,
 * at the end of an epoch, so that nothing proportional to the epochs asked for is reserved. */
#define NNBI_HISTORY_AHEAD ((size_t)1024)

/* Makes room for min(more, NNBI_HISTORY_AHEAD) records (before the training loop). */
nnb_status nnbi_history_reserve(nnb_history *h, size_t more, const char *func);
/* Appends one epoch's record, growing the history when it is full (NULL h: nothing). */
nnb_status nnbi_history_add(nnb_history *h, const double v[8], const char *func);

/* Allocates (or keeps) the optimiser moments for opt->opt on net; resets them when the optimiser
 * kind changed. Called before the loop. */
nnb_status nnbi_opt_prepare(nnb_net *net, const nnb_train_opts *opts, const char *func);

/* Applies one optimiser step with the gradient in net->grads and learning rate lr. */
void nnbi_opt_step(nnb_net *net, const nnb_train_opts *opts, double lr);
/* The step on the parameters [lo, lo + n) only, without counting it (the training team's threads
 * take a part each, after the caller counted the step: net->opt.step++). */
void nnbi_opt_step_part(nnb_net *net, const nnb_train_opts *opts, double lr, size_t lo, size_t n);

/* At the start of an nnb_net_train call of opts->epochs epochs: continues the network's schedule if
 * opts defines the same one, else starts opts' schedule at the current epoch. */
void nnbi_schedule_begin(nnb_net *net, const nnb_train_opts *opts);

/* The learning rate of schedule s for the epoch that follows epoch count `epoch`. */
double nnbi_schedule_lr(const nnbi_sched *s, uint64_t epoch);

/* ---- team.c: the threads of a training run (a network with spatial layers) ---- */

typedef struct nnbi_team nnbi_team;

/* One worker of a team: its workspace and gradient (worker 0: the network's), its dropout
 * generator (seeded for each batch from the run's), and its part's loss sum and hits. */
typedef struct nnbi_mate {
    nnbi_team *team;
    size_t t;    /* its index, 0 .. workers - 1 */
    nnbi_ws ws;  /* unused for worker 0 (net->ws) */
    void *grads; /* n_params + NNBI_GRAD_EXTRA of the network's type */
    nnbi_rng rng;
    double loss;
    size_t hits;
} nnbi_mate;

/* What a job does for worker t (0 .. workers - 1; 0 is the calling thread). */
typedef void (*nnbi_team_fn)(void *arg, size_t t);

/* The workers a run of batches of B rows takes with `threads` threads: 1 (no team) for a network
 * without convolution or pooling, fewer than 2 threads, Levenberg-Marquardt or shards; else at
 * most B / 4 (each part at least 4 rows). */
size_t nnbi_team_size(const nnb_net *net, const nnb_train_opts *o, size_t B, int threads);
/* The bytes a team of n workers allocates for batches of B rows (0 for n < 2). */
size_t nnbi_team_bytes(const nnb_net *net, size_t n, size_t B, const double *drop);
/* Starts a team of n workers for batches of at most B rows (drop: the dropout rates, as the
 * network's workspace has them) and holds OpenBLAS at one thread until nnbi_team_stop.
 * *team = NULL (and NNB_OK) when n < 2 or a thread cannot be started: the run goes on alone. */
nnb_status nnbi_team_start(nnbi_team **team, nnb_net *net, size_t n, size_t B, const double *drop,
                           const char *func);
/* Runs fn(arg, t) on every worker, the caller as worker 0; returns when all are done. */
void nnbi_team_run(nnbi_team *team, nnbi_team_fn fn, void *arg);
size_t nnbi_team_workers(const nnbi_team *team);
size_t nnbi_team_rows(const nnbi_team *team); /* each worker's workspace rows */
nnbi_mate *nnbi_team_mate(nnbi_team *team, size_t t);
/* Joins the threads, frees everything (NULL: nothing) and gives OpenBLAS its threads back. */
void nnbi_team_stop(nnbi_team *team);

/* State shared by the training loops (train_loop.c's mini-batch loop and lm.c): the data, the
 * split, validation, early stopping, history and callbacks. Set up by nnb_net_train before any loop. */
typedef struct nnbi_run {
    nnb_net *net;
    const nnb_train_opts *opts;
    nnb_history *history;
    nnbi_src x, y;     /* the caller's data, of either type */
    size_t *train_idx; /* training rows (NULL: all rows, in order) */
    size_t *val_idx;   /* validation rows of x/y (split), or NULL */
    size_t n_train, n_val;
    uint64_t last_epoch; /* the epoch this call ends at unless it stops early */
    size_t chunk;        /* rows per evaluation chunk (the workspace's batch) */
    int has_val, acc;
    /* early stopping: its watch is net->opt.es (kept across calls and in the training state) */
    int stopped_early;
    nnbi_team *team; /* the threads sharing each batch (NULL: one) */
} nnbi_run;

/* ---- what both loops share (epoch.c) ---- */

/* Seconds on the monotonic clock. */
double nnbi_now(void);

/* The part [*lo, *hi) of n items that shard `rank` of `count` takes. */
void nnbi_shard_part(size_t n, size_t rank, size_t count, size_t *lo, size_t *hi);

/* Sums n doubles over the workers through the options' all-reduce (nothing for one worker). */
nnb_status nnbi_allreduce(const nnb_train_opts *o, double *buf, size_t n);

/* Copies the parameters to `keep` (back = 0) or back from it (1): the early-stopping watch's best
 * weights, kept as doubles for either type (exact for float; saved so in the training state). */
void nnbi_keep_params(nnb_net *net, double *keep, int back);

/* End of an epoch, for both loops: the training loss and accuracy from this worker's sums (summed
 * over the shards when data-parallel), validation, the monitored loss and its "went up" flag, the
 * history record, early stopping, the epoch callback. loss_sum is the epoch's loss summed over
 * its rows (for either reduction), hits its correctly classified rows; cancel says a batch
 * callback asked to stop. Sets *stop when training should end (early stopping); returns an error
 * status (NNB_E_CANCELLED, NNB_E_NONFINITE, NNB_E_COMM) to end with one. */
nnb_status nnbi_epoch_end(nnbi_run *r, double t0, double loss_sum, double hits, double lr,
                          int cancel, int *stop);

/* The start of an epoch (shuffle, or the continuation of one stopped within): the first batch to
 * run; *loss_sum and *hit get the epoch's sums so far. */
size_t nnbi_epoch_begin(nnbi_run *r, size_t *perm, int shuffle, size_t B, size_t n_batches,
                        nnbi_sum *loss_sum, size_t *hit);
/* Training stopped within an epoch after `done` batches: keeps the position; NNB_E_CANCELLED. */
nnb_status nnbi_stopped_within(nnbi_run *r, size_t B, size_t done, nnbi_sum loss_sum, size_t hit);
/* NNB_E_NONFINITE for a batch whose loss is not finite. */
nnb_status nnbi_diverged(uint64_t epoch, size_t batch, double loss, double lr);
/* The status of a training run, unchanged; after NNB_E_NONFINITE, when the settings point at a
 * cause other than the learning rate (a weight decay too large for it, a huge leaky ReLU slope),
 * the message names it instead of advising a lower rate (diverge.c). */
nnb_status nnbi_explain_divergence(const nnb_net *net, const nnb_train_opts *o, nnb_status st);
/* The gradient's finiteness check and clipping by value, then by norm. */
nnb_status nnbi_clip_gradient(nnb_net *net, const nnb_train_opts *o, uint64_t epoch, size_t batch);

/* The mini-batch loop (train_loop.c): every optimiser but LM. `drop_rng` draws the dropout masks.
 * red: n_params + 2 doubles for the all-reduce of a float32 gradient through the float64
 * all-reduce (NULL when it is not needed). */
nnb_status nnbi_train_batches(nnbi_run *r, size_t B, const double *drop, size_t *perm,
                              nnbi_rng *drop_rng, double *red);

/* Has nnb_train_opts_request_stop() been called (and not cleared)? */
int nnbi_stop_requested(const nnb_train_opts *o);

/* Levenberg-Marquardt (lm.c): the loop for NNB_OPT_LM, after nnb_net_train's setup. */
nnb_status nnbi_train_lm(nnbi_run *r);

/* Largest LM problem: parameters and rows x outputs x parameters (docs/guide.md,
 * "Levenberg-Marquardt"). */
#define NNBI_LM_MAX_PARAMS ((size_t)4096)
#define NNBI_LM_MAX_JACOBIAN ((size_t)1 << 24)

/* ---- train_memory.c: a run's memory, before anything is allocated ---- */

/* The bytes of a training run of rows rows: the network's arenas, the optimiser's moments, the
 * workspace for a batch (`batch` rows), the rest (indices, split, history, early stopping's
 * weights, Levenberg-Marquardt's matrices); saturating at SIZE_MAX. */
typedef struct nnbi_train_memory {
    size_t arenas, moments, workspace, other, total, batch;
} nnbi_train_memory;

nnb_status nnbi_train_memory_parts(const nnb_net *net, const nnb_train_opts *opts, size_t rows,
                                   nnbi_train_memory *m, const char *func);

/* NNB_E_TOO_LARGE (the parts named) when what a run adds to the network's memory is more than
 * the process can get. */
nnb_status nnbi_train_memory_check(const nnb_net *net, const nnb_train_opts *opts, size_t rows,
                                   const char *func);

#endif
