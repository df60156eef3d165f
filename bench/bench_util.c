#include "bench_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nnblas.h"

double nnbb_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double nnbb_seconds_per_call(const nnbb_job *job, double min_seconds) {
    /* one untimed call first: page faults, caches, and an estimate of the batch size */
    if (job->reset) job->reset(job->arg);
    double t0 = nnbb_now();
    job->call(job->arg);
    double once = nnbb_now() - t0;
    size_t batch = once > 0 ? (size_t)(min_seconds / once / 4) : 1000;
    if (batch < 1) batch = 1;
    if (job->max_batch && batch > job->max_batch) batch = job->max_batch;
    double timed = 0;
    size_t calls = 0;
    do {
        if (job->reset) job->reset(job->arg);
        t0 = nnbb_now();
        for (size_t i = 0; i < batch; i++) job->call(job->arg);
        timed += nnbb_now() - t0;
        calls += batch;
    } while (timed < min_seconds);
    return timed / (double)calls;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double nnbb_median(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void nnbb_json_num(FILE *f, const char *key, double x, int last) {
    if (isfinite(x))
        fprintf(f, "\"%s\": %.6g%s", key, x, last ? "" : ", ");
    else
        fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
}

void nnbb_print_machine(FILE *f) {
    char model[256] = "unknown CPU", line[512];
    FILE *c = fopen("/proc/cpuinfo", "r");
    if (c) {
        while (fgets(line, sizeof line, c))
            if (strncmp(line, "model name", 10) == 0) {
                const char *p = strchr(line, ':');
                if (p) snprintf(model, sizeof model, "%s", p + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        fclose(c);
    }
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M", localtime(&now));
    fprintf(f, "# %s, %s\n", model, date);
}

int nnbb_wanted(const char *const *list, size_t n, const char *name) {
    if (n == 0) return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

double nnbb_synthetic(size_t i) {
    uint64_t s = 12345 + (uint64_t)i * 4 * 0x9e3779b97f4a7c15ULL;
    double u = 0;
    for (int k = 0; k < 4; k++) {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        u += (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
    }
    return (u - 2.0) * 1.7320508;
}

void nnbb_in_child(int threads, void (*run)(void *arg, void *out), void *arg, void *out,
                   size_t size) {
    int fd[2];
    memset(out, 0, size);
    if (pipe(fd) != 0) return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        nnb_set_num_threads(threads);
        run(arg, out);
        ssize_t w = write(fd[1], out, size);
        _exit(w == (ssize_t)size ? 0 : 1);
    }
    close(fd[1]);
    if (pid > 0) {
        if (read(fd[0], out, size) != (ssize_t)size) memset(out, 0, size);
        waitpid(pid, NULL, 0);
    }
    close(fd[0]);
}

void nnbb_side_free(nnbb_side *s) {
    nnb_history_free(s->hist);
    nnb_train_opts_free(s->opts);
    nnb_net_free(s->net);
}

int nnbb_side_train(nnbb_side *s, int f32, const void *x, size_t rows, size_t cols, const void *y,
                    size_t y_cols, size_t epochs) {
    nnb_status st = nnb_train_opts_set_epochs(s->opts, epochs);
    if (st == NNB_OK && f32)
        st = nnb_net_train_f32(s->net, s->opts, x, rows, cols, y, y_cols, s->hist);
    else if (st == NNB_OK)
        st = nnb_net_train(s->net, s->opts, x, rows, cols, y, y_cols, s->hist);
    if (st != NNB_OK) fprintf(stderr, "nnblas-bench train: %s\n", nnb_last_error());
    return st == NNB_OK ? 0 : -1;
}
