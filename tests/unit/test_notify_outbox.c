/* notify_outbox on a real LMDB store, without sockets or clocks: one event key makes one
 * notification; only the first pending notification of each recipient is ever due; delivery,
 * final failure and retries move the queue on; parked SMS wait and come back; listing pages
 * newest first, by recipient too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify_outbox.h"

static char tmpdir[256];

typedef struct {
    int (*fn)(void *ctx, MDB_txn *txn);
    void *ctx;
} run_t;

static int run_cb(MDB_txn *txn, void *vctx)
{
    run_t *r = vctx;
    return r->fn(r->ctx, txn);
}

/* runs fn in a write txn; asserts it committed */
static notify_outbox_t OB;
static void in_txn(int (*fn)(void *ctx, MDB_txn *txn), void *ctx)
{
    run_t r = {fn, ctx};
    assert_int_equal(sais_store_write(OB.store, run_cb, &r), 0);
}

typedef struct {
    const char *key, *rcpt, *body;
    notify_channel_t ch;
    bool delivered;
    const char *hold;
    uint64_t id;
} add_t;

static int add_fn(void *vctx, MDB_txn *txn)
{
    add_t *a = vctx;
    notify_new_t n = {a->key, a->ch, a->rcpt, "t", a->body, 1795420800, a->delivered, a->hold, 0};
    return notify_outbox_add(&OB, txn, &n, &a->id);
}

static uint64_t add(const char *key, notify_channel_t ch, const char *rcpt, const char *hold)
{
    add_t a = {key, rcpt, "body", ch, ch == NOTIFY_INBOX, hold, 0};
    in_txn(add_fn, &a);
    return a.id;
}

typedef struct {
    int64_t now;
    uint64_t ids[16];
    size_t n;
    uint64_t skip;
} due_t;

static bool skip_fn(uint64_t id, void *ctx)
{
    return id == ((due_t *)ctx)->skip;
}

static int due_fn(void *vctx, MDB_txn *txn)
{
    due_t *d = vctx;
    return notify_outbox_due(&OB, txn, d->now, skip_fn, d, d->ids, 16, &d->n);
}

static due_t due_at(int64_t now, uint64_t skip)
{
    due_t d = {.now = now, .skip = skip};
    in_txn(due_fn, &d);
    return d;
}

typedef struct {
    uint64_t id;
    int what; /* 0 delivered, 1 failed, 2 retry, 3 park */
    int64_t next;
    char status[16];
    uint32_t attempts;
    char last_error[64];
} act_t;

static int act_fn(void *vctx, MDB_txn *txn)
{
    act_t *a = vctx;
    Ntf__Notification *n = NULL;
    int rc = notify_outbox_get(&OB, txn, a->id, &n);
    if (rc)
        return rc;
    switch (a->what) {
    case 0: rc = notify_outbox_delivered(&OB, txn, n, 1795420900); break;
    case 1: rc = notify_outbox_failed(&OB, txn, n, "gone"); break;
    case 2: rc = notify_outbox_retry(&OB, txn, n, "HTTP 503", a->next); break;
    case 3: rc = notify_outbox_park(&OB, txn, n, "no gateway"); break;
    default: rc = 0; break;
    }
    snprintf(a->status, sizeof a->status, "%s", n->status);
    snprintf(a->last_error, sizeof a->last_error, "%s", n->last_error);
    a->attempts = n->attempts;
    protobuf_c_message_free_unpacked(&n->base, NULL);
    return rc;
}

static act_t act(uint64_t id, int what, int64_t next)
{
    act_t a = {.id = id, .what = what, .next = next};
    in_txn(act_fn, &a);
    return a;
}

static sais_store_t *open_store(const char *sub)
{
    char dir[400], err[256];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    sais_store_t *st = sais_store_open(dir, notify_dbis, 8, err, sizeof err);
    assert_non_null(st);
    notify_outbox_init(&OB, st);
    return st;
}

