/* What the fuzz targets share: CHECK, which names the broken promise and aborts, so that
 * libFuzzer keeps the input (and the replayer of `make test` fails). */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

#endif
