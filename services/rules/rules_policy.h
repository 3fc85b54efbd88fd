/* rules_policy — the policy catalogue: policies are data (Lua files), not C.
 *
 * A catalogue directory holds params.lua (the parameters, their per-region overrides and the
 * catalogue order) and one <policy>.lua per policy; see deploy/policies/README.md for the
 * format. rules_catalog_load() reads, checks and trial-runs all of it; any problem makes it
 * fail with "file:line: message", so a caller that reloads keeps its old catalogue unless the
 * new one loaded (load the new one, swap only on success).
 *
 * Evaluation runs the policies in catalogue order on one household's picture (Ver__Picture,
 * proto/verify.proto) in a sandboxed Lua state owned by the catalogue. A policy that fails at
 * run time (error, step or memory limit, a float amount, wrong return types) gives a result
 * with eligible = false and `error` naming the policy and file:line; it never stops the others
 * (except policies that depend on it, which fail with it).
 *
 * Threads: a catalogue is used by one thread at a time (it holds one lua_State). For parallel
 * evaluation give each thread its own copy: rules_catalog_dup().
 *
 * Money is integer fen everywhere; parameters of kind MONEY are fen, PERCENT are whole
 * percent (130 = 130%), INT are plain integers.
 */
#ifndef RULES_POLICY_H
#define RULES_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verify.pb-c.h"

typedef struct rules_catalog_t rules_catalog_t;

#define RULES_ID_MAX    32   /* policy ids and versions: at most 31 characters */
#define RULES_PARAM_MAX 64   /* parameter names: at most 63 characters */

typedef struct {
    int    step_limit;     /* VM instructions per policy per household; 0 = 200000 */
    size_t memory_limit;   /* bytes for the catalogue's Lua state; 0 = 64 MiB */
} rules_limits_t;

typedef enum { RULES_KIND_MONTHLY = 0, RULES_KIND_ONE_OFF, RULES_KIND_STATUS } rules_kind_t;
typedef enum { RULES_PARAM_INT = 0, RULES_PARAM_MONEY, RULES_PARAM_PERCENT } rules_param_kind_t;

/* "monthly", "one_off", "status" / "int", "money", "percent". Static strings. */
const char *rules_kind_name(rules_kind_t kind);
const char *rules_param_kind_name(rules_param_kind_t kind);

/* ---- loading ---------------------------------------------------------------------------- */

/* Loads the catalogue in `dir`. `lim` may be NULL (defaults). On any error (syntax, missing or
 * mistyped field, unknown parameter, duplicate id, a policy file not in the order, a trial
 * evaluation that fails) returns NULL and writes "file:line: message" into err. */
rules_catalog_t *rules_catalog_load(const char *dir, const rules_limits_t *lim,
                                    char *err, size_t errlen);

/* A second, independent catalogue from the same texts (for another thread). NULL on error. */
rules_catalog_t *rules_catalog_dup(const rules_catalog_t *self, char *err, size_t errlen);

/* Idempotent; NULLs the pointer. */
void rules_catalog_destroy(rules_catalog_t **self_p);

/* For a thread that only evaluates this catalogue (a simulate worker): the step limit by
 * watchdog rather than a hook on every instruction (rules_lua_watch). Unwatch on the same
 * thread when done. 0 or -1 (then it stays hooked, which is only slower). */
int  rules_catalog_watch(rules_catalog_t *self);
void rules_catalog_unwatch(rules_catalog_t *self);

/* ---- metadata (GET /v1/policies). Every string is owned by the catalogue. ------------------ */

typedef struct {
    const char  *id;              /* "dibao" */
    const char  *name_zh;         /* "最低生活保障" */
    const char  *name_en;         /* "minimum living allowance" */
    const char  *department;
    rules_kind_t kind;
    const char  *version;
    const char  *effective_from;  /* "YYYY-MM-DD" */
    const char  *file;            /* "dibao.lua" */
} rules_policy_info_t;

typedef struct {
    const char        *name;     /* "dibao.line" */
    rules_param_kind_t kind;
    int64_t            value;    /* the base value (no region override) */
} rules_param_t;

/* The catalogue's digest (RULES_CATALOG_DIGEST bytes, owned by the catalogue): equal digests
 * decide alike. Its sources, parameter values and step limit; not where they were read from. */
#define RULES_CATALOG_DIGEST 16
const unsigned char *rules_catalog_digest(const rules_catalog_t *self);

/* Number of policies; the i-th in catalogue order (NULL past the end); index by id or -1. */
size_t rules_catalog_size(const rules_catalog_t *self);
const rules_policy_info_t *rules_catalog_policy(const rules_catalog_t *self, size_t i);
int rules_catalog_find(const rules_catalog_t *self, const char *id);

/* The parameters policy i declares it uses (in its declared order). */
size_t rules_policy_param_count(const rules_catalog_t *self, size_t i);
const rules_param_t *rules_policy_param(const rules_catalog_t *self, size_t i, size_t j);

/* All parameters of the catalogue, and lookup by name (index or -1). */
size_t rules_catalog_param_count(const rules_catalog_t *self);
const rules_param_t *rules_catalog_param(const rules_catalog_t *self, size_t j);
int rules_catalog_param_find(const rules_catalog_t *self, const char *name);

