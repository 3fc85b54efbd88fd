/* gateway_keys — see gateway_keys.h. */
#include "gateway_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gateway_http.h"
#include "gateway_routes.h"
#include "sais_clock.h"
#include "sais_config.h"
#include "sais_log.h"



static void field_err(gw_field_err_t *e, const char *field, const char *code, const char *msg)
{
    if (!e) return;
    snprintf(e->field, sizeof e->field, "%s", field);
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->message, sizeof e->message, "%s", msg);
}

int gw_key_secret_make(const char *id, char *out, size_t outlen)
{
    unsigned char rnd[32];
    char b64[64];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2base64(b64, sizeof b64, rnd, sizeof rnd, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(rnd, sizeof rnd);
    int n = snprintf(out, outlen, "sais_%s_%s", id, b64);
    sodium_memzero(b64, sizeof b64);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int gw_key_secret_id(const char *secret, size_t n, char *id)
{
    if (n < 5 + GW_KEY_ID_LEN + 2 || n > GW_KEY_SECRET_MAX || memcmp(secret, "sais_", 5) != 0)
        return -1;
    const char *p = secret + 5;
    for (size_t i = 0; i < GW_KEY_ID_LEN; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return -1;
    }
    if (p[GW_KEY_ID_LEN] != '_') return -1;
    memcpy(id, p, GW_KEY_ID_LEN);
    id[GW_KEY_ID_LEN] = '\0';
    return 0;
}

void gw_key_hash(const char *secret, size_t n, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)secret, n, NULL, 0);
}

static bool region_prefix_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2 || n > 6) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

int gw_key_spec_check(const gateway_key_spec_t *spec, gw_field_err_t *e)
{
    unsigned bit = gw_role_bit(spec->role);
    if (!bit) {
        field_err(e, "role", "bad_role",
                  "role must be one of admin, caseworker, reviewer, partner, charity, city, auditor");
        return -1;
    }
    size_t nl = spec->name ? strlen(spec->name) : 0;
    if (nl == 0 || nl > GW_KEY_NAME_MAX || !gw_utf8_valid(spec->name, nl)) {
        field_err(e, "name", "bad_name", "name must be 1 to 200 bytes of UTF-8");
        return -1;
    }
    if (spec->nregions > GW_KEY_MAX_REGIONS) {
        field_err(e, "regions", "too_many", "at most 64 region prefixes");
        return -1;
    }
    for (size_t i = 0; i < spec->nregions; i++) {
        if (!region_prefix_valid(spec->regions[i])) {
            field_err(e, "regions", "bad_region", "a region prefix is 2 to 6 digits");
            return -1;
        }
    }
    if ((bit == GW_ROLE_CASEWORKER || bit == GW_ROLE_REVIEWER) && spec->nregions == 0) {
        field_err(e, "regions", "required", "a caseworker or reviewer key needs its regions");
        return -1;
    }
    if (spec->nsources > GW_KEY_MAX_SOURCES) {
        field_err(e, "sources", "too_many", "at most the seven feed sources");
        return -1;
    }
    for (size_t i = 0; i < spec->nsources; i++) {
        if (!gw_source_valid(spec->sources[i])) {
            field_err(e, "sources", "bad_source",
                      "sources are hukou, medical, disability, hrss, civil, justice, assets");
            return -1;
        }
    }
    if (bit == GW_ROLE_PARTNER && spec->nsources == 0) {
        field_err(e, "sources", "required", "a partner key needs the feed sources it may post");
        return -1;
    }
    return 0;
}

/* Reads an optional array of strings into arena; -1 if not an array of strings. */
static int str_array(const json_t *body, const char *key, const char **arena, size_t max,
                     size_t *n, gw_field_err_t *e)
{
    const json_t *a = json_object_get(body, key);
    *n = 0;
    if (!a || json_is_null(a)) return 0;
    if (!json_is_array(a)) {
        field_err(e, key, "bad_type", "must be an array of strings");
        return -1;
    }
    if (json_array_size(a) > max) {
        field_err(e, key, "too_many", "too many entries");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_string(v)) {
            field_err(e, key, "bad_type", "must be an array of strings");
            return -1;
        }
        arena[(*n)++] = json_string_value(v);
    }
    return 0;
}

