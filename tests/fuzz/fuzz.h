/*
 * Shared by the fuzzing harnesses (tests/fuzz/fuzz_*.c). Each harness defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (clang, meson -Dfuzzing=true:
 * scripts/fuzz) or with fuzz_main.c, which runs it over the files of the seed corpora and the
 * regression inputs, as an ordinary test of every build (suite 'fuzz').
 *
 * A harness never treats an error status as a finding: bad input must give an error with a
 * message. Findings are crashes, sanitizer reports, leaks and the properties checked with
 * FUZZ_CHECK (which aborts, so that libFuzzer saves the input).
 */
#ifndef NNB_FUZZ_H
#define NNB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnblas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      fprintf(fuzz_stderr(), "%s:%d: FUZZ_CHECK(%s) failed (last error: %s)\n", __FILE__, \
              __LINE__, #cond, nnb_last_error());                                         \
      abort();                                                                            \
    }                                                                                     \
  } while (0)

/* The real standard error (fuzz_quiet() sends stdout and stderr elsewhere). */
FILE *fuzz_stderr(void);

/* Makes stdout and stderr (the FILE streams) write to /dev/null, for code under test that
 * prints; file descriptors 1 and 2 are untouched, so the sanitizers' and libFuzzer's reports
 * still appear. Idempotent. */
void fuzz_quiet(void);

/* Writes data to a file and returns its path (valid until the next call): an in-memory file
 * (memfd) named /proc/self/fd/N, or a file in a private temporary folder where memfd is not
 * available. `slot` (0..3) picks one of four files, so a harness may have several at once.
 * Returns NULL if it cannot (then the harness skips the input). */
const char *fuzz_file(int slot, const uint8_t *data, size_t size);

/* A private temporary folder (made once, under $TMPDIR or /tmp; removed at exit). */
const char *fuzz_dir(void);

#endif
