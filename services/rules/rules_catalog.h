/* rules_catalog — the inside of a policy catalogue, shared by the files that implement
 * rules_policy.h: rules_policy.c (loading policy files, life cycle, metadata), rules_params.c
 * (params.lua, parameter values), rules_view.c (the tables policies see), rules_eval.c
 * (evaluation). Not for use elsewhere: the public interface is rules_policy.h.
 */
#ifndef RULES_CATALOG_H
#define RULES_CATALOG_H

#include "rules_lua.h"
#include "rules_policy.h"

#define RULES_PARAM_CACHE 8     /* resolved parameter sets kept as Lua tables */
#define RULES_MAX_POLICIES 64   /* policies in one catalogue */

typedef struct {
    char  *name;                /* "dibao.lua" */
    char  *text;
    size_t len;
} rules_source_t;

typedef struct {
    char     prefix[8];         /* 2-6 digits of a region code */
    size_t   n;
    int     *param;             /* indices into the catalogue's params */
    int64_t *value;
} rules_region_override_t;

typedef struct {
    rules_policy_info_t info;   /* strings owned (malloc) */
    int           *params;      /* indices into the catalogue's params, declared order */
    rules_param_t *param_view;  /* the same, as rules_param_t (names borrowed) */
    size_t         nparams;
    char         **need_ids;    /* as declared, resolved to `needs` once the order is known */
    int           *needs;       /* indices of earlier policies */
    size_t         nneeds;
    char         **clause_names;
    int           *clause_refs; /* registry refs of the clause functions */
    size_t         nclauses;
    int            facts_ref, amount_ref, beneficiaries_ref, automatic_ref;  /* or LUA_NOREF */
    bool           automatic;   /* when automatic_ref is LUA_NOREF */
    int            decided_ref; /* the `decided` view this policy gets */
    int            entry_ref;   /* this policy's decision, as dependents see it (real table) */
    int            entry_view_ref;  /* ... and the read-only view of it they get */
    int            persons_ref; /* its beneficiaries as a set (real table) */
    bool           persons_dirty;
} rules_policy_t;

typedef struct {
    bool     used;
    uint64_t stamp;             /* last use, for eviction */
    int64_t *values;            /* nparams resolved values */
    int      ref;               /* Lua array: [policy index + 1] = that policy's params view */
    int      tracked_ref;       /* ... the same views, each read marked in *cat->track */
} rules_param_set_t;

struct rules_catalog_t {
    rules_lua_t             *lua;
    rules_limits_t           lim;
    rules_source_t          *sources;
    size_t                   nsources;
    rules_param_t           *params;      /* sorted by name; names owned */
    size_t                   nparams;
    rules_region_override_t *overrides;   /* shortest prefix first */
    size_t                   noverrides;
    rules_policy_t          *policies;    /* catalogue order */
    size_t                   npolicies;

    /* the household as policies see it: persistent tables, refilled per evaluation */
    int      keys_ref;            /* interned field names (rules_eval.c) */
    int      hh_ref, hh_view_ref, members_ref, paid_ref;
    int     *member_refs, *member_view_refs;
    size_t   member_pool, nmembers_set;
    /* String fields are set only when a policy reads one (most never do): the picture being
     * evaluated, and which string fields of each table were set (bit k = field k). */
    const Ver__Picture *view_pic;
    uint32_t           *member_strs;   /* member_pool entries */
    uint32_t            hh_strs;

    unsigned char digest[RULES_CATALOG_DIGEST]; /* of the sources and limits: what decisions depend on */

    /* While a policy runs with watched parameters: the bits of its declared parameters read
     * so far (bit k = its k-th, k >= 63 all on bit 63). NULL when nothing watches. */
    uint64_t         *track;

    rules_param_set_t cache[RULES_PARAM_CACHE];
    uint64_t          cache_clock;
    int64_t          *scratch, *scratch2; /* nparams values being resolved (two for what-if) */
};

/* ---- loading (rules_policy.c, rules_params.c) ------------------------------------------------ */

