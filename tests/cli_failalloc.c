/*
 * The nnblas command with a failing allocator, for tests/test_cli_allocfail.c: NNBT_FAIL_AT=N
 * makes the N-th allocation after main() starts fail (unset or 0: none fails). If NNBT_ALLOC_REPORT
 * names a file, "<allocations> <blocks still live>" is written there when the command returns,
 * counting only the allocations made while it ran.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "nnb_failalloc.h"

static char out_buf[1 << 16];

int main(int argc, char **argv) {
    /* stdout's buffer is static, so that stdio allocates nothing of its own */
    setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    const char *at = getenv("NNBT_FAIL_AT"), *report = getenv("NNBT_ALLOC_REPORT");
    nnbt_fa_begin(at ? atol(at) : 0);
    int status = nnblas_main(argc, argv);
    fflush(stdout);
    long live = nnbt_fa_end(), count = nnbt_fa_count();
    if (report) {
        char line[64];
        int n = snprintf(line, sizeof line, "%ld %ld %d\n", count, live, NNBT_FA_AVAILABLE);
        int fd = open(report, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, line, (size_t)n) != n) return 99;
        close(fd);
    }
    return status;
}
