/* intake_flow — see intake_flow.h. The transitions are a table so that the diagram in the
 * header and the code cannot drift apart quietly: the unit test walks every pair. */
#include "intake_flow.h"

#include <stdio.h>
#include <string.h>

static const char *const names[INTAKE_NSTATUS] = {
    "", "submitted", "verifying", "deciding", "pending_review", "approved", "rejected",
};

/* legal[from] is a bit set of the statuses `from` may move to */
#define B(s) (1u << (s))
static const unsigned legal[INTAKE_NSTATUS] = {
    [INTAKE_NEW]            = B(INTAKE_SUBMITTED) | B(INTAKE_PENDING_REVIEW),
    [INTAKE_SUBMITTED]      = B(INTAKE_VERIFYING),
    /* a verification that can never succeed (the household is gone) ends the application */
    [INTAKE_VERIFYING]      = B(INTAKE_DECIDING) | B(INTAKE_REJECTED),
    [INTAKE_DECIDING]       = B(INTAKE_PENDING_REVIEW) | B(INTAKE_APPROVED) | B(INTAKE_REJECTED),
    [INTAKE_PENDING_REVIEW] = B(INTAKE_APPROVED) | B(INTAKE_REJECTED),
    [INTAKE_APPROVED]       = 0,
    [INTAKE_REJECTED]       = 0,
};
#undef B

const char *intake_status_name(intake_status_t st)
{
    return (unsigned)st < INTAKE_NSTATUS ? names[st] : "";
}

int intake_status_parse(const char *s)
{
    if (!s || !*s)
        return -1;
    for (int i = 1; i < INTAKE_NSTATUS; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

bool intake_step_ok(intake_status_t from, intake_status_t to)
{
    if ((unsigned)from >= INTAKE_NSTATUS || (unsigned)to >= INTAKE_NSTATUS)
        return false;
    return (legal[from] >> to) & 1u;
}

bool intake_status_final(intake_status_t st)
{
    return st == INTAKE_APPROVED || st == INTAKE_REJECTED;
}

bool intake_status_working(intake_status_t st)
{
    return st == INTAKE_SUBMITTED || st == INTAKE_VERIFYING || st == INTAKE_DECIDING;
}

bool intake_channel_ok(const char *channel)
{
    static const char *const ok[] = {"window", "mobile", "hotline", "proxy", NULL};
    for (size_t i = 0; channel && ok[i]; i++)
        if (strcmp(channel, ok[i]) == 0)
            return true;
    return false;
}

bool intake_policy_id_ok(const char *id)
{
    if (!id || !(*id >= 'a' && *id <= 'z'))
        return false;
    size_t n = 0;
    for (const char *p = id; *p; p++, n++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return n <= 48;
}

bool intake_phone_ok(const char *phone)
{
    if (!phone)
        return false;
    const char *p = phone[0] == '+' ? phone + 1 : phone;
    size_t n = 0;
    for (; *p; p++, n++)
        if (*p < '0' || *p > '9')
            return false;
    return n >= 6 && n <= 20;
}

bool intake_decision_counts(const Itk__Decision *d)
{
    if (!d || !d->eligible)
        return false;
    if (d->period && strcmp(d->period, "one_off") == 0)
        return d->amount > 0;
    return true;
}

bool intake_note_cat(char *buf, size_t cap, const char *s)
{
    if (cap == 0)
        return false;
    size_t len = strnlen(buf, cap - 1);
    size_t n = strlen(s);
    if (len + n < cap) {
        memcpy(buf + len, s, n + 1);
        return true;
    }
    size_t room = cap - 1 - len;
    /* back up to the start of a UTF-8 character: never leave half of one */
    while (room > 0 && ((unsigned char)s[room] & 0xC0) == 0x80)
        room--;
    memcpy(buf + len, s, room);
    buf[len + room] = '\0';
    return false;
}

static void name_list(char *note, size_t cap, Itk__Decision *const *d, const size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            intake_note_cat(note, cap, ", ");
        intake_note_cat(note, cap, d[idx[i]]->policy);
    }
}

void intake_decide(Itk__Decision *const *d, size_t n, intake_outcome_t *out)
{
    memset(out, 0, sizeof *out);
    out->by = "rules";
    size_t review[32], autos[32], nr = 0, na = 0;
    for (size_t i = 0; i < n && i < 32; i++) {
        if (!intake_decision_counts(d[i]))
            continue;
        if (d[i]->automatic)
            autos[na++] = i;
        else
            review[nr++] = i;
    }
    if (nr > 0) {
        out->status = INTAKE_PENDING_REVIEW;
        memcpy(out->idx, review, nr * sizeof *review);
        out->nidx = nr;
        intake_note_cat(out->note, sizeof out->note, "eligible for ");
        name_list(out->note, sizeof out->note, d, review, nr);
        intake_note_cat(out->note, sizeof out->note, "; a reviewer decides");
        if (na > 0) {
            intake_note_cat(out->note, sizeof out->note, " (also eligible: ");
            name_list(out->note, sizeof out->note, d, autos, na);
            intake_note_cat(out->note, sizeof out->note, ")");
        }
        return;
    }
    if (na > 0) {
        out->status = INTAKE_APPROVED;
        memcpy(out->idx, autos, na * sizeof *autos);
        out->nidx = na;
        intake_note_cat(out->note, sizeof out->note, "granted without review: ");
        name_list(out->note, sizeof out->note, d, autos, na);
        return;
    }
    out->status = INTAKE_REJECTED;
    if (n == 0) {
        intake_note_cat(out->note, sizeof out->note, "rules found no policy to apply");
        return;
    }
    intake_note_cat(out->note, sizeof out->note, "not eligible:");
    for (size_t i = 0; i < n; i++) {
        const Itk__Decision *x = d[i];
        intake_note_cat(out->note, sizeof out->note, i ? "; " : " ");
        intake_note_cat(out->note, sizeof out->note, x->policy);
        size_t failed = 0;
        for (size_t j = 0; j < x->n_explanation; j++) {
            if (x->explanation[j]->passed)
                continue;
            intake_note_cat(out->note, sizeof out->note, failed++ ? ", " : " (");
            intake_note_cat(out->note, sizeof out->note, x->explanation[j]->clause);
        }
        if (failed)
            intake_note_cat(out->note, sizeof out->note, ")");
        else if (x->eligible)
            /* eligible, yet nothing left to pay: say so rather than name no clause */
            intake_note_cat(out->note, sizeof out->note, " (nothing left to pay in the last 12 months)");
    }
}

size_t intake_review_policies(Itk__Decision *const *d, size_t n, size_t *idx, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++)
        if (intake_decision_counts(d[i]))
            idx[k++] = i;
    return k;
}