#define RULES_PARAMS_FILE "params.lua"

/* What the DSL functions of params.lua and policy files record while a catalogue loads. */
typedef struct {
    rules_catalog_t      *cat;
    const rules_source_t *src;          /* the file being run */
    int                   declared;     /* policy{} calls in that file */
    int                   params_ref;   /* the table given to params{} */
    int                   order_ref;    /* the table given to order{} */
    int                   params_line, order_line;
    rules_policy_t       *loaded;       /* in file order until the order is applied */
    size_t                nloaded;
    const char          **loaded_file;
} load_t;

/* The load context, upvalue 1 of a DSL C closure. */
load_t *rules_load_ctx(lua_State *L);
/* Raises "file:line: message" ("file: message" when line <= 0). */
int rules_load_fail(lua_State *L, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The line of the first "needle" or 'needle' (quoted) in a source, or `fallback`: tables do
 * not remember where their fields were written, the text does. */
int rules_load_line_of(const rules_source_t *src, const char *needle, int fallback);
/* The line of the Lua code calling the current C function (0 if unknown). */
int rules_load_caller_line(lua_State *L);
/* strdup / calloc that raise a Lua error when memory runs out. */
char *rules_load_strdup(lua_State *L, const char *s);
void *rules_load_calloc(lua_State *L, size_t n, size_t size);
/* Lower case letter first, then lower case letters, digits, '_' (and '.' if dots); < max. */
bool rules_load_good_name(const char *s, size_t max, bool dots);

/* Runs params.lua: fills cat->params (sorted) and cat->overrides (shortest prefix first) and
 * records the order table in ctx. Raises "params.lua:line: ..." on error. */
void rules_params_load(lua_State *L, load_t *ctx, const rules_source_t *src);

/* Resolves every parameter for a household in `region` with what-if values on top into out
 * (nparams values). -1 and err for an unknown override name. */
int rules_params_resolve(const rules_catalog_t *cat, const char *region,
                         const rules_param_override_t *ov, size_t nov, int64_t *out,
                         char *err, size_t errlen);

/* ---- what policies see (rules_view.c). All raise on error: call them in protected mode. -- */

/* Creates the household, member, paid_12m, decided and decision tables once loading succeeded,
 * and the parameter cache. */
void rules_view_prepare(lua_State *L, rules_catalog_t *cat);
/* Frees the C side of the above (the Lua side goes with the state). */
void rules_view_release(rules_catalog_t *cat);
/* Refills the household tables from a picture and the payment history. The picture must stay
 * valid until rules_view_done(): string fields are read from it when a policy asks. */
void rules_view_fill(lua_State *L, rules_catalog_t *cat, const Ver__Picture *pic,
                     const rules_history_t *hist);
/* The evaluation of the filled household is over: its picture is no longer read. */
void rules_view_done(rules_catalog_t *cat);
/* The registry ref of a Lua array: [policy index + 1] = that policy's params view, for the
 * resolved `values`. Cached; valid until the next call. With `tracked`, each read of a
 * parameter through a view also sets its bit in *cat->track (when not NULL). */
int rules_view_params(lua_State *L, rules_catalog_t *cat, const int64_t *values, bool tracked);

/* Bit of a policy's k-th declared parameter in a read or differ mask. */
#define RULES_PARAM_BIT(k) ((uint64_t) 1 << ((k) < 63 ? (k) : 63))
/* Empties policy p's beneficiary set. */
void rules_view_clear_persons(lua_State *L, rules_policy_t *p);
/* Publishes policy p's decision to the policies that need it. Does not allocate. */
void rules_view_publish(lua_State *L, rules_catalog_t *cat, rules_policy_t *p, bool eligible,
                        bool failed, int64_t amount);

/* ---- evaluation (rules_eval.c) ---------------------------------------------------------------- */

/* Runs every policy on a few synthetic households; -1 and "file:line: message" in err if one
 * fails, so that a broken clause is a load error rather than a wrong decision later. */
int rules_eval_trial(rules_catalog_t *cat, char *err, size_t errlen);

#endif
