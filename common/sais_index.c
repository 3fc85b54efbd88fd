/* sais_index — secondary indexes beside primary tables (sais_index.h). */
#include "sais_index.h"
#include "sais_log.h"

#include <stdbool.h>
#include <string.h>

typedef struct {
    sais_store_t      *store;
    const char        *primary, *index, *what;
    sais_index_key_fn  key_fn;
    size_t             built, skipped;
} backfill_t;

static int backfill_fn(MDB_txn *txn, void *vctx)
{
    backfill_t *b = vctx;
    MDB_dbi pdbi = sais_store_dbi(b->store, b->primary), idbi = sais_store_dbi(b->store, b->index);
    size_t primary, indexed;
    int rc = sais_entries(txn, idbi, &indexed);
    if (rc == 0)
        rc = sais_entries(txn, pdbi, &primary);
    if (rc != 0)
        return rc;
    if (indexed > 0 || primary == 0)
        return SAIS_TXN_ABORT;
    b->built = b->skipped = 0; /* a MAP_FULL retry starts again */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, pdbi, &cur)) != 0)
        return rc;
    MDB_val k, v;
    char key[512]; /* LMDB's largest key */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t n = b->key_fn(&k, &v, key, sizeof key);
        if (n == 0) {
            b->skipped++;
            continue;
        }
        if ((rc = sais_put(txn, idbi, key, n, "", 0)) != 0)
            break;
        b->built++;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int sais_index_backfill(sais_store_t *store, const char *primary, const char *index,
                        sais_index_key_fn key_fn, const char *what)
{
    backfill_t b = {store, primary, index, what, key_fn, 0, 0};
    int rc = sais_store_write(store, backfill_fn, &b);
    if (rc == SAIS_TXN_ABORT)
        return 0;
    if (rc != 0) {
        sais_error("%s: building the index from %s failed", what, primary);
        return -1;
    }
    if (b.skipped)
        sais_warn("%s: %zu stored entries of %s could not be indexed (they do not unpack)", what, b.skipped,
                  primary);
    sais_info("%s: index built for %zu stored entries of %s", what, b.built, primary);
    return 0;
}

size_t sais_index_pair(char *out, size_t outlen, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb > outlen)
        return 0;
    memcpy(out, a, la);
    out[la] = '\0';
    memcpy(out + la + 1, b, lb);
    return la + 1 + lb;
}

static const char *pb_string(const ProtobufCMessage *m, const char *name)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
        return NULL;
    return *(char *const *)((const char *)m + f->offset);
}

size_t sais_index_pb_pair(const MDB_val *val, const ProtobufCMessageDescriptor *desc, const char *field_a,
                          const char *field_b, char *out, size_t outlen)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, val->mv_size, val->mv_data);
    if (m == NULL)
        return 0;
    const char *a = pb_string(m, field_a), *b = pb_string(m, field_b);
    size_t n = a && b ? sais_index_pair(out, outlen, a, b) : 0;
    protobuf_c_message_free_unpacked(m, NULL);
    return n;
}

static bool is_cursor(const MDB_val *k, const char *after)
{
    return after && *after && k->mv_size == strlen(after) && memcmp(k->mv_data, after, k->mv_size) == 0;
}

static int walk_end(int rc)
{
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int sais_walk_table(MDB_txn *txn, MDB_dbi dbi, const char *after, sais_walk_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = {0, NULL}, v;
    MDB_cursor_op op = MDB_FIRST;
    if (after && *after) {
        k.mv_size = strlen(after);
        k.mv_data = (void *)after;
        op = MDB_SET_RANGE;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, op); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (is_cursor(&k, after))
            continue;
        int r = fn(&k, &v, ctx);
        if (r != 0) {
            rc = r < 0 ? MDB_CORRUPTED : 0;
            break;
        }
    }
    mdb_cursor_close(cur);
    return walk_end(rc);
}

int sais_walk_index(MDB_txn *txn, MDB_dbi index, MDB_dbi primary, const char *prefix, const char *after,
                    sais_walk_fn fn, void *ctx)
{
    char key[512];
    size_t plen = sais_index_pair(key, sizeof key, prefix, "");
    size_t klen = plen ? sais_index_pair(key, sizeof key, prefix, after ? after : "") : 0;
    if (klen == 0)
        return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, index, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = {klen, key}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, key, plen) != 0)
            break;
        MDB_val id = {k.mv_size - plen, (char *)k.mv_data + plen}, pv;
        if (is_cursor(&id, after))
            continue;
        rc = sais_get(txn, primary, id.mv_data, id.mv_size, &pv);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc != 0)
            break;
        int r = fn(&id, &pv, ctx);
        if (r != 0) {
            rc = r < 0 ? MDB_CORRUPTED : 0;
            break;
        }
    }
    mdb_cursor_close(cur);
    return walk_end(rc);
}
