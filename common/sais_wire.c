/* sais_wire — see sais_wire.h. */
#include "sais_wire.h"

#include <stdlib.h>

size_t sais_wire_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        out[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

int sais_wire_read_varint(const uint8_t *buf, size_t len, size_t *at, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*at >= len)
            return -1;
        uint8_t b = buf[(*at)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            return 0;
    }
    return -1;
}

int sais_wire_find_bytes(const uint8_t *buf, size_t len, uint32_t field, const uint8_t **data, size_t *dlen)
{
    size_t at = 0;
    while (at < len) {
        uint64_t tag, v;
        if (sais_wire_read_varint(buf, len, &at, &tag) != 0)
            return -1;
        switch (tag & 7) {
        case 0:   /* varint */
            if (sais_wire_read_varint(buf, len, &at, &v) != 0)
                return -1;
            break;
        case 1:   /* fixed64 */
            if (len - at < 8)
                return -1;
            at += 8;
            break;
        case 5:   /* fixed32 */
            if (len - at < 4)
                return -1;
            at += 4;
            break;
        case 2:   /* length-delimited */
            if (sais_wire_read_varint(buf, len, &at, &v) != 0 || v > len - at)
                return -1;
            if ((tag >> 3) == field) {
                *data = buf + at;
                *dlen = (size_t)v;
                return 0;
            }
            at += (size_t)v;
            break;
        default:  /* groups (deprecated) and invalid wire types */
            return -1;
        }
    }
    return 1;
}

void sais_pb_drop_unknown(ProtobufCMessage *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        free(m->unknown_fields[i].data);
    free(m->unknown_fields);
    m->unknown_fields = NULL;
    m->n_unknown_fields = 0;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        char *at = (char *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
            ProtobufCMessage **items = *(ProtobufCMessage ***)at;
            for (size_t k = 0; items && k < n; k++)
                sais_pb_drop_unknown(items[k]);
        } else {
            sais_pb_drop_unknown(*(ProtobufCMessage **)at);
        }
    }
}
