/*
 * A main() for the fuzzing harnesses without libFuzzer (any compiler): runs
 * LLVMFuzzerTestOneInput() once on every file named on the command line, or in a folder named
 * there (in name order). The seed corpora and the regression inputs of tests/fuzz run this way
 * in every build and under the sanitizers and valgrind (meson suite 'fuzz').
 */
#include <dirent.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_main: cannot open %s\n", path);
        return 0;
    }
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b) {
            fclose(f);
            return 0;
        }
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *nb = realloc(b, cap *= 2);
        if (!nb) free(b);
        b = nb;
    }
    fclose(f);
    /* exactly n bytes, so that a read past the end is caught by AddressSanitizer or valgrind */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(b);
        return 0;
    }
    if (n) memcpy(exact, b, n);
    free(b);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    size_t runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz_main: no such file or folder: %s\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (!run_file(argv[i])) return 1;
            runs++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) return 1;
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char **nn = realloc(names, (n + 1) * sizeof *names);
            if (!nn) return 1;
            names = nn;
            size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;
            names[n] = malloc(len);
            if (!names[n]) return 1;
            snprintf(names[n++], len, "%s/%s", argv[i], e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, by_name);
        for (size_t k = 0; k < n; k++) {
            int ok = run_file(names[k]);
            free(names[k]);
            if (!ok) return 1;
            runs++;
        }
        free(names);
    }
    if (runs == 0) {
        fprintf(stderr, "fuzz_main: no input\n");
        return 1;
    }
    fprintf(fuzz_stderr(), "%zu inputs run\n", runs);
    return 0;
}
