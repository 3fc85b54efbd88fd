/* sais_store — see sais_store.h. */
#include "sais_store.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/* The runtime's own databases, present in every store. */
static const char *const runtime_dbis[] = {"_events", "_cursors", "_idem", "_meta", NULL};

#define SAIS_STORE_MAX_DBIS 48
#define SAIS_STORE_MAX_RETRIES 12

typedef struct group_req {
    sais_txn_fn       fn;
    void             *ctx;
    int               rc;
    bool              done;
    bool              lead;   /* this waiter leads the next batch (set under gmu) */
    sem_t            *wake;   /* posted when done or made leader; NULL in a write_batch */
    struct group_req *next;
} group_req_t;

struct sais_store_t {
    MDB_env *env;
    char     dir[512];
    size_t   ndbi;
    char    *names[SAIS_STORE_MAX_DBIS];
    /* the pointers the names were declared with: callers name a database with the same
     * literal (a header's macro) on every access, so a pointer compare usually finds it with
     * one strcmp instead of one per database (only compared, never dereferenced) */
    const char *declared[SAIS_STORE_MAX_DBIS];
    MDB_dbi  dbis[SAIS_STORE_MAX_DBIS];
    /* Every transaction holds this shared; growing the map takes it exclusively, because
     * mdb_env_set_mapsize may only be called with no transaction active in the process. */
    pthread_rwlock_t lock;
    /* group commit (sais_store_write_grouped): a queue of waiting writers, one of which at a
     * time leads a batch */
    pthread_mutex_t  gmu;
    group_req_t     *ghead, *gtail;
    bool             gleading;
    /* writes that could not be committed (a full disk, an I/O error): counted, and the
     * first of a spell remembered until a write commits again (sais_store_write_health) */
    _Atomic uint64_t failures;
    _Atomic int64_t  failing_since;     /* unix seconds; 0 when the last write committed */
    pthread_mutex_t  hmu;               /* guards last_error */
    char             last_error[128];
};

