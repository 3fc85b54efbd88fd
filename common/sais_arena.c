/* sais_arena — see sais_arena.h. */
#include "sais_arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

struct sais_arena_block {
    sais_arena_block_t *next;
    size_t              size, used;
    alignas(max_align_t) unsigned char data[];
};

#define ALIGN (alignof(max_align_t))

void sais_arena_init(sais_arena_t *self, size_t block_size)
{
    self->blocks = NULL;
    self->block_size = block_size ? block_size : (size_t)64 << 10;
    self->pb.alloc = NULL;
    self->pb.free = NULL;
    self->pb.allocator_data = self;
}

void *sais_arena_alloc(sais_arena_t *self, size_t n)
{
    if (n > SIZE_MAX - ALIGN)
        return NULL;
    size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
    sais_arena_block_t *b = self->blocks;
    if (b == NULL || b->size - b->used < need) {
        size_t size = need > self->block_size ? need : self->block_size;
        if (size > SIZE_MAX - sizeof *b)
            return NULL;
        b = malloc(sizeof *b + size);
        if (b == NULL)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = self->blocks;
        self->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    return p;
}

static void free_chain(sais_arena_block_t *b)
{
    while (b != NULL) {
        sais_arena_block_t *next = b->next;
        free(b);
        b = next;
    }
}

void sais_arena_reset(sais_arena_t *self)
{
    sais_arena_block_t *keep = self->blocks;
    if (keep == NULL)
        return;
    /* keep the newest block (usually the only one); a row larger than it made the others */
    free_chain(keep->next);
    keep->next = NULL;
    keep->used = 0;
}

void sais_arena_release(sais_arena_t *self)
{
    free_chain(self->blocks);
    self->blocks = NULL;
}

static void *pb_alloc(void *data, size_t n)
{
    return sais_arena_alloc(data, n);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    (void)p;   /* all at once, in sais_arena_reset */
}

ProtobufCAllocator *sais_arena_allocator(sais_arena_t *self)
{
    self->pb.alloc = pb_alloc;
    self->pb.free = pb_free;
    self->pb.allocator_data = self;
    return &self->pb;
}
