/* intake_flow — the rules an application moves by: its statuses and the legal steps between
 * them, what a filed request may contain, and what rules' findings decide.
 *
 * Pure functions, no I/O, no allocation except where a function says it returns a heap
 * string. The statuses (API.md "Applications"):
 *
 *   (new) ──► submitted ──► verifying ──► deciding ──► pending_review ──► approved
 *      │                        │             │             │        └──► rejected
 *      │                        └──► rejected ├──► approved └ (a reviewer decides)
 *      └──► pending_review (a proactive case) └──► rejected
 *
 * approved and rejected are final: nothing leaves them.
 */
#ifndef INTAKE_FLOW_H
#define INTAKE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include "intake.pb-c.h"

typedef enum {
    INTAKE_NEW = 0,             /* not stored yet: only a creation leaves it */
    INTAKE_SUBMITTED,
    INTAKE_VERIFYING,
    INTAKE_DECIDING,
    INTAKE_PENDING_REVIEW,
    INTAKE_APPROVED,
    INTAKE_REJECTED,
    INTAKE_NSTATUS
} intake_status_t;

/* "submitted", ...; "" for INTAKE_NEW or anything out of range. */
const char *intake_status_name(intake_status_t st);
/* The status named `s`; -1 if it names none (INTAKE_NEW has no name). */
int intake_status_parse(const char *s);
/* True if an application may move from `from` to `to` (the diagram above). */
bool intake_step_ok(intake_status_t from, intake_status_t to);
/* approved or rejected. */
bool intake_status_final(intake_status_t st);
/* Still being worked on by intake itself: submitted, verifying, deciding. */
bool intake_status_working(intake_status_t st);

/* window|mobile|hotline|proxy: the channels a person files through ("proactive" is rules'). */
bool intake_channel_ok(const char *channel);
/* A policy id as the catalogue writes them: 1..48 of [a-z0-9_], starting with a letter. */
bool intake_policy_id_ok(const char *id);
/* Optional '+', then 6 to 20 digits. */
bool intake_phone_ok(const char *phone);

/* Counts as a finding for the applicant: eligible, and for a one-off grant something is left
 * to pay (rules grants nothing for an eligible one-off whose 12-month cap is used up). */
bool intake_decision_counts(const Itk__Decision *d);

/* What rules' findings decide (the deciding step). */
typedef struct {
    intake_status_t status;        /* INTAKE_PENDING_REVIEW, INTAKE_APPROVED or INTAKE_REJECTED */
    const char     *by;            /* "rules" */
    /* indices into the decisions: for approved the automatic policies granted, for
     * pending_review the ones a reviewer must decide */
    size_t          idx[32];
    size_t          nidx;
    char            note[1024];    /* why, in a sentence; failed clauses named for rejected */
} intake_outcome_t;

/* Any eligible policy that a reviewer must decide (dibao, tekun, a grant over auto_limit) ->
 * pending_review; else any eligible automatic one -> approved; else rejected, the note naming
 * every failed clause of every policy (cut at a character boundary if long). No decisions at
 * all is rejected too ("rules found no policy to apply"). */
void intake_decide(Itk__Decision *const *d, size_t n, intake_outcome_t *out);

/* The policies a reviewer's approval grants: every decision that counts. Writes indices into
 * idx (at most max), returns how many. */
size_t intake_review_policies(Itk__Decision *const *d, size_t n, size_t *idx, size_t max);

/* Appends `s` to buf (NUL-terminated, size cap) without splitting a UTF-8 character; returns
 * false once something had to be cut. */
bool intake_note_cat(char *buf, size_t cap, const char *s);

#endif
