/* Runs a fuzz target over files, for builds without libFuzzer (gcc, `make test`): each
 * argument is a file or a directory of files, each file one input. The inputs kept under
 * tests/fuzz/corpus/<target>/ (seeds, and every input that once found a bug) are replayed
 * this way in every `make test`, under ASan and UBSan. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
        }
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    size_t runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0)
                return 1;
            runs++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            perror(argv[i]);
            return 1;
        }
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char **nn = realloc(names, (n + 1) * sizeof *names);
            if (!nn || asprintf(&nn[n], "%s/%s", argv[i], e->d_name) < 0) {
                fprintf(stderr, "out of memory\n");
                return 1;
            }
            names = nn;
            n++;
        }
        closedir(d);
        qsort(names, n, sizeof *names, by_name);   /* the same order on every machine */
        for (size_t k = 0; k < n; k++) {
            if (run_file(names[k]) != 0)
                return 1;
            free(names[k]);
            runs++;
        }
        free(names);
    }
    printf("%zu input(s) replayed\n", runs);
    return runs ? 0 : 1;
}