int gw_key_spec_from_json(const json_t *body, gateway_key_spec_t *spec, const char **arena,
                          gw_field_err_t *e)
{
    memset(spec, 0, sizeof *spec);
    const json_t *name = json_object_get(body, "name");
    const json_t *role = json_object_get(body, "role");
    if (!json_is_string(name)) {
        field_err(e, "name", "required", "name is a required string");
        return -1;
    }
    if (!json_is_string(role)) {
        field_err(e, "role", "required", "role is a required string");
        return -1;
    }
    spec->name = json_string_value(name);
    spec->role = json_string_value(role);
    size_t nr = 0, ns = 0;
    if (str_array(body, "regions", arena, GW_KEY_MAX_REGIONS, &nr, e) != 0) return -1;
    if (str_array(body, "sources", arena + nr, GW_KEY_MAX_SOURCES, &ns, e) != 0) return -1;
    spec->regions = arena;
    spec->nregions = nr;
    spec->sources = arena + nr;
    spec->nsources = ns;
    const json_t *exp = json_object_get(body, "expires_at");
    if (exp && !json_is_null(exp)) {
        int64_t t = json_is_string(exp) ? sais_time_parse(json_string_value(exp)) : -1;
        if (t <= 0) {
            field_err(e, "expires_at", "bad_date", "an RFC 3339 time, e.g. 2027-06-30T16:00:00Z");
            return -1;
        }
        if (t <= sais_clock_now()) {
            field_err(e, "expires_at", "bad_date", "expires_at is not in the future");
            return -1;
        }
        spec->expires_at = t;
    }
    return 0;
}

/* ---- the stored record (JSON: readable with mdb_dump, and what GET /v1/keys shows) */

static void record_write(sais_jw_t *w, const gw_key_t *k, bool with_hash, const char *secret)
{
    sais_jw_obj(w);
    sais_jw_kstr(w, "id", k->id);
    if (secret) sais_jw_kstr(w, "key", secret);
    sais_jw_kstr(w, "name", k->name);
    sais_jw_kstr(w, "role", k->role);
    sais_jw_key(w, "regions");
    sais_jw_arr(w);
    for (size_t i = 0; i < k->nregions; i++) sais_jw_str(w, k->regions[i]);
    sais_jw_arr_end(w);
    sais_jw_key(w, "sources");
    sais_jw_arr(w);
    for (size_t i = 0; i < k->nsources; i++) sais_jw_str(w, k->sources[i]);
    sais_jw_arr_end(w);
    sais_jw_ktime(w, "created_at", k->created_at);
    /* the public form says null for never; the stored record leaves it out */
    if (k->expires_at || !with_hash) sais_jw_ktime(w, "expires_at", k->expires_at);
    if (with_hash) {
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, k->hash, sizeof k->hash);
        sais_jw_kstr(w, "hash", hex);
    }
    sais_jw_obj_end(w);
}

void gw_key_write(sais_jw_t *w, const gw_key_t *k, const char *secret)
{
    record_write(w, k, false, secret);
}

