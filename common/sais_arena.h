/* sais_arena — a bump allocator for messages unpacked and dropped in a loop.
 *
 * A scan that unpacks one protobuf message per row (simulate's pictures, two million of them)
 * spends as much on malloc and free of the message's fields as on parsing it. An arena hands
 * out memory from a few large blocks and frees it all at once: unpack with
 * sais_arena_allocator(), use the message, sais_arena_reset(), never free_unpacked.
 *
 * One arena per thread; it owns its blocks. A failed allocation returns NULL (protobuf-c then
 * fails the unpack) and leaves the arena usable.
 */
#ifndef SAIS_ARENA_H
#define SAIS_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct sais_arena_block sais_arena_block_t;

typedef struct {
    sais_arena_block_t *blocks;     /* the current block first */
    size_t              block_size; /* the usual size of a new block */
    ProtobufCAllocator  pb;
} sais_arena_t;

/* block_size 0 = 64 KiB. */
void sais_arena_init(sais_arena_t *self, size_t block_size);
/* Memory for n bytes aligned for any type, or NULL. */
void *sais_arena_alloc(sais_arena_t *self, size_t n);
/* Everything handed out is free again; keeps one block for the next round. */
void sais_arena_reset(sais_arena_t *self);
/* Frees every block. The arena may be initialised again. */
void sais_arena_release(sais_arena_t *self);
/* An allocator for protobuf_c_message_unpack (and *_unpack) backed by the arena. */
ProtobufCAllocator *sais_arena_allocator(sais_arena_t *self);

#endif
