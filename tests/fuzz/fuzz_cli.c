/*
 * Fuzzing harness: the nnblas command's argument parsing (nnblas_check_args: the parsing and
 * checks of nnblas_main, without reading files or running anything).
 *
 * Input: the arguments after "nnblas", separated by NUL bytes (at most 64).
 * Property: the result is an exit status the command documents (0, 1 or 2), never a crash.
 */
#include "cli.h"
#include "fuzz.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_quiet();
    char *copy = malloc(size + 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    copy[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "nnblas";
    for (size_t at = 0; at < size && argc <= MAX_ARGS; at += strlen(copy + at) + 1)
        argv[argc++] = copy + at;
    argv[argc] = NULL;
    int status = nnblas_check_args(argc, argv);
    FUZZ_CHECK(status == EXIT_OK || status == EXIT_FAIL || status == EXIT_USAGE);
    free(copy);
    return 0;
}
