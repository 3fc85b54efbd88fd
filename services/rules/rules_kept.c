/* rules_kept — each household's brief decisions under the catalogue in force, kept inside
 * the household's stored picture under the key of the inputs they were made from
 * (rules_inputs_key).
 *
 * rules decides every household on every change anyway; keeping the outcome lets a city-wide
 * simulate evaluate only the "after" side of its what-if. The record rides in the picture's
 * own value, as a protobuf field Ver.Picture does not define (RULES_KEPT_TAG): every reader
 * of the picture skips it, and storing it dirties no page the picture's put does not already
 * (a table of its own cost a random page per change, which a city larger than memory pays
 * for in reads). A record stands in only when its key is the key of the household as it is
 * now (the same catalogue, picture version and payments); a stale or foreign record is never
 * used, the household is evaluated as if there were none.
 *
 * Record: format (2), count, key (8), then per policy in catalogue order flags (1: bit 0
 * eligible, bit 1 automatic), amount (8, fen) and the parameters the decision read (a varint
 * of rules_result_t.params_read; mostly one byte). Host byte order: the store is local. A
 * record of format 1 (no parameters read) is not used: the household is evaluated whole.
 */
#include "rules.h"
#include "sais_wire.h"

#include <string.h>

#define KEPT_FORMAT 2
#define KEPT_HEADER 10
#define KEPT_FIXED  9    /* per policy, before the varint */