static void test_queue_per_recipient(void **state)
{
    (void)state;
    sais_store_t *st = open_store("q");
    uint64_t a1 = add("rules:1:webhook:wh-1", NOTIFY_WEBHOOK, "wh-1", NULL);
    uint64_t b1 = add("rules:1:webhook:wh-2", NOTIFY_WEBHOOK, "wh-2", NULL);
    uint64_t a2 = add("rules:2:webhook:wh-1", NOTIFY_WEBHOOK, "wh-1", NULL);
    uint64_t a3 = add("rules:3:webhook:wh-1", NOTIFY_WEBHOOK, "wh-1", NULL);
    uint64_t in = add("rules:1:inbox:330326", NOTIFY_INBOX, "330326", NULL);
    assert_true(a1 && b1 && a2 && a3 && in);
    assert_true(a1 < b1 && b1 < a2 && a2 < a3);
    /* the same event key again (a retried batch): nothing new */
    assert_int_equal(add("rules:2:webhook:wh-1", NOTIFY_WEBHOOK, "wh-1", NULL), 0);

    /* only the heads are due; the inbox item was delivered as it was stored */
    due_t d = due_at(1000, 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.ids[0], a1);
    assert_int_equal(d.ids[1], b1);
    d = due_at(1000, a1); /* a1 in flight: still nothing else of wh-1 */
    assert_int_equal(d.n, 1);
    assert_int_equal(d.ids[0], b1);

    /* a1 fails and waits: wh-1 has nothing due until then, in order */
    act_t r = act(a1, 2, 5000);
    assert_string_equal(r.status, "pending");
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.last_error, "HTTP 503");
    d = due_at(4999, 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.ids[0], b1);
    d = due_at(5000, 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.ids[1], a1);
    /* a retry to a later time moves it, it does not duplicate it */
    act(a1, 2, 7000);
    assert_int_equal(due_at(6000, b1).n, 0);

    /* delivered: the next one for wh-1 is due at once */
    r = act(a1, 0, 0);
    assert_string_equal(r.status, "delivered");
    assert_int_equal(r.attempts, 3);
    assert_string_equal(r.last_error, "");
    d = due_at(0, b1);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.ids[0], a2);
    /* failed for good: it too makes way */
    r = act(a2, 1, 0);
    assert_string_equal(r.status, "failed");
    assert_string_equal(r.last_error, "gone");
    d = due_at(0, b1);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.ids[0], a3);
    act(a3, 0, 0);
    act(b1, 0, 0);
    assert_int_equal(due_at(INT64_MAX - 1, 0).n, 0);
    /* a new one after the queue ran dry is due at once */
    uint64_t a4 = add("rules:4:webhook:wh-1", NOTIFY_WEBHOOK, "wh-1", NULL);
    d = due_at(0, 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.ids[0], a4);
    sais_store_destroy(&st);
}

typedef struct { size_t n; } unpark_t;
static int unpark_fn(void *vctx, MDB_txn *txn)
{
    return notify_outbox_unpark_all(&OB, txn, &((unpark_t *)vctx)->n);
}

static void test_parked_sms(void **state)
{
    (void)state;
    sais_store_t *st = open_store("p");
    uint64_t s1 = add("rules:1:sms:13800001234", NOTIFY_SMS, "13800001234", "no gateway");
    uint64_t s2 = add("rules:2:sms:13800001234", NOTIFY_SMS, "13800001234", "no gateway");
    uint64_t t1 = add("rules:2:sms:13900001234", NOTIFY_SMS, "13900001234", NULL);
    /* parked: never due, whatever the time */
    due_t d = due_at(INT64_MAX - 1, 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.ids[0], t1);
    act_t r = act(s2, 4, 0);
    assert_string_equal(r.last_error, "no gateway");
    assert_int_equal(r.attempts, 0);
    /* parking the other head too, then a gateway appears: both heads due at once, s2 waits */
    act(t1, 3, 0);
    assert_int_equal(due_at(INT64_MAX - 1, 0).n, 0);
    unpark_t u = {0};
    in_txn(unpark_fn, &u);
    assert_int_equal(u.n, 2);
    d = due_at(0, 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.ids[0], s1);
    assert_int_equal(d.ids[1], t1);
    r = act(s1, 4, 0);
    assert_string_equal(r.last_error, "");
    act(s1, 0, 0);
    d = due_at(0, t1);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.ids[0], s2);
    sais_store_destroy(&st);
}

