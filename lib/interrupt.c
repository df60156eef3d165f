/* Interrupting long calls: the calling thread's interrupt flag (interrupt.h). */
#include "interrupt.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

/* The flag the calling thread's caller named, or NULL. */
static _Thread_local const volatile int *thread_flag;

NNB_API void nnb_set_interrupt_flag(const volatile int *flag) { thread_flag = flag; }

NNB_API const volatile int *nnb_get_interrupt_flag(void) { return thread_flag; }

int nnbi_interrupted(void) {
    const volatile int *f = thread_flag;
    /* an atomic read: the flag may be set by another thread (or a signal handler) meanwhile */
    return f != NULL && __atomic_load_n(f, __ATOMIC_RELAXED) != 0;
}

int nnbi_interrupted_by_signal(void) {
    if (thread_flag == NULL) return 0;
    for (int ms = 0; ms < 50 && !nnbi_interrupted(); ms++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    return nnbi_interrupted();
}

int nnbi_wait_readable(int fd) {
    for (;;) {
        if (nnbi_interrupted()) return 1;
        if (thread_flag == NULL) return 0; /* nothing to poll: block in read() as always */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, 100);
        if (r > 0 || (r < 0 && errno != EINTR)) return 0; /* ready, or read() will say why */
    }
}

nnb_status nnbi_interrupt_error(const char *func, const char *what) {
    return nnbi_error(NNB_E_CANCELLED, func, "interrupted (%s)", what);
}
