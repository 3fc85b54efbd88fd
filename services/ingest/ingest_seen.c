/* ingest_seen — see ingest_seen.h. */
#include "ingest_seen.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

struct ingest_seen_t {
    unsigned char key[crypto_shorthash_KEYBYTES];
    uint64_t     *slot;    /* 0 = empty; a hash of 0 is kept as 1 */
    size_t        cap, n;
    int           full;
};

ingest_seen_t *ingest_seen_new(void)
{
    ingest_seen_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cap = 1u << 16;
    s->slot = calloc(s->cap, sizeof *s->slot);
    if (!s->slot) {
        free(s);
        return NULL;
    }
    crypto_shorthash_keygen(s->key);
    return s;
}

void ingest_seen_destroy(ingest_seen_t **s_p)
{
    if (!s_p || !*s_p) return;
    free((*s_p)->slot);
    free(*s_p);
    *s_p = NULL;
}

/* 1 put, 0 there already */
static int put(uint64_t *slot, size_t cap, uint64_t h)
{
    for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (slot[i] == h) return 0;
        if (slot[i] == 0) {
            slot[i] = h;
            return 1;
        }
    }
}

static int grow(ingest_seen_t *s)
{
    size_t cap = s->cap * 2;
    uint64_t *n = calloc(cap, sizeof *n);
    if (!n) return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i]) put(n, cap, s->slot[i]);
    free(s->slot);
    s->slot = n;
    s->cap = cap;
    return 0;
}

int ingest_seen_add(ingest_seen_t *s, const char *id, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)id, len, s->key);
    uint64_t h = 0;
    for (size_t i = 0; i < sizeof out; i++) h = h << 8 | out[i];
    if (h == 0) h = 1;
    if (s->full) {
        /* no longer keeping new ids, but those kept are still found */
        for (size_t i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
            if (s->slot[i] == h) return 0;
            if (s->slot[i] == 0) return -1;
        }
    }
    /* at most three quarters full: probes stay short */
    if ((s->n + 1) * 4 > s->cap * 3 && (s->cap >= INGEST_SEEN_MAX_SLOTS || grow(s) != 0)) {
        s->full = 1;
        return ingest_seen_add(s, id, len);
    }
    int r = put(s->slot, s->cap, h);
    s->n += (size_t)r;
    return r;
}