static int record_read(const void *p, size_t n, gw_key_t *k)
{
    memset(k, 0, sizeof *k);
    json_t *o = json_loadb(p, n, 0, NULL);
    int rc = -1;
    if (!json_is_object(o)) goto done;
    const char *id = sais_json_str(o, "id"), *name = sais_json_str(o, "name");
    const char *role = sais_json_str(o, "role"), *hash = sais_json_str(o, "hash");
    const char *created = sais_json_str(o, "created_at"), *expires = sais_json_str(o, "expires_at");
    if (!id || !name || !role || !hash || strlen(id) >= sizeof k->id ||
        strlen(name) >= sizeof k->name || strlen(role) >= sizeof k->role)
        goto done;
    snprintf(k->id, sizeof k->id, "%s", id);
    snprintf(k->name, sizeof k->name, "%s", name);
    snprintf(k->role, sizeof k->role, "%s", role);
    k->role_bit = gw_role_bit(role);
    k->created_at = created ? sais_time_parse(created) : 0;
    k->expires_at = expires ? sais_time_parse(expires) : 0;
    if (expires && k->expires_at <= 0) goto done;   /* never read as "never" */
    size_t hl = 0;
    if (sodium_hex2bin(k->hash, sizeof k->hash, hash, strlen(hash), NULL, &hl, NULL) != 0 ||
        hl != sizeof k->hash)
        goto done;
    const json_t *a = json_object_get(o, "regions");
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a) && i < GW_KEY_MAX_REGIONS; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s || strlen(s) >= sizeof k->regions[0]) goto done;
        snprintf(k->regions[k->nregions++], sizeof k->regions[0], "%s", s);
    }
    a = json_object_get(o, "sources");
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a) && i < GW_KEY_MAX_SOURCES; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s || strlen(s) >= sizeof k->sources[0]) goto done;
        snprintf(k->sources[k->nsources++], sizeof k->sources[0], "%s", s);
    }
    rc = k->role_bit ? 0 : -1;
done:
    json_decref(o);
    return rc;
}

/* ---- create */

typedef struct {
    sais_store_t *store;
    gw_key_t     *key;
    char         *value;
    size_t        vlen;
    bool          only_if_empty;   /* admin bootstrap: do nothing if any key exists */
    bool          existed;
} put_ctx_t;

static int put_cb(MDB_txn *txn, void *arg)
{
    put_ctx_t *c = arg;
    MDB_dbi dbi = sais_store_dbi(c->store, GW_KEYS_DBI);
    c->existed = false;
    if (c->only_if_empty) {
        size_t keys;
        int rc = sais_entries(txn, dbi, &keys);
        if (rc != 0) return rc;
        if (keys > 0) {
            c->existed = true;
            return SAIS_TXN_ABORT;
        }
    }
    MDB_val v;
    int rc = sais_get(txn, dbi, c->key->id, strlen(c->key->id), &v);
    if (rc == 0) {
        c->existed = true;   /* 48 random bits collided: the caller draws a new id */
        return SAIS_TXN_ABORT;
    }
    if (rc != MDB_NOTFOUND) return rc;
    return sais_put(txn, dbi, c->key->id, strlen(c->key->id), c->value, c->vlen);
}

/* Fills k from a checked spec with a fresh id and secret. */
static int key_fill(const gateway_key_spec_t *spec, gw_key_t *k, char *secret, size_t secretlen)
{
    memset(k, 0, sizeof *k);
    unsigned char rnd[GW_KEY_ID_LEN / 2];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(k->id, sizeof k->id, rnd, sizeof rnd);
    snprintf(k->name, sizeof k->name, "%s", spec->name);
    snprintf(k->role, sizeof k->role, "%s", spec->role);
    k->role_bit = gw_role_bit(spec->role);
    for (size_t i = 0; i < spec->nregions; i++)
        snprintf(k->regions[k->nregions++], sizeof k->regions[0], "%s", spec->regions[i]);
    for (size_t i = 0; i < spec->nsources; i++)
        snprintf(k->sources[k->nsources++], sizeof k->sources[0], "%s", spec->sources[i]);
    k->created_at = sais_clock_now();
    k->expires_at = spec->expires_at;
    if (gw_key_secret_make(k->id, secret, secretlen) != 0) return -1;
    gw_key_hash(secret, strlen(secret), k->hash);
    return 0;
}

/* 0 stored, 1 refused because keys exist (only_if_empty), -1 store failure. */
static int key_store(sais_store_t *store, const gateway_key_spec_t *spec, gw_key_t *out,
                     char *secret, size_t secretlen, bool only_if_empty)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        if (key_fill(spec, out, secret, secretlen) != 0) return -1;
        sais_jw_t w;
        sais_jw_init(&w);
        record_write(&w, out, true, NULL);
        put_ctx_t c = {.store = store, .key = out, .only_if_empty = only_if_empty};
        c.value = sais_jw_take(&w, &c.vlen);
        sais_jw_free(&w);
        if (!c.value) return -1;
        int rc = sais_store_write(store, put_cb, &c);
        free(c.value);
        if (rc == 0) return 0;
        if (rc != SAIS_TXN_ABORT) return -1;
        if (only_if_empty) return 1;
    }
    return -1;
}

