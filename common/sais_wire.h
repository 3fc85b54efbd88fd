/* sais_wire — the protobuf wire format by hand, for the few places that move packed bytes
 * without unpacking them (a producer's fetch replies, a picture stored as it arrived).
 */
#ifndef SAIS_WIRE_H
#define SAIS_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Writes v as a varint into out (at least 10 bytes); returns the bytes written. */
size_t sais_wire_varint(uint8_t *out, uint64_t v);
/* Reads a varint at buf[*at] (advancing *at): 0, or -1 when buf ends first or it is longer
 * than ten bytes. */
int sais_wire_read_varint(const uint8_t *buf, size_t len, size_t *at, uint64_t *v);
/* The bytes of the first length-delimited field `field` of a packed message: 0 and *data,
 * *len (pointing into buf), 1 when the message has no such field, -1 when buf is not a
 * well-formed message up to there. */
int sais_wire_find_bytes(const uint8_t *buf, size_t len, uint32_t field, const uint8_t **data, size_t *dlen);

#endif
