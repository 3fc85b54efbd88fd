/* verify_refresh — recomputing, storing and announcing household pictures; owned by verify.
 *
 * Folding a fact into a person (verify_server.c) makes the person's households dirty. They
 * are not recomputed at the end of each envelope of facts but owed ("_pending", in the same
 * transaction as the facts) until the batch's feed.done: then each household the batch
 * touched is recomputed once and announced (household.changed) if its picture changed. A
 * day's medical batch in settlement order touches a household in many envelopes; it is now
 * computed, and decided by rules and warn, once per batch instead of once per envelope.
 *
 * The announcements stay a function of ingest's log, whatever the timing, so that a kill -9
 * anywhere ends in the same state (DESIGN.md): owed households are done in key order, in the
 * feed.done's transaction when there are at most verify.refresh_slice of them, or else in
 * slices by the tick while the feed.done waits (SAIS_EV_WAIT) and nothing later is applied.
 * A household read while owed is computed on the spot; a death, incarceration or certificate
 * first brings its household's picture up to date (warn reads the event against it).
 *
 * While a city's data is first loaded (rules.outreach = hold, rules_hold.c) the refreshes are
 * owed across batches too: a feed.done leaves them in "_pending" and marks them held
 * ("_held"). A household the seven feeds touch one after the other is then computed and
 * announced once, when the hold is released (the first start with outreach on): the ticks
 * sweep every held refresh in slices before anything new from ingest is applied. Reads, and
 * rules' evaluations while held (households.picture), compute owed pictures on the spot.
 */
#ifndef VERIFY_REFRESH_H
#define VERIFY_REFRESH_H

#include <stdbool.h>
#include <stdint.h>

#include "verify.h"
#include "ingest.pb-c.h"

#define VERIFY_MAX_CAUSES  16
#define VERIFY_MAX_SOURCES 8   /* the seven feeds, and room */

/* A household touched by the envelope being applied, with the records that touched it. The
 * strings of the causes and sources are borrowed (from the envelope's facts, or from a
 * pending record) and must outlive the entry. */
typedef struct {
    char           *household_id;
    Sais__Evidence  causes[VERIFY_MAX_CAUSES];
    size_t          ncauses;
    const void     *last;      /* the fact that touched it last */
    char            reason[16];
    /* every distinct source among the facts (not only the first VERIFY_MAX_CAUSES), for the
     * envelope: consumers pass over changes of sources they keep nothing of */
    const char     *sources[VERIFY_MAX_SOURCES];
    size_t          nsources;
    bool            sources_unsaid;   /* more than VERIFY_MAX_SOURCES: the envelope names none */
} verify_dirty_t;

/* The households an envelope touched, in the order first touched (the order their pictures
 * are announced in), with an open-addressing index over them: a hukou envelope touches
 * hundreds of households, and a linear search per fact was a tenth of verify's time. */
typedef struct {
    verify_dirty_t *v;
    size_t          n, cap;
    size_t         *index;      /* 1 + position in v, 0 for an empty slot */
    size_t          index_cap;  /* a power of two, at least twice cap */
} verify_dirty_set_t;

/* Notes that fact f touched household hh (nothing for an empty id). 0, or -1 out of memory. */
int  verify_dirty_add(verify_dirty_set_t *d, const char *hh, const Ing__Fact *f);
void verify_dirty_free(verify_dirty_set_t *d);
bool verify_dirty_has(const verify_dirty_set_t *d, const char *hh);

/* FNV-1a of a NUL-terminated id: the index of the dirty set and of verify's person cache. */
uint64_t verify_id_hash(const char *s);

/* At the end of an envelope of ingest's facts: its dirty households are owed. An LMDB code. */
int verify_refresh_envelope(sais_svc_t *svc, MDB_txn *txn, verify_dirty_set_t *d);

/* ingest's feed.done: does what is owed in txn, or answers SAIS_EV_WAIT while the ticks do it
 * in slices. 0, SAIS_EV_WAIT, an LMDB code or ENOMEM. */
int verify_refresh_batch_done(sais_svc_t *svc, MDB_txn *txn);

/* True if the household's stored picture is owed a refresh. */
bool verify_refresh_pending(sais_svc_t *svc, MDB_txn *txn, const char *household_id);
/* Does the refresh owed to one household now, if it is owed (by an earlier envelope of an
 * unfinished batch) or dirty in this envelope `d`, with the causes gathered for it; persons
 * from `lookup` first. The envelope's entry stays: the household is owed again at its end.
 * An LMDB code or ENOMEM. */
int  verify_refresh_owed(sais_svc_t *svc, MDB_txn *txn, const char *household_id, const verify_dirty_set_t *d,
                         verify_person_lookup_fn lookup, void *lctx);

/* True while held refreshes are being released: ingest's events wait (SAIS_EV_WAIT). */
bool verify_refresh_releasing(sais_svc_t *svc);

/* The service table's hooks: start (config), stop, the tick that sweeps the pending set, and
 * bus.status ("refresh": batch, held, sweeping or releasing; "owed_households"). */
int      verify_refresh_start(sais_svc_t *svc, char *err, size_t errlen);
int      verify_refresh_status(sais_svc_t *svc, MDB_txn *txn, sais_jw_t *w);
void     verify_refresh_stop(sais_svc_t *svc);
void     verify_refresh_tick(sais_svc_t *svc);

#endif