int gw_key_create(sais_store_t *store, const gateway_key_spec_t *spec, gw_key_t *out,
                  char *secret, size_t secretlen, gw_field_err_t *e)
{
    if (gw_key_spec_check(spec, e) != 0) return -1;
    int rc = key_store(store, spec, out, secret, secretlen, false);
    if (rc != 0) {
        sodium_memzero(secret, secretlen);
        return -2;
    }
    return 0;
}

int gateway_key_create(sais_store_t *store, const gateway_key_spec_t *spec,
                       char *id, size_t idlen, char *secret, size_t secretlen,
                       char *err, size_t errlen)
{
    gw_field_err_t e = {{0}, {0}, {0}};
    gw_key_t k;
    if (idlen < sizeof k.id || secretlen < GW_KEY_SECRET_MAX) {
        snprintf(err, errlen, "buffers too small");
        return -1;
    }
    int rc = gw_key_create(store, spec, &k, secret, secretlen, &e);
    if (rc == -1) {
        snprintf(err, errlen, "%s: %s", e.field, e.message);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "store: the key could not be written");
        return -1;
    }
    snprintf(id, idlen, "%s", k.id);
    return 0;
}

/* ---- lookup, list, delete */

typedef struct {
    sais_store_t *store;
    const char   *id;
    gw_key_t     *out;
    int           found;
} get_ctx_t;

