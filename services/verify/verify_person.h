/* verify_person — folds accepted partner facts (ing.Fact) into one person's stored record
 * (vst.Person), by the rules of DOMAIN.md, and answers the per-person questions a household
 * picture asks (income, out-of-pocket, disability). Pure logic: no I/O, no clock.
 *
 * Order independence is the contract: applying any permutation of the same set of facts to
 * a fresh person gives a record that packs to the same bytes. Every "current" value is the
 * maximum of a total order over the facts (date, then record_id) and every list is kept
 * sorted, so a replay after a crash or a shuffled feed cannot give a different record.
 *
 * Memory: a Vst__Person handled here is laid out exactly as vst__person__unpack() lays it
 * out (every string, array and sub-message separately malloc'd, empty strings pointing at
 * protobuf_c_empty_string), so a record from verify_person_new() or from unpack is freed the
 * same way: verify_person_destroy() or vst__person__free_unpacked(p, NULL).
 */
#ifndef VERIFY_PERSON_H
#define VERIFY_PERSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.pb-c.h"
#include "vstore.pb-c.h"

/* Income and medical entries whose month is this many months or more before the newest
 * month present in the same list are dropped (see verify_person.c for why "newest present"
 * and not "today"). A picture needs at most 13 months back; the rest is slack for late feeds. */
#define VERIFY_KEEP_MONTHS 25

/* Person-level happenings a fact caused, for early warning (ver.PersonEvent kinds). */
enum {
    VERIFY_HAPPEN_DIED              = 1u << 0,  /* alive -> deceased */
    VERIFY_HAPPEN_INCARCERATED      = 1u << 1,  /* free -> incarcerated */
    VERIFY_HAPPEN_RELEASED          = 1u << 2,  /* incarcerated -> free */
    VERIFY_HAPPEN_SEVERE_DISABILITY = 1u << 3,  /* a certificate became active grade 1-2 */
    VERIFY_HAPPEN_MOVED             = 1u << 4,  /* household, region or hukou status changed
                                                   (not on a first registration) */
};

/* What one fact did to a person. The strings are owned by the effect (never NULL after
 * verify_person_apply, "" when empty); verify_effect_clear() frees them. */
typedef struct {
    bool changed;             /* the stored record differs: write it back */
    bool picture_changed;     /* something a household picture reads changed */
    char *old_household_id;   /* effective household before the fact ... */
    char *old_region;
    char *new_household_id;   /* ... and after: when they differ, re-evaluate both */
    char *new_region;
    unsigned happenings;      /* VERIFY_HAPPEN_* bits */
    char date[11];            /* the fact's date ("" if it has none) */
    int grade;                /* the grade, for VERIFY_HAPPEN_SEVERE_DISABILITY */
} verify_effect_t;

/* A medical fact folded into a person's sorted, bounded list of settlements (what
 * verify_person_apply does for the medical source; verify_medical_packed.c uses it on a list
 * read from the packed record). *changed: the list differs. -1 on an invalid date or out
 * of memory (the list is then unchanged, or, out of memory, may have lost the old entry). */
int verify_medicals_fold(Vst__Medical ***medicals, size_t *n_medicals, const Ing__Fact *f, bool *changed);

/* Zeroes an effect (no allocation). Call once before first use. */
void verify_effect_init(verify_effect_t *eff);

/* Frees the effect's strings and zeroes it again. Idempotent. */
void verify_effect_clear(verify_effect_t *eff);

/* A fresh person for `id_number` (sex and birth date taken from it when it is a valid ID).
 * Returns an owned record, or NULL when out of memory. */
Vst__Person *verify_person_new(const char *id_number);

/* Frees a person (from verify_person_new or vst__person__unpack) and NULLs *p. Idempotent. */
void verify_person_destroy(Vst__Person **p);

/* Applies one accepted fact. `p` is modified in place; `eff`, if not NULL, is cleared and
 * then filled with what changed (the caller still owns it and must verify_effect_clear it).
 * A fact already folded in (same record) changes nothing.
 * Returns 0 on success (including "nothing changed"); -1 if the fact is not one this
 * function understands (unknown source/event, unparseable date or month, another person's
 * id_number, missing key field) — then `p` is untouched — or if memory ran out, after which
 * `p` may hold part of the change and must be discarded (reload it from the store). */
int verify_person_apply(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff);

/* "deceased" | "moved_out" | "incarcerated" | "active", in that precedence. A person with
 * no hukou record yet is "active" with an empty household. Static string. */
const char *verify_person_status(const Vst__Person *p);

/* Registered in `household_id` by a hukou record in force that is not a move_out. */
bool verify_person_registered_in(const Vst__Person *p, const char *household_id);

/* Sum of hrss amounts in month `month` (year*12 + month-1). */
int64_t verify_person_income_month(const Vst__Person *p, long month);

/* Sum of hrss amounts over the 12 complete months before the month of `today_days`. */
int64_t verify_person_income_12m(const Vst__Person *p, long today_days);

/* income_12m / 12, floored to the fen. */
int64_t verify_person_income_monthly(const Vst__Person *p, long today_days);

/* True if a medical settlement on day `settled` falls in "the 365 days up to today": the
 * window is today-364 .. today inclusive, so a settlement exactly 365 days ago is OUT and a
 * settlement dated after today is out too. */
bool verify_in_365_days(long settled, long today_days);

/* Sum of out_of_pocket settled within verify_in_365_days. */
int64_t verify_person_oop_12m(const Vst__Person *p, long today_days);

/* The active certificate with the most severe (lowest) grade, ties by certificate; NULL
 * if none. Borrowed from `p`. */
const Vst__Disability *verify_person_disability(const Vst__Person *p);

#endif