typedef struct {
    const char *rcpt;
    uint64_t before;
    size_t limit;
    uint64_t seen[64];
    size_t n;
    uint64_t next;
    bool odd_only;
} scan_t;

static bool keep_fn(const Ntf__Notification *n, void *vctx)
{
    scan_t *s = vctx;
    return !s->odd_only || notify_id_parse(n->notification_id) % 2 == 1;
}

static void emit_fn(const Ntf__Notification *n, void *vctx)
{
    scan_t *s = vctx;
    s->seen[s->n++] = notify_id_parse(n->notification_id);
}

static int scan_fn(void *vctx, MDB_txn *txn)
{
    scan_t *s = vctx;
    s->n = 0;
    return notify_outbox_scan(&OB, txn, s->rcpt, s->before, s->limit, 1000, keep_fn, emit_fn, s, &s->next);
}

static void test_listing(void **state)
{
    (void)state;
    sais_store_t *st = open_store("l");
    char key[64];
    for (int i = 1; i <= 10; i++) {
        snprintf(key, sizeof key, "warn:%d:inbox:%s", i, i % 3 ? "330326" : "330327");
        assert_int_equal(add(key, NOTIFY_INBOX, i % 3 ? "330326" : "330327", NULL), (uint64_t)i);
    }
    /* newest first, in pages, the cursor continuing strictly before */
    scan_t s = {.limit = 4};
    in_txn(scan_fn, &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.seen[0], 10);
    assert_int_equal(s.seen[3], 7);
    assert_int_equal(s.next, 7);
    s.before = s.next;
    in_txn(scan_fn, &s);
    assert_int_equal(s.seen[0], 6);
    s.before = 3;
    in_txn(scan_fn, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.next, 0);
    /* by recipient through its index */
    scan_t r = {.rcpt = "330327", .limit = 2};
    in_txn(scan_fn, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.seen[0], 9);
    assert_int_equal(r.seen[1], 6);
    assert_int_equal(r.next, 6);
    r.before = r.next;
    in_txn(scan_fn, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.seen[0], 3);
    assert_int_equal(r.next, 0);
    scan_t none = {.rcpt = "3303", .limit = 5};
    in_txn(scan_fn, &none);
    assert_int_equal(none.n, 0);
    /* a filter: only what it keeps, the limit counts kept ones */
    scan_t odd = {.limit = 3, .odd_only = true};
    in_txn(scan_fn, &odd);
    assert_int_equal(odd.n, 3);
    assert_int_equal(odd.seen[0], 9);
    assert_int_equal(odd.seen[2], 5);

    char id[NOTIFY_ID_BUF];
    notify_id_format(42, id);
    assert_string_equal(id, "ntf-000000000042");
    assert_int_equal(notify_id_parse(id), 42);
    assert_int_equal(notify_id_parse("ntf-"), 0);
    assert_int_equal(notify_id_parse("ntf-12a"), 0);
    assert_int_equal(notify_id_parse("wh-000001"), 0);
    assert_int_equal(notify_id_parse("ntf-99999999999999999999999"), 0);
    assert_int_equal(notify_id_parse(NULL), 0);
    sais_store_destroy(&st);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sais-test-notify-outbox-%d", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_per_recipient),
        cmocka_unit_test(test_parked_sms),
        cmocka_unit_test(test_listing),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