static int get_cb(MDB_txn *txn, void *arg)
{
    get_ctx_t *c = arg;
    MDB_val v;
    int rc = sais_get(txn, sais_store_dbi(c->store, GW_KEYS_DBI), c->id, strlen(c->id), &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return -1;
    if (record_read(v.mv_data, v.mv_size, c->out) != 0) {
        sais_warn("gateway: key record %s does not parse; treated as unknown", c->id);
        return 0;
    }
    c->found = 1;
    return 0;
}

int gw_key_lookup(sais_store_t *store, const char *secret, size_t n, gw_key_t *out)
{
    char id[GW_KEY_ID_LEN + 4];
    if (gw_key_secret_id(secret, n, id) != 0) return 1;
    get_ctx_t c = {.store = store, .id = id, .out = out};
    if (sais_store_read(store, get_cb, &c) != 0) return -1;
    if (!c.found) return 1;
    unsigned char h[32];
    gw_key_hash(secret, n, h);
    if (sodium_memcmp(h, out->hash, sizeof h) != 0) return 1;
    return out->expires_at && sais_clock_now() >= out->expires_at ? 2 : 0;
}

typedef struct {
    sais_store_t *store;
    const char   *cursor;
    size_t        limit;
    sais_jw_t    *w;
} list_ctx_t;

static int list_cb(MDB_txn *txn, void *arg)
{
    list_ctx_t *c = arg;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_store_dbi(c->store, GW_KEYS_DBI), &cur);
    if (rc != 0) return -1;
    MDB_val k, v;
    MDB_cursor_op op = MDB_FIRST;
    if (c->cursor && *c->cursor) {
        k.mv_data = (void *)c->cursor;
        k.mv_size = strlen(c->cursor);
        op = MDB_SET_RANGE;
    }
    size_t n = 0;
    char last[GW_KEY_ID_LEN + 4] = "";
    bool more = false;
    sais_jw_obj(c->w);
    sais_jw_key(c->w, "items");
    sais_jw_arr(c->w);
    for (rc = mdb_cursor_get(cur, &k, &v, op); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (op == MDB_SET_RANGE && k.mv_size == strlen(c->cursor) &&
            memcmp(k.mv_data, c->cursor, k.mv_size) == 0)
            continue;   /* the cursor is the last id already shown */
        if (n == c->limit) {
            more = true;
            break;
        }
        gw_key_t key;
        if (record_read(v.mv_data, v.mv_size, &key) != 0) continue;
        record_write(c->w, &key, false, NULL);
        snprintf(last, sizeof last, "%s", key.id);
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return -1;
    sais_jw_arr_end(c->w);
    sais_jw_key(c->w, "next_cursor");
    if (more) sais_jw_str(c->w, last);
    else sais_jw_null(c->w);
    sais_jw_obj_end(c->w);
    return 0;
}

int gw_keys_list(sais_store_t *store, const char *cursor, size_t limit, sais_jw_t *w)
{
    list_ctx_t c = {.store = store, .cursor = cursor, .limit = limit, .w = w};
    return sais_store_read(store, list_cb, &c) == 0 ? 0 : -1;
}

typedef struct {
    sais_store_t *store;
    const char   *id;
} del_ctx_t;

static int del_cb(MDB_txn *txn, void *arg)
{
    del_ctx_t *c = arg;
    int rc = sais_del(txn, sais_store_dbi(c->store, GW_KEYS_DBI), c->id, strlen(c->id));
    if (rc == MDB_NOTFOUND) return SAIS_TXN_ABORT;
    return rc;
}

int gateway_key_delete(sais_store_t *store, const char *id)
{
    if (!id || !*id || strlen(id) > GW_KEY_ID_LEN) return 1;
    del_ctx_t c = {.store = store, .id = id};
    int rc = sais_store_write(store, del_cb, &c);
    if (rc == 0) return 0;
    return rc == SAIS_TXN_ABORT ? 1 : -1;
}

/* ---- the first admin key */

int gateway_admin_key_path(const sais_config_t *cfg, char *path, size_t pathlen)
{
    const char *dir = cfg ? sais_config_get(cfg, "data.dir") : NULL;
    if (!dir || !*dir) dir = ".";
    int n = snprintf(path, pathlen, "%s/admin.key", dir);
    return n > 0 && (size_t)n < pathlen ? 0 : -1;
}

/* Writes the secret to a temporary file next to `path`, mode 0600, synced. */
static int write_secret(const char *tmp, const char *secret)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    size_t n = strlen(secret);
    int rc = 0;
    if (fchmod(fd, 0600) != 0 || write(fd, secret, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
        fsync(fd) != 0)
        rc = -1;
    if (close(fd) != 0) rc = -1;
    if (rc != 0) unlink(tmp);
    return rc;
}

int gateway_admin_key_ensure(sais_store_t *store, const char *data_dir, char *path, size_t pathlen)
{
    char tmp[4096 + 16];
    int n = snprintf(path, pathlen, "%s/admin.key", data_dir && *data_dir ? data_dir : ".");
    if (n < 0 || (size_t)n >= pathlen || snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    static const char *const no_scope[] = {NULL};
    gateway_key_spec_t spec = {.name = "admin", .role = "admin", .regions = no_scope,
                               .sources = no_scope};
    char secret[GW_KEY_SECRET_MAX];
    gw_key_t k;
    /* The secret reaches the disk before the key exists, so a key nobody can read is never
     * committed; if keys exist already the file is dropped again. */
    if (key_fill(&spec, &k, secret, sizeof secret) != 0) return -1;
    if (write_secret(tmp, secret) != 0) {
        sais_error("gateway: cannot write %s: %s", tmp, strerror(errno));
        sodium_memzero(secret, sizeof secret);
        return -1;
    }
    sais_jw_t w;
    sais_jw_init(&w);
    record_write(&w, &k, true, NULL);
    put_ctx_t c = {.store = store, .key = &k, .only_if_empty = true};
    c.value = sais_jw_take(&w, &c.vlen);
    sais_jw_free(&w);
    sodium_memzero(secret, sizeof secret);
    int rc = c.value ? sais_store_write(store, put_cb, &c) : -1;
    free(c.value);
    if (rc != 0) {
        unlink(tmp);
        return rc == SAIS_TXN_ABORT && c.existed ? 0 : -1;
    }
    if (rename(tmp, path) != 0) {
        sais_error("gateway: cannot move the admin key to %s: %s", path, strerror(errno));
        unlink(tmp);
        gateway_key_delete(store, k.id);
        return -1;
    }
    sais_info("gateway: created the first admin key %s; its secret is in %s", k.id, path);
    return 1;
}
