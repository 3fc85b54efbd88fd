/* sais_wire — the protobuf wire format by hand, for the few places that move packed bytes
 * without unpacking them (a producer's fetch replies, a picture stored as it arrived), and
 * what protobuf-c leaves in a message unpacked from another service's bytes.
 */
#ifndef SAIS_WIRE_H
#define SAIS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Writes v as a varint into out (at least 10 bytes); returns the bytes written. */
size_t sais_wire_varint(uint8_t *out, uint64_t v);
/* Reads a varint at buf[*at] (advancing *at): 0, or -1 when buf ends first or it is longer
 * than ten bytes. */
int sais_wire_read_varint(const uint8_t *buf, size_t len, size_t *at, uint64_t *v);
/* The bytes of the first length-delimited field `field` of a packed message: 0 and *data,
 * *len (pointing into buf), 1 when the message has no such field, -1 when buf is not a
 * well-formed message up to there. */
int sais_wire_find_bytes(const uint8_t *buf, size_t len, uint32_t field, const uint8_t **data, size_t *dlen);

/* Drops the unknown fields protobuf-c kept while unpacking m, in m and in every sub-message.
 * protobuf-c 1.4 takes a field number 0 written as a non-minimal varint (81 80 80 80 00) as
 * an unknown field, and packs it back as the one-byte tag 01, which it then refuses: a
 * record stored from a garbled peer's message could never be read again. Every event a
 * consumer takes from the bus is cleaned this way (sais_event_unpack). m must have been
 * unpacked with the default allocator. */
void sais_pb_drop_unknown(ProtobufCMessage *m);

#endif