/* The value of parameter `name` for a household in `region` (longest matching override
 * prefix wins; NULL or "" region = base value). 0, or -1 if the name is unknown. */
int rules_catalog_param_value(const rules_catalog_t *self, const char *name, const char *region,
                              int64_t *out);

/* ---- evaluation ------------------------------------------------------------------------- */

/* What-if parameter values on top of the region's values. `name` is borrowed. */
typedef struct {
    const char *name;    /* "dibao.line" */
    int64_t     value;   /* fen for MONEY parameters, whole percent for PERCENT */
} rules_param_override_t;

/* Payments already made to the household, per policy, in the last 365 days (e.g. temp_medical,
 * whose grant is net of earlier ones). Policies not listed count 0. Strings borrowed. */
typedef struct {
    const char *policy;
    int64_t     paid_12m;   /* fen */
} rules_paid_t;

typedef struct {
    const rules_paid_t *paid;
    size_t              npaid;
} rules_history_t;

typedef struct {
    char *clause;    /* "per-capita income below the line" */
    bool  passed;
    char *detail;    /* "per-capita income 980.00 < line 1200.00" */
} rules_clause_t;

/* One policy's result. Owns every pointer in it: release with rules_result_clear(). */
typedef struct {
    char           policy[RULES_ID_MAX];
    char           version[RULES_ID_MAX];
    rules_kind_t   period;
    bool           eligible;
    bool           automatic;        /* may be granted without a caseworker's review */
    int64_t        amount;           /* fen; 0 unless eligible */
    rules_clause_t *clauses;         /* every clause, in order, even after one failed */
    size_t         nclauses;
    char         **beneficiaries;    /* person id numbers, for per-person policies */
    size_t         nbeneficiaries;
    char          *error;            /* NULL, or "tekun: tekun.lua:12: ..." (then not eligible) */
    uint64_t       params_read;      /* which of the policy's declared parameters (bit k = the
                                        k-th, k >= 63 on bit 63) the decision read: facts and the
                                        clauses up to the first that failed, or all it ran */
} rules_result_t;

typedef struct {
    const char *const *policies;   /* ids to evaluate; NULL = all. Their prerequisites (a
                                      policy's `needs`) are evaluated too but not returned. */
    size_t             npolicies;
    bool               brief;      /* only eligible/amount/automatic/error: no clauses, no
                                      beneficiaries, no allocation (for simulate) */
} rules_eval_opts_t;

/* Evaluates every policy for one household; results has rules_catalog_size() entries, filled
 * in catalogue order. `hist` and `ov` may be NULL/0. Returns 0 (a failing policy is reported in
 * its result), or -1 with nothing to free if an override names an unknown parameter or memory
 * ran out. */
int rules_evaluate_household(rules_catalog_t *self, const Ver__Picture *pic,
                             const rules_history_t *hist,
                             const rules_param_override_t *ov, size_t nov,
                             rules_result_t *results);

/* As above with options: results gets one entry per requested policy, in catalogue order;
 * *nresults says how many. -1 and err for an unknown policy id or parameter, or no memory. */
int rules_evaluate(rules_catalog_t *self, const Ver__Picture *pic, const rules_history_t *hist,
                   const rules_param_override_t *ov, size_t nov, const rules_eval_opts_t *opts,
                   rules_result_t *results, size_t *nresults, char *err, size_t errlen);

/* What-if for simulate: every policy, brief, once with the region's values (`before`) and once
 * with `ov` on top (`after`), each rules_catalog_size() entries. Cheaper than two calls: the
 * household is marshalled once, and the second pass reuses a first-pass result when neither the
 * policy's own parameters nor its prerequisites' decisions differ. Returns as rules_evaluate. */
int rules_evaluate_whatif(rules_catalog_t *self, const Ver__Picture *pic,
                          const rules_history_t *hist, const rules_param_override_t *ov,
                          size_t nov, rules_result_t *before, rules_result_t *after, char *err,
                          size_t errlen);

/* The "after" half of rules_evaluate_whatif when the "before" half is already known (rules
 * keeps each household's brief decisions: rules_inputs_key). `before` needs policy, eligible,
 * amount and automatic of every policy, and no errors. Same results as rules_evaluate_whatif's
 * `after`; a policy whose beneficiaries a later one may read is evaluated again. */
int rules_evaluate_after(rules_catalog_t *self, const Ver__Picture *pic,
                         const rules_history_t *hist, const rules_param_override_t *ov, size_t nov,
                         const rules_result_t *before, rules_result_t *after, char *err,
                         size_t errlen);

/* A digest of what a household's evaluation under the catalogue's own parameters depends on:
 * the catalogue (its sources and limits; parameter values live in params.lua), the picture
 * (household, region, version and its figures) and the payment history. Equal keys decide
 * alike, so a decision kept under a key may stand in for evaluating again. -1 when the picture
 * is incomplete or too long to key. */
int rules_inputs_key(const rules_catalog_t *self, const Ver__Picture *pic, const rules_history_t *hist,
                     uint64_t *key);

/* Frees what a result owns and zeroes it; idempotent. */
void rules_result_clear(rules_result_t *r);
void rules_results_clear(rules_result_t *results, size_t n);

#endif