size_t rules_kept_encode(rules_catalog_t *cat, const Ver__Picture *pic, const rules_history_t *hist,
                         const rules_result_t *results, size_t n, unsigned char out[RULES_KEPT_BYTES])
{
    uint64_t key;
    if (n > RULES_KEPT_MAX || rules_inputs_key(cat, pic, hist, &key) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (results[i].error != NULL)   /* an error is evaluated again, never kept */
            return 0;
    out[0] = KEPT_FORMAT;
    out[1] = (unsigned char)n;
    memcpy(out + 2, &key, sizeof key);
    size_t len = KEPT_HEADER;
    for (size_t i = 0; i < n; i++) {
        unsigned char *at = out + len;
        at[0] = (unsigned char)((results[i].eligible ? 1 : 0) | (results[i].automatic ? 2 : 0));
        memcpy(at + 1, &results[i].amount, sizeof results[i].amount);
        len += KEPT_FIXED + sais_wire_varint(at + KEPT_FIXED, results[i].params_read);
    }
    return len;
}

/* The record as the unknown field protobuf-c keeps: its bytes after the tag (the length
 * varint, then the record). Returns the length, 0 for no record. */
static size_t kept_field(const unsigned char *kept, size_t keptlen, uint8_t field[10 + RULES_KEPT_BYTES])
{
    if (keptlen == 0 || keptlen > RULES_KEPT_BYTES || kept == NULL)
        return 0;
    size_t at = sais_wire_varint(field, keptlen);
    memcpy(field + at, kept, keptlen);
    return at + keptlen;
}

/* The picture with the record as its one unknown field (a stored picture read back carries
 * the previous one: a shallow copy drops it). */
static Ver__Picture with_record(const Ver__Picture *pic, ProtobufCMessageUnknownField *uf, uint8_t *field,
                                size_t flen)
{
    Ver__Picture copy = *pic;
    *uf = (ProtobufCMessageUnknownField){RULES_KEPT_TAG, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, flen, field};
    copy.base.n_unknown_fields = flen ? 1 : 0;
    copy.base.unknown_fields = flen ? uf : NULL;
    return copy;
}

size_t rules_picture_encoded_size(const Ver__Picture *pic, const unsigned char *kept, size_t keptlen)
{
    uint8_t field[10 + RULES_KEPT_BYTES];
    ProtobufCMessageUnknownField uf;
    Ver__Picture copy = with_record(pic, &uf, field, kept_field(kept, keptlen, field));
    return ver__picture__get_packed_size(&copy);
}

void rules_picture_encode(const Ver__Picture *pic, const unsigned char *kept, size_t keptlen, uint8_t *out)
{
    uint8_t field[10 + RULES_KEPT_BYTES];
    ProtobufCMessageUnknownField uf;
    Ver__Picture copy = with_record(pic, &uf, field, kept_field(kept, keptlen, field));
    ver__picture__pack(&copy, out);
}

/* protobuf-c packs unknown fields after the known ones: the packed picture, then the
 * record's tag and field */
size_t rules_picture_packed_size(size_t len, const unsigned char *kept, size_t keptlen)
{
    uint8_t field[10 + RULES_KEPT_BYTES], tag[10];
    size_t flen = kept_field(kept, keptlen, field);
    return len + (flen ? sais_wire_varint(tag, ((uint64_t)RULES_KEPT_TAG << 3) | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
                             + flen
                       : 0);
}

void rules_picture_encode_packed(const uint8_t *pic, size_t len, const unsigned char *kept, size_t keptlen,
                                 uint8_t *out)
{
    uint8_t field[10 + RULES_KEPT_BYTES];
    size_t flen = kept_field(kept, keptlen, field);
    memcpy(out, pic, len);
    if (flen) {
        size_t tl = sais_wire_varint(out + len, ((uint64_t)RULES_KEPT_TAG << 3) | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        memcpy(out + len + tl, field, flen);
    }
}

static int put_reserved(sais_svc_t *svc, MDB_txn *txn, const char *household_id, size_t n, void **out)
{
    MDB_val k = {strlen(household_id), (void *)household_id}, v = {n, NULL};
    int rc = mdb_put(txn, sais_svc_dbi(svc, RULES_DB_PICTURES), &k, &v, MDB_RESERVE);
    *out = v.mv_data;
    return rc;
}

int rules_picture_put(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic, const unsigned char *kept,
                      size_t keptlen)
{
    void *at;
    int rc = put_reserved(svc, txn, pic->household_id, rules_picture_encoded_size(pic, kept, keptlen), &at);
    if (rc == 0)
        rules_picture_encode(pic, kept, keptlen, at);
    return rc;
}

int rules_picture_put_packed(sais_svc_t *svc, MDB_txn *txn, const char *household_id, const uint8_t *pic,
                             size_t len, const unsigned char *kept, size_t keptlen)
{
    void *at;
    int rc = put_reserved(svc, txn, household_id, rules_picture_packed_size(len, kept, keptlen), &at);
    if (rc == 0)
        rules_picture_encode_packed(pic, len, kept, keptlen, at);
    return rc;
}

int rules_kept_read(rules_catalog_t *cat, const Ver__Picture *pic, const rules_history_t *hist,
                    rules_result_t *before, size_t n)
{
    const ProtobufCMessageUnknownField *uf = NULL;
    for (size_t i = 0; i < pic->base.n_unknown_fields && uf == NULL; i++)
        if (pic->base.unknown_fields[i].tag == RULES_KEPT_TAG
            && pic->base.unknown_fields[i].wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            uf = &pic->base.unknown_fields[i];
    uint64_t key, stored;
    if (uf == NULL || n > RULES_KEPT_MAX)
        return MDB_NOTFOUND;
    /* the length varint, then the record */
    size_t pre = 0;
    uint64_t len = 0;
    if (sais_wire_read_varint(uf->data, uf->len, &pre, &len) != 0 || len < KEPT_HEADER || uf->len != pre + len)
        return MDB_NOTFOUND;
    const uint8_t *rec = uf->data + pre;
    if (rec[0] != KEPT_FORMAT || rec[1] != n || rules_inputs_key(cat, pic, hist, &key) != 0)
        return MDB_NOTFOUND;
    memcpy(&stored, rec + 2, sizeof stored);
    if (stored != key)
        return MDB_NOTFOUND;
    size_t at = KEPT_HEADER;
    for (size_t i = 0; i < n; i++) {
        const rules_policy_info_t *pi = rules_catalog_policy(cat, i);
        rules_result_t *r = &before[i];
        memset(r, 0, sizeof *r);
        uint64_t reads = 0;
        size_t after = at + KEPT_FIXED;
        if (after > len || sais_wire_read_varint(rec, len, &after, &reads) != 0) {
            rules_results_clear(before, i);   /* a damaged record: evaluate as if none */
            return MDB_NOTFOUND;
        }
        /* both checked at load to fit (RULES_ID_MAX); no snprintf on this path */
        memcpy(r->policy, pi->id, strlen(pi->id) + 1);
        memcpy(r->version, pi->version, strlen(pi->version) + 1);
        r->period = pi->kind;
        r->eligible = (rec[at] & 1) != 0;
        r->automatic = (rec[at] & 2) != 0;
        memcpy(&r->amount, rec + at + 1, sizeof r->amount);
        r->params_read = reads;
        at = after;
    }
    if (at != len) {
        rules_results_clear(before, n);
        return MDB_NOTFOUND;
    }
    return 0;
}
