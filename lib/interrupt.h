/*
 * Interrupting long calls (nnb_set_interrupt_flag): each thread may name a flag of its caller's;
 * the long loops of the library poll it between blocks (of rows, bytes or batches) and stop with
 * NNB_E_CANCELLED once it is set.
 */
#ifndef NNB_INTERRUPT_H
#define NNB_INTERRUPT_H

#include "nnb_internal.h"

/* 1 if the calling thread's interrupt flag is set (a relaxed read; no flag: 0). */
int nnbi_interrupted(void);

/* After a system call failed with EINTR: 1 if the flag is set, waiting up to 50 ms for it (a
 * flag set by another thread woken by the signal, as the Python binding's, may come a moment
 * after the signal); at once 0 when no flag is named. */
int nnbi_interrupted_by_signal(void);

/* Waits until fd (a pipe, FIFO, socket or terminal) can be read without blocking, polling the
 * flag every 100 ms meanwhile: 0 ready, 1 interrupted. A regular file is always ready. */
int nnbi_wait_readable(int fd);

/* NNB_E_CANCELLED with "interrupted (what)" as the message, for func. */
nnb_status nnbi_interrupt_error(const char *func, const char *what);

#endif