static int mkdir_p(const char *dir)
{
    char tmp[512];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int add_name(sais_store_t *self, const char *name)
{
    for (size_t i = 0; i < self->ndbi; i++)
        if (strcmp(self->names[i], name) == 0)
            return 0;
    if (self->ndbi >= SAIS_STORE_MAX_DBIS)
        return -1;
    self->declared[self->ndbi] = name;
    self->names[self->ndbi] = strdup(name);
    if (!self->names[self->ndbi])
        return -1;
    self->ndbi++;
    return 0;
}

/* The store's format, kept in "_meta": a store written by a newer SAIS (an upgrade rolled
 * back, a data directory copied from a newer host) is refused by name rather than misread.
 * A store without the stamp predates it and is format 1. */
static const char format_key[] = "store.format";

static int stamp_format(sais_store_t *self, MDB_txn *txn, char *err, size_t errlen)
{
    MDB_dbi meta = sais_store_dbi(self, "_meta");
    MDB_val v;
    int rc = sais_get(txn, meta, format_key, sizeof format_key - 1, &v);
    if (rc == MDB_NOTFOUND) {
        unsigned char b[8];
        sais_be64(SAIS_STORE_FORMAT, b);
        rc = sais_put(txn, meta, format_key, sizeof format_key - 1, b, sizeof b);
    } else if (rc == 0 && v.mv_size != 8) {
        snprintf(err, errlen, "%s: the store's format stamp is damaged (%zu bytes)", self->dir, v.mv_size);
        return -1;
    } else if (rc == 0 && sais_from_be64(v.mv_data) > SAIS_STORE_FORMAT) {
        snprintf(err, errlen,
                 "%s: the store is format %llu, written by a newer SAIS; this one reads format %d "
                 "at most: run the newer sais, or restore a backup this one wrote",
                 self->dir, (unsigned long long)sais_from_be64(v.mv_data), SAIS_STORE_FORMAT);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: format stamp: %s", self->dir, mdb_strerror(rc));
        return -1;
    }
    return 0;
}

sais_store_t *sais_store_open(const char *dir, const char *const *dbis, size_t map_mb,
                              char *err, size_t errlen)
{
    sais_store_t *self = calloc(1, sizeof *self);
    MDB_txn *txn = NULL;
    int rc;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (pthread_rwlock_init(&self->lock, NULL) != 0) {
        free(self);
        snprintf(err, errlen, "cannot create lock");
        return NULL;
    }
    if (pthread_mutex_init(&self->gmu, NULL) != 0) {
        pthread_rwlock_destroy(&self->lock);
        free(self);
        snprintf(err, errlen, "cannot create lock");
        return NULL;
    }
    if (pthread_mutex_init(&self->hmu, NULL) != 0) {
        pthread_mutex_destroy(&self->gmu);
        pthread_rwlock_destroy(&self->lock);
        free(self);
        snprintf(err, errlen, "cannot create lock");
        return NULL;
    }
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    for (size_t i = 0; runtime_dbis[i]; i++)
        if (add_name(self, runtime_dbis[i]) != 0)
            goto oom;
    for (size_t i = 0; dbis && dbis[i]; i++)
        if (add_name(self, dbis[i]) != 0)
            goto oom;

    if (mkdir_p(dir) != 0) {
        snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        goto fail;
    }
    if ((rc = mdb_env_create(&self->env)) != 0
        || (rc = mdb_env_set_maxdbs(self->env, (MDB_dbi)self->ndbi + 4)) != 0
        || (rc = mdb_env_set_maxreaders(self->env, 512)) != 0
        || (rc = mdb_env_set_mapsize(self->env, (size_t)(map_mb ? map_mb : 256) << 20)) != 0) {
        snprintf(err, errlen, "%s: lmdb setup: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    /* MDB_NOTLS: reader slots belong to transactions, not threads, so the gateway's pool
     * threads and the actor can each read without tying a slot to a thread. */
    if ((rc = mdb_env_open(self->env, dir, MDB_NOTLS, 0600)) != 0) {
        snprintf(err, errlen, "%s: cannot open lmdb environment: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    int dead = 0;
    if ((rc = mdb_reader_check(self->env, &dead)) != 0) {
        snprintf(err, errlen, "%s: reader check: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    if (dead > 0)
        sais_info("store %s: cleared %d stale reader slot(s)", dir, dead);

    if ((rc = mdb_txn_begin(self->env, NULL, 0, &txn)) != 0) {
        snprintf(err, errlen, "%s: begin: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    for (size_t i = 0; i < self->ndbi; i++) {
        if ((rc = mdb_dbi_open(txn, self->names[i], MDB_CREATE, &self->dbis[i])) != 0) {
            snprintf(err, errlen, "%s: open database %s: %s", dir, self->names[i], mdb_strerror(rc));
            mdb_txn_abort(txn);
            goto fail;
        }
    }
    if (stamp_format(self, txn, err, errlen) != 0) {
        mdb_txn_abort(txn);
        goto fail;
    }
    if ((rc = mdb_txn_commit(txn)) != 0) {
        snprintf(err, errlen, "%s: commit: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    return self;
oom:
    snprintf(err, errlen, "out of memory or too many databases");
fail:
    sais_store_destroy(&self);
    return NULL;
}

void sais_store_destroy(sais_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sais_store_t *self = *self_p;
    if (self->env)
        mdb_env_close(self->env);
    for (size_t i = 0; i < self->ndbi; i++)
        free(self->names[i]);
    pthread_rwlock_destroy(&self->lock);
    pthread_mutex_destroy(&self->gmu);
    pthread_mutex_destroy(&self->hmu);
    free(self);
    *self_p = NULL;
}

MDB_dbi sais_store_dbi(sais_store_t *self, const char *name)
{
    for (size_t i = 0; i < self->ndbi; i++)
        if (self->declared[i] == name && strcmp(self->names[i], name) == 0)
            return self->dbis[i];
    for (size_t i = 0; i < self->ndbi; i++)
        if (strcmp(self->names[i], name) == 0)
            return self->dbis[i];
    sais_error("store %s: database \"%s\" was not declared (programmer error)", self->dir, name);
    abort();
}

const char *sais_store_dir(sais_store_t *self) { return self->dir; }

static int grow(sais_store_t *self)
{
    MDB_envinfo info;
    int rc;
    pthread_rwlock_wrlock(&self->lock);
    if ((rc = mdb_env_info(self->env, &info)) == 0) {
        size_t next = info.me_mapsize * 2;
        rc = mdb_env_set_mapsize(self->env, next);
        if (rc == 0)
            sais_info("store %s: map grown to %zu MiB", self->dir, next >> 20);
    }
    pthread_rwlock_unlock(&self->lock);
    if (rc != 0)
        sais_error("store %s: cannot grow map: %s", self->dir, mdb_strerror(rc));
    return rc == 0 ? 0 : -1;
}

/* A write that could not be committed: the store stays open and later writes are tried as
 * they come (the disk may be freed), but the spell is visible to /healthz and /metrics. */
static void write_failed(sais_store_t *self, const char *what, int rc)
{
    /* a full disk fails every write of every service, many a second: a few lines a minute
     * say so, and how many were not written */
    unsigned held = 0;
    if (sais_log_allow(&self->failures, 6, &held)) {
        if (held)
            sais_error("store %s: %u more writes failed last minute (not logged one by one)",
                       self->dir, held);
        sais_error("store %s: %s: %s", self->dir, what, mdb_strerror(rc));
    }
    atomic_fetch_add(&self->failures, 1);
    int64_t none = 0;
    if (atomic_compare_exchange_strong(&self->failing_since, &none, sais_clock_now())) {
        /* LMDB reports a write cut short by a full disk as EIO: say how much room is left */
        struct statvfs fs;
        char room[64] = "";
        if (statvfs(self->dir, &fs) == 0)
            snprintf(room, sizeof room, "; %llu KiB free on its filesystem",
                     (unsigned long long)fs.f_bavail * fs.f_frsize / 1024);
        pthread_mutex_lock(&self->hmu);
        snprintf(self->last_error, sizeof self->last_error, "%s: %s%s", what, mdb_strerror(rc), room);
        pthread_mutex_unlock(&self->hmu);
    }
}

static void write_committed(sais_store_t *self)
{
    if (atomic_load_explicit(&self->failing_since, memory_order_relaxed) != 0) {
        atomic_store(&self->failing_since, 0);
        sais_info("store %s: writes commit again", self->dir);
    }
}

void sais_store_write_health(sais_store_t *self, uint64_t *failures, int64_t *failing_since,
                             char *error, size_t errlen)
{
    *failures = atomic_load(&self->failures);
    *failing_since = atomic_load(&self->failing_since);
    if (error && errlen) {
        pthread_mutex_lock(&self->hmu);
        snprintf(error, errlen, "%s", *failing_since ? self->last_error : "");
        pthread_mutex_unlock(&self->hmu);
    }
}

int sais_store_write(sais_store_t *self, sais_txn_fn fn, void *ctx)
{
    for (int attempt = 0; attempt < SAIS_STORE_MAX_RETRIES; attempt++) {
        MDB_txn *txn = NULL;
        pthread_rwlock_rdlock(&self->lock);
        int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
        if (rc == MDB_MAP_RESIZED) {
            /* another process grew the map: adopt its size and try again */
            rc = mdb_env_set_mapsize(self->env, 0);
            pthread_rwlock_unlock(&self->lock);
            if (rc != 0) {
                sais_error("store %s: adopt map size: %s", self->dir, mdb_strerror(rc));
                return -1;
            }
            continue;
        }
        if (rc != 0) {
            pthread_rwlock_unlock(&self->lock);
            write_failed(self, "begin write", rc);
            return -1;
        }
        int r = fn(txn, ctx);
        if (r == 0) {
            rc = mdb_txn_commit(txn);
            pthread_rwlock_unlock(&self->lock);
            if (rc == 0) {
                write_committed(self);
                return 0;
            }
            if (rc != MDB_MAP_FULL) {
                write_failed(self, "commit", rc);
                return -1;
            }
        } else {
            mdb_txn_abort(txn);
            pthread_rwlock_unlock(&self->lock);
            if (r == SAIS_TXN_ABORT)
                return SAIS_TXN_ABORT;
            if (r != MDB_MAP_FULL) {
                sais_error("store %s: write failed: %s", self->dir,
                           r == -1 ? "handler error" : mdb_strerror(r));
                return -1;
            }
        }
        /* MDB_MAP_FULL: the transaction is dead; grow and run the callback again */
        if (grow(self) != 0) {
            write_failed(self, "grow the map", MDB_MAP_FULL);
            return -1;
        }
    }
    sais_error("store %s: giving up after %d map growths", self->dir, SAIS_STORE_MAX_RETRIES);
    write_failed(self, "grow the map", MDB_MAP_FULL);
    return -1;
}

/* One batch of grouped writers: each in a child transaction of the batch's, so one writer's
 * abort or failure undoes only its own writes. MDB_MAP_FULL from any of them fails the whole
 * batch, which sais_store_write grows and redoes from the first writer (each writer's rc is
 * set again then). */
static int group_batch_fn(MDB_txn *txn, void *vctx)
{
    group_req_t *batch = vctx;
    MDB_env *env = mdb_txn_env(txn);
    for (group_req_t *r = batch; r; r = r->next) {
        MDB_txn *child = NULL;
        int rc = mdb_txn_begin(env, txn, 0, &child);
        if (rc != 0)
            return rc;
        int x = r->fn(child, r->ctx);
        if (x == 0) {
            rc = mdb_txn_commit(child);
            if (rc == MDB_MAP_FULL)
                return rc;
            r->rc = rc == 0 ? 0 : -1;
            continue;
        }
        mdb_txn_abort(child);
        if (x == MDB_MAP_FULL)
            return x;
        if (x != SAIS_TXN_ABORT && x != -1)
            sais_error("store: one write of a group failed: %s (the others go on)", mdb_strerror(x));
        r->rc = x == SAIS_TXN_ABORT ? SAIS_TXN_ABORT : -1;
    }
    return 0;
}

int sais_store_write_batch(sais_store_t *self, size_t n, const sais_txn_fn *fns, void *const *ctxs, int *rcs)
{
    if (n == 0)
        return 0;
    group_req_t *reqs = calloc(n, sizeof *reqs);
    if (!reqs)
        return -1;
    for (size_t i = 0; i < n; i++) {
        reqs[i].fn = fns[i];
        reqs[i].ctx = ctxs[i];
        reqs[i].rc = -1;
        reqs[i].next = i + 1 < n ? &reqs[i + 1] : NULL;
    }
    int rc = sais_store_write(self, group_batch_fn, reqs);
    for (size_t i = 0; i < n; i++)
        rcs[i] = rc == 0 ? reqs[i].rc : -1;
    free(reqs);
    return rc == 0 ? 0 : -1;
}

/* Each waiter sleeps on a semaphore of its own and is woken once: when its batch has committed,
 * or when it is made the next leader. (One condition variable broadcast to every waiter woke
 * them all at each commit, to queue again on the mutex: under 32 HTTP threads auditing their
 * reads, that was most of the gateway's system time.) */
int sais_store_write_grouped(sais_store_t *self, sais_txn_fn fn, void *ctx)
{
    sem_t wake;
    if (sem_init(&wake, 0, 0) != 0)
        return sais_store_write(self, fn, ctx);   /* no semaphore: a commit of its own */
    group_req_t me = {fn, ctx, 0, false, false, &wake, NULL};
    pthread_mutex_lock(&self->gmu);
    if (self->gtail)
        self->gtail->next = &me;
    else
        self->ghead = &me;
    self->gtail = &me;
    if (!self->gleading) {
        self->gleading = true;
        me.lead = true;
    }
    pthread_mutex_unlock(&self->gmu);
    while (!me.lead) {
        while (sem_wait(&wake) != 0 && errno == EINTR)
            ;
        if (me.done) {   /* posted after done was set: the post orders the two */
            sem_destroy(&wake);
            return me.rc;
        }
    }
    /* lead: everything queued now (our own request among it) goes in one transaction */
    pthread_mutex_lock(&self->gmu);
    group_req_t *batch = self->ghead;
    self->ghead = self->gtail = NULL;
    pthread_mutex_unlock(&self->gmu);
    int rc = sais_store_write(self, group_batch_fn, batch);
    for (group_req_t *r = batch, *next; r; r = next) {
        next = r->next;   /* read first: once posted, r is gone from its owner's stack */
        if (rc != 0)
            r->rc = -1;
        r->next = NULL;
        r->done = true;
        if (r != &me)
            sem_post(r->wake);
    }
    /* the next batch's leader is whoever queued first while this one committed */
    pthread_mutex_lock(&self->gmu);
    if (self->ghead) {
        self->ghead->lead = true;
        sem_post(self->ghead->wake);
    } else {
        self->gleading = false;
    }
    pthread_mutex_unlock(&self->gmu);
    sem_destroy(&wake);
    return me.rc;
}

int sais_store_read(sais_store_t *self, sais_txn_fn fn, void *ctx)
{
    MDB_txn *txn = NULL;
    pthread_rwlock_rdlock(&self->lock);
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (rc == MDB_MAP_RESIZED) {
        rc = mdb_env_set_mapsize(self->env, 0);
        if (rc == 0)
            rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    }
    if (rc != 0) {
        pthread_rwlock_unlock(&self->lock);
        sais_error("store %s: begin read: %s", self->dir, mdb_strerror(rc));
        return -1;
    }
    int r = fn(txn, ctx);
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&self->lock);
    return r;
}

typedef struct {
    sais_store_t *self;
    crypto_generichash_state st;
} digest_ctx_t;

static void hash_len(crypto_generichash_state *st, uint64_t n)
{
    unsigned char b[8];
    sais_be64(n, b);
    crypto_generichash_update(st, b, 8);
}

static int digest_fn(MDB_txn *txn, void *vctx)
{
    digest_ctx_t *c = vctx;
    /* names in sorted order so the digest does not depend on declaration order */
    size_t order[SAIS_STORE_MAX_DBIS];
    size_t n = c->self->ndbi;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(c->self->names[order[j - 1]], c->self->names[order[j]]) > 0; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t oi = 0; oi < n; oi++) {
        size_t i = order[oi];
        const char *name = c->self->names[i];
        if (name[0] == '_')
            continue;
        hash_len(&c->st, strlen(name));
        crypto_generichash_update(&c->st, (const unsigned char *)name, strlen(name));
        MDB_cursor *cur;
        int rc = mdb_cursor_open(txn, c->self->dbis[i], &cur);
        if (rc != 0)
            return rc;
        MDB_val k, v;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            hash_len(&c->st, k.mv_size);
            crypto_generichash_update(&c->st, k.mv_data, k.mv_size);
            hash_len(&c->st, v.mv_size);
            crypto_generichash_update(&c->st, v.mv_data, v.mv_size);
        }
        mdb_cursor_close(cur);
        if (rc != MDB_NOTFOUND)
            return rc;
    }
    return 0;
}

int sais_store_digest(sais_store_t *self, char hex[65])
{
    digest_ctx_t c = {.self = self};
    unsigned char out[32];
    if (crypto_generichash_init(&c.st, NULL, 0, sizeof out) != 0)
        return -1;
    if (sais_store_read(self, digest_fn, &c) != 0)
        return -1;
    crypto_generichash_final(&c.st, out, sizeof out);
    sodium_bin2hex(hex, 65, out, sizeof out);
    return 0;
}

int sais_store_usage(sais_store_t *self, uint64_t *used, uint64_t *mapsize)
{
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(self->env, &info) != 0 || mdb_env_stat(self->env, &st) != 0)
        return -1;
    *used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    *mapsize = info.me_mapsize;
    return 0;
}

int sais_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *v, size_t vlen)
{
    MDB_val key = {klen, (void *)k}, val = {vlen, (void *)v};
    return mdb_put(txn, dbi, &key, &val, 0);
}

/* A key LMDB cannot hold (empty, or longer than its limit, 511 bytes) is not there: a lookup
 * by a garbled event's 700-byte household id is a miss, not an error that its consumer would
 * retry for ever. */
static bool key_storable(MDB_txn *txn, size_t klen)
{
    return klen > 0 && (klen <= 400 || klen <= (size_t)mdb_env_get_maxkeysize(mdb_txn_env(txn)));
}

int sais_get(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, MDB_val *out)
{
    if (!key_storable(txn, klen))
        return MDB_NOTFOUND;
    MDB_val key = {klen, (void *)k};
    return mdb_get(txn, dbi, &key, out);
}

int sais_del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen)
{
    if (!key_storable(txn, klen))
        return MDB_NOTFOUND;
    MDB_val key = {klen, (void *)k};
    return mdb_del(txn, dbi, &key, NULL);
}

int sais_put_pb(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    MDB_val key = {klen, (void *)k}, val = {n, NULL};
    /* MDB_RESERVE: pack straight into the page, no intermediate buffer */
    int rc = mdb_put(txn, dbi, &key, &val, MDB_RESERVE);
    if (rc != 0)
        return rc;
    protobuf_c_message_pack(msg, val.mv_data);
    return 0;
}

int sais_entries(MDB_txn *txn, MDB_dbi dbi, size_t *n)
{
    MDB_stat st;
    int rc = mdb_stat(txn, dbi, &st);
    *n = rc == 0 ? st.ms_entries : 0;
    return rc;
}

int sais_get_pb(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
                const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
    MDB_val v;
    int rc = sais_get(txn, dbi, k, klen, &v);
    if (rc != 0)
        return rc;
    *out = protobuf_c_message_unpack(desc, NULL, v.mv_size, v.mv_data);
    return *out ? 0 : MDB_CORRUPTED;
}

int sais_next_id(sais_store_t *self, MDB_txn *txn, const char *counter, uint64_t *out)
{
    MDB_dbi meta = sais_store_dbi(self, "_meta");
    MDB_val v;
    uint64_t n = 0;
    int rc = sais_get(txn, meta, counter, strlen(counter), &v);
    if (rc == 0 && v.mv_size == 8)
        n = sais_from_be64(v.mv_data);
    else if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    n++;
    unsigned char b[8];
    sais_be64(n, b);
    rc = sais_put(txn, meta, counter, strlen(counter), b, 8);
    if (rc == 0)
        *out = n;
    return rc;
}

void sais_be64(uint64_t v, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t sais_from_be64(const unsigned char in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}
