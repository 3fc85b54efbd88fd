/* rules_eval — running a catalogue's policies on one household. See rules_policy.h.
 *
 * One protected call runs the policies of a household in order; when one fails, its error is
 * recorded and a new protected call goes on after it, so a failing policy costs a pcall and
 * the common case none per policy. Brief evaluations (simulate) stop a policy at its first
 * failing clause and never format details: clauses return a template and its values, and the
 * string is only built when an explanation is wanted.
 */
#include "rules_catalog.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sais_money.h"

/* ---- one policy -------------------------------------------------------------------------------- */

typedef struct {
    rules_catalog_t       *cat;
    const Ver__Picture    *pic;
    const rules_history_t *hist;
    bool                   brief;
    const bool            *run;
    rules_result_t       **slot;       /* slot[i]: where policy i's result goes, or NULL */
    rules_result_t         scratch;    /* the result of a prerequisite nobody asked for */
    const int64_t         *values;     /* the resolved parameters of this pass */
    int                    params_ref;
    size_t                 next;       /* the policy being evaluated */
    bool                   failed[RULES_MAX_POLICIES];
    bool                   oom;
    bool                   track;      /* note which parameters each decision read */
    uint64_t               reads;      /* ... of the policy running (cat->track points here) */
    /* what-if: the second pass reuses the first one's results where nothing it reads differs */
    const rules_result_t  *prev;       /* the first pass's results, or NULL */
    bool                   prev_kept;  /* ... kept from an earlier evaluation: not in Lua */
    bool                   differs[RULES_MAX_POLICIES];   /* its own parameters differ */
    uint64_t               differ_bits[RULES_MAX_POLICIES];  /* ... which (RULES_PARAM_BIT) */
    bool                   changed[RULES_MAX_POLICIES];   /* its decision may differ */
    /* a kept decision reused but not yet shown to Lua: published when a policy that needs
     * it runs (most are needed by none that runs again) */
    bool                   unpublished[RULES_MAX_POLICIES];
} household_t;

static rules_result_t *result_for(household_t *ev, size_t i)
{
    return ev->slot[i] ? ev->slot[i] : &ev->scratch;
}

static bool is_brief(const household_t *ev, size_t i)
{
    return ev->brief || ev->slot[i] == NULL;
}

static char *ev_strdup(lua_State *L, household_t *ev, const char *s)
{
    char *d = strdup(s);
    if (d == NULL) {
        ev->oom = true;
        luaL_error(L, "out of memory");
    }
    return d;
}

/* Raises "file:line: <what the function at ref returned wrong>", line = where it is defined. */
static int bad_return(lua_State *L, int ref, const char *fmt, const char *a, const char *b)
{
    char where[300];
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    rules_lua_where_defined(L, -1, where, sizeof where);
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, b);
    lua_pushfstring(L, "%s: %s", where, msg);
    return lua_error(L);
}

/* Calls the function at registry ref with h, p, d, f (at base+1..base+4) and `extra` values
 * pushed before the call; leaves `nresults` results (or all of them: LUA_MULTRET). */
static void call_policy_fn(lua_State *L, int base, int ref, int extra, int nresults)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    for (int a = 1; a <= 4; a++)
        lua_pushvalue(L, base + a);
    for (int e = 0; e < extra; e++)
        lua_pushvalue(L, -5 - extra);   /* the extra arguments pushed before the function */
    lua_call(L, 4 + extra, nresults);
}

/* ---- details: "per-capita income %m < line %m" with its values, formatted only when wanted */

/* Formats the template at `at` with the values after it up to the top of the stack:
 * %m money (integer fen, shown as yuan), %d integer, %s string or number (or a function
 * returning a string, called only here: brief evaluations never pay for it), %% a percent sign.
 * Returns a malloc'd string, or raises (with `ref` naming the clause) on a bad template. The
 * text is built in a Lua buffer, so that an error half-way (a lazy value that fails) leaks
 * nothing. */
static char *format_detail(lua_State *L, household_t *ev, int ref, int at)
{
    size_t len;
    const char *t = lua_tolstring(L, at, &len);
    int arg = at + 1, top = lua_gettop(L);
    const char *why = NULL;
    char num[SAIS_MONEY_BUF];
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t k = 0; why == NULL && k < len; k++) {
        if (t[k] != '%') {
            size_t run = 1;
            while (k + run < len && t[k + run] != '%')
                run++;
            luaL_addlstring(&b, t + k, run);
            k += run - 1;
            continue;
        }
        char c = ++k < len ? t[k] : '\0';
        int type = arg <= top ? lua_type(L, arg) : LUA_TNONE;
        if (c == '%')
            luaL_addchar(&b, '%');
        else if (c != 'm' && c != 'd' && c != 's')
            why = "detail: unknown directive in the template (use %m, %d, %s or %%)";
        else if (type == LUA_TNONE)
            why = "detail: the template has more directives than values";
        else if (c == 's' && type == LUA_TFUNCTION) {
            lua_pushvalue(L, arg++);   /* a lazy value: computed only when the detail is wanted */
            lua_call(L, 0, 1);
            if (lua_type(L, -1) == LUA_TSTRING)
                luaL_addvalue(&b);
            else
                why = "detail: a function given for %s must return a string";
        } else if (c == 's' && (type == LUA_TSTRING || type == LUA_TNUMBER)) {
            lua_pushvalue(L, arg++);
            luaL_addvalue(&b);
        } else if (c != 's' && lua_isinteger(L, arg)) {
            lua_Integer v = lua_tointeger(L, arg++);
            if (c == 'm')
                sais_money_format(v, num);
            else
                snprintf(num, sizeof num, "%lld", (long long) v);
            luaL_addstring(&b, num);
        } else
            why = c == 's' ? "detail: %s needs a string, a number or a function"
                           : "detail: %m and %d need an integer (money is integer fen)";
    }
    if (why == NULL && arg <= top)
        why = "detail: more values than the template has directives";
    if (why != NULL)
        bad_return(L, ref, "%s%s", why, "");
    luaL_pushresult(&b);
    char *detail = ev_strdup(L, ev, lua_tostring(L, -1));
    lua_pop(L, 1);
    return detail;
}

static void collect_beneficiaries(lua_State *L, household_t *ev, size_t i, int base)
{
    rules_policy_t *p = &ev->cat->policies[i];
    rules_result_t *res = result_for(ev, i);
    call_policy_fn(L, base, p->beneficiaries_ref, 0, 1);
    if (!lua_istable(L, -1))
        bad_return(L, p->beneficiaries_ref, "beneficiaries must return a list of id numbers, got %s%s",
                   luaL_typename(L, -1), "");
    size_t n = lua_rawlen(L, -1);
    bool copy = !is_brief(ev, i) && n > 0;
    if (copy) {
        res->beneficiaries = calloc(n, sizeof *res->beneficiaries);
        if (res->beneficiaries == NULL) {
            ev->oom = true;
            luaL_error(L, "out of memory");
        }
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->persons_ref);
    p->persons_dirty = n > 0;
    for (size_t k = 1; k <= n; k++) {
        if (lua_rawgeti(L, -2, (lua_Integer) k) != LUA_TSTRING)
            bad_return(L, p->beneficiaries_ref,
                       "beneficiaries entry must be an id number string, got %s%s",
                       luaL_typename(L, -1), "");
        if (copy) {
            char *id = ev_strdup(L, ev, lua_tostring(L, -1));
            res->beneficiaries[res->nbeneficiaries++] = id;
        }
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
    }
    lua_pop(L, 2);
}

/* Runs policy i: facts, the clauses, then amount, beneficiaries and automatic if every clause
 * passed. Raises on any error. A brief run stops at the first failing clause: with nothing to
 * explain, the rest cannot change the outcome. */
static void run_policy(lua_State *L, household_t *ev, size_t i)
{
    const rules_policy_t *p = &ev->cat->policies[i];
    rules_result_t *res = result_for(ev, i);
    bool brief = is_brief(ev, i);
    int base = lua_gettop(L);
    /* What the decision read: facts and the clauses up to the first that failed (the rest
     * cannot change it), or everything when all passed. Details are built after it is taken. */
    ev->reads = 0;
    ev->cat->track = ev->track ? &ev->reads : NULL;
    uint64_t decided_reads = 0;
    bool decided = false;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ev->cat->hh_view_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ev->params_ref);
    lua_rawgeti(L, -1, (lua_Integer) i + 1);
    lua_remove(L, -2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->decided_ref);
    if (p->facts_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, p->facts_ref);
        lua_pushvalue(L, base + 1);
        lua_pushvalue(L, base + 2);
        lua_pushvalue(L, base + 3);
        lua_call(L, 3, 1);
    } else
        lua_pushnil(L);

    if (!brief) {
        res->clauses = calloc(p->nclauses, sizeof *res->clauses);
        if (res->clauses == NULL) {
            ev->oom = true;
            luaL_error(L, "out of memory");
        }
    }
    bool all = true;
    for (size_t j = 0; j < p->nclauses; j++) {
        int top = lua_gettop(L);
        call_policy_fn(L, base, p->clause_refs[j], 0, LUA_MULTRET);
        luaL_checkstack(L, 16, "clause results");   /* room to format after any number of them */
        if (lua_gettop(L) < top + 2 || lua_type(L, top + 1) != LUA_TBOOLEAN
            || lua_type(L, top + 2) != LUA_TSTRING)
            bad_return(L, p->clause_refs[j],
                       "clause must return passed (a boolean) and detail (a string), got %s and %s",
                       lua_gettop(L) > top ? luaL_typename(L, top + 1) : "nothing",
                       lua_gettop(L) > top + 1 ? luaL_typename(L, top + 2) : "nothing");
        bool passed = lua_toboolean(L, top + 1);
        all = all && passed;
        if (!passed && !decided) {
            decided_reads = ev->reads;
            decided = true;
        }
        if (!brief) {
            rules_clause_t *c = &res->clauses[res->nclauses++];   /* zeroed: safe to free */
            c->passed = passed;
            char *name = ev_strdup(L, ev, p->clause_names[j]);
            c->clause = name;
            char *detail = format_detail(L, ev, p->clause_refs[j], top + 2);
            c->detail = detail;
        }
        lua_settop(L, top);
        if (brief && !passed)
            break;
    }
    res->eligible = all;
    if (all) {
        call_policy_fn(L, base, p->amount_ref, 0, 1);
        if (!lua_isinteger(L, -1)) {
            bool number = lua_type(L, -1) == LUA_TNUMBER;
            const char *type = luaL_typename(L, -1);
            const char *shown = number ? luaL_tolstring(L, -1, NULL) : "";
            bad_return(L, p->amount_ref, "amount must return integer fen, got %s %s",
                       number ? "the float" : type, shown);
        }
        lua_Integer amount = lua_tointeger(L, -1);
        if (amount < 0)
            bad_return(L, p->amount_ref, "amount must not be negative, got %s%s",
                       lua_tostring(L, -1), " fen");
        res->amount = amount;
        lua_pop(L, 1);
        if (p->beneficiaries_ref != LUA_NOREF)
            collect_beneficiaries(L, ev, i, base);
        if (p->automatic_ref != LUA_NOREF) {
            lua_pushinteger(L, amount);
            call_policy_fn(L, base, p->automatic_ref, 1, 1);
            if (lua_type(L, -1) != LUA_TBOOLEAN)
                bad_return(L, p->automatic_ref, "automatic must return a boolean, got %s%s",
                           luaL_typename(L, -1), "");
            res->automatic = lua_toboolean(L, -1);
        } else
            res->automatic = p->automatic;
    }
    res->params_read = decided ? decided_reads : ev->reads;
    ev->cat->track = NULL;
    lua_settop(L, base);
}

/* ---- one household ------------------------------------------------------------------------------ */

static void fail_result(household_t *ev, size_t i, const char *msg)
{
    const rules_policy_t *p = &ev->cat->policies[i];
    rules_result_t *res = result_for(ev, i);
    for (size_t j = 0; j < res->nclauses; j++) {
        free(res->clauses[j].clause);
        free(res->clauses[j].detail);
    }
    free(res->clauses);
    res->clauses = NULL;
    res->nclauses = 0;
    for (size_t k = 0; k < res->nbeneficiaries; k++)
        free(res->beneficiaries[k]);
    free(res->beneficiaries);
    res->beneficiaries = NULL;
    res->nbeneficiaries = 0;
    res->eligible = false;
    res->automatic = false;
    res->amount = 0;
    ev->failed[i] = true;
    free(res->error);
    /* Every message names the policy and, where the error has no position, its file. */
    bool placed = strncmp(msg, p->info.file, strlen(p->info.file)) == 0;
    size_t len = strlen(p->info.id) + strlen(msg) + strlen(p->info.file) + 16;
    res->error = malloc(len);
    if (res->error == NULL) {
        ev->oom = true;
        return;
    }
    if (placed)
        snprintf(res->error, len, "%s: %s", p->info.id, msg);
    else
        snprintf(res->error, len, "%s: %s (in %s)", p->info.id, msg, p->info.file);
}

static void publish(lua_State *L, household_t *ev, size_t i)
{
    const rules_result_t *res = result_for(ev, i);
    rules_view_publish(L, ev->cat, &ev->cat->policies[i], res->eligible, ev->failed[i], res->amount);
    if (res == &ev->scratch)
        rules_result_clear(&ev->scratch);
}

static void start_result(household_t *ev, size_t i)
{
    const rules_policy_t *p = &ev->cat->policies[i];
    rules_result_t *res = result_for(ev, i);
    rules_result_clear(res);
    /* both checked at load to fit (RULES_ID_MAX); no snprintf on this path */
    memcpy(res->policy, p->info.id, strlen(p->info.id) + 1);
    memcpy(res->version, p->info.version, strlen(p->info.version) + 1);
    res->period = p->info.kind;
    ev->failed[i] = false;
}

/* What-if second pass: does policy i need running again, or is the first result still true? */
static bool must_rerun(const household_t *ev, size_t i)
{
    const rules_policy_t *p = &ev->cat->policies[i];
    const rules_result_t *prev = &ev->prev[i];
    /* Only a parameter the first decision read can change it (an error may have stopped
     * before reading the one that matters: any differing parameter then). A kept result has
     * no beneficiary set, and a later policy may read it. */
    bool own = prev->error != NULL ? ev->differs[i] : (ev->differ_bits[i] & prev->params_read) != 0;
    bool rerun = own || (ev->prev_kept && p->beneficiaries_ref != LUA_NOREF && prev->eligible);
    for (size_t k = 0; k < p->nneeds && !rerun; k++)
        rerun = ev->changed[p->needs[k]];
    return rerun;
}

/* A decision dependents could see differently: scalars differ, or a beneficiary set that brief
 * results do not keep could have changed. */
static bool decision_changed(const household_t *ev, size_t i)
{
    const rules_result_t *a = &ev->prev[i], *b = result_for((household_t *) ev, i);
    return a->eligible != b->eligible || a->amount != b->amount || (a->error == NULL) != (b->error == NULL)
        || (ev->cat->policies[i].beneficiaries_ref != LUA_NOREF && (a->eligible || b->eligible));
}

static void reuse_result(lua_State *L, household_t *ev, size_t i)
{
    rules_result_t *res = result_for(ev, i);
    *res = ev->prev[i];
    res->clauses = NULL;
    res->nclauses = 0;
    res->beneficiaries = NULL;
    res->nbeneficiaries = 0;
    res->error = NULL;   /* never the first pass's pointer, even if the copy below fails */
    if (ev->prev[i].error != NULL) {
        char *error = ev_strdup(L, ev, ev->prev[i].error);
        res->error = error;
    }
    ev->failed[i] = res->error != NULL;
    ev->changed[i] = false;
    /* unless prev_kept, the Lua decision entry still holds this very result from the first pass */
}

/* Runs the policies from ev->next on, in one protected call; raises with ev->next at the one
 * that failed, so that the caller records the error and goes on after it. */
static int run_policies(lua_State *L)
{
    household_t *ev = lua_touserdata(L, 1);
    lua_settop(L, 0);
    rules_catalog_t *cat = ev->cat;
    for (; ev->next < cat->npolicies; ev->next++) {
        size_t i = ev->next;
        if (!ev->run[i])
            continue;
        if (ev->prev && !must_rerun(ev, i)) {
            reuse_result(L, ev, i);
            if (ev->prev_kept) {   /* Lua still holds the previous household's decision */
                if (ev->slot[i] != NULL) {
                    ev->unpublished[i] = true;
                } else {           /* the scratch result is gone by the time it is needed */
                    rules_view_clear_persons(L, &cat->policies[i]);
                    publish(L, ev, i);
                }
            }
            continue;
        }
        rules_policy_t *p = &cat->policies[i];
        for (size_t k = 0; k < p->nneeds; k++)
            if (ev->unpublished[p->needs[k]]) {
                rules_view_clear_persons(L, &cat->policies[p->needs[k]]);
                publish(L, ev, p->needs[k]);
                ev->unpublished[p->needs[k]] = false;
            }
        start_result(ev, i);
        rules_view_clear_persons(L, p);
        const char *need_failed = NULL;
        for (size_t k = 0; k < p->nneeds && need_failed == NULL; k++)
            if (ev->failed[p->needs[k]])
                need_failed = cat->policies[p->needs[k]].info.id;
        if (need_failed != NULL) {
            char msg[128];
            snprintf(msg, sizeof msg, "not evaluated: it needs '%s', which failed", need_failed);
            fail_result(ev, i, msg);
        } else {
            rules_lua_arm(cat->lua);
            run_policy(L, ev, i);
            rules_lua_disarm(cat->lua);
            /* A policy that caught the step-limit error with pcall and returned through a tail
             * call ran no instruction after it; the limit was still reached. */
            if (rules_lua_tripped(cat->lua))
                luaL_error(L, "%s: step limit of %d instructions exceeded (the error was caught)",
                           p->info.file, rules_lua_step_limit(cat->lua));
        }
        if (ev->prev)
            ev->changed[i] = decision_changed(ev, i);
        publish(L, ev, i);
    }
    return 0;
}

/* One pass over the catalogue; a failing policy is recorded and the pass goes on after it. */
static void run_pass(lua_State *L, household_t *ev)
{
    ev->params_ref = rules_view_params(L, ev->cat, ev->values, ev->track);
    ev->next = 0;
    while (ev->next < ev->cat->npolicies) {
        lua_pushcfunction(L, run_policies);
        lua_pushlightuserdata(L, ev);
        int rc = rules_lua_pcall(L, 1, 0);
        rules_lua_disarm(ev->cat->lua);
        if (ev->oom)
            luaL_error(L, "out of memory");
        if (rc == LUA_OK)
            break;
        fail_result(ev, ev->next, lua_tostring(L, -1));
        lua_pop(L, 1);
        if (ev->prev)
            ev->changed[ev->next] = true;
        publish(L, ev, ev->next);
        ev->next++;
    }
    if (ev->oom)
        luaL_error(L, "out of memory");
}

static int evaluate_household(lua_State *L)
{
    household_t *ev = lua_touserdata(L, 1);
    lua_settop(L, 0);
    rules_view_fill(L, ev->cat, ev->pic, ev->hist);
    run_pass(L, ev);
    return 0;
}

/* Which policies (and prerequisites) run, and where their results go. -1 for an unknown id. */
static int plan(rules_catalog_t *self, const char *const *ids, size_t nids, rules_result_t *results,
                bool *run, rules_result_t **slot, size_t *count, char *err, size_t errlen)
{
    size_t n = self->npolicies;
    memset(run, 0, RULES_MAX_POLICIES * sizeof *run);
    memset(slot, 0, RULES_MAX_POLICIES * sizeof *slot);
    if (ids) {
        for (size_t k = 0; k < nids; k++) {
            int i = rules_catalog_find(self, ids[k]);
            if (i < 0) {
                snprintf(err, errlen, "unknown policy '%s'", ids[k] ? ids[k] : "(null)");
                return -1;
            }
            run[i] = true;
        }
    } else
        for (size_t i = 0; i < n; i++)
            run[i] = true;
    *count = 0;
    for (size_t i = 0; i < n; i++)
        if (run[i])
            slot[i] = &results[(*count)++];
    for (size_t i = n; i-- > 0;)   /* needs point to earlier policies: one backward pass */
        if (run[i])
            for (size_t k = 0; k < self->policies[i].nneeds; k++)
                run[self->policies[i].needs[k]] = true;
    for (size_t k = 0; k < *count; k++)
        memset(&results[k], 0, sizeof results[k]);
    return 0;
}

int rules_evaluate(rules_catalog_t *self, const Ver__Picture *pic, const rules_history_t *hist,
                   const rules_param_override_t *ov, size_t nov, const rules_eval_opts_t *opts,
                   rules_result_t *results, size_t *nresults, char *err, size_t errlen)
{
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    if (nresults)
        *nresults = 0;
    if (self == NULL || pic == NULL || results == NULL) {
        snprintf(err, errlen, "no catalogue, picture or result array");
        return -1;
    }
    bool run[RULES_MAX_POLICIES];
    rules_result_t *slot[RULES_MAX_POLICIES];
    size_t count;
    if (plan(self, opts ? opts->policies : NULL, opts ? opts->npolicies : 0, results, run, slot,
             &count, err, errlen) != 0)
        return -1;
    if (rules_params_resolve(self, pic->region, ov, nov, self->scratch, err, errlen) != 0)
        return -1;
    household_t *ev = &(household_t){ .cat = self, .pic = pic, .hist = hist, .values = self->scratch,
                                      .brief = opts && opts->brief, .run = run, .slot = slot,
                                      .track = true };
    char lerr[256];
    int rc = rules_lua_protect(self->lua, evaluate_household, ev, lerr, sizeof lerr);
    self->track = NULL;   /* a policy that raised left it pointing into ev */
    rules_view_done(self);
    rules_result_clear(&ev->scratch);
    if (rc != 0 || ev->oom) {
        snprintf(err, errlen, "%s", ev->oom ? "out of memory" : lerr);
        rules_results_clear(results, count);
        return -1;
    }
    if (nresults)
        *nresults = count;
    return 0;
}

typedef struct {
    household_t *before, *after;
} pair_t;

static int evaluate_pair(lua_State *L)
{
    pair_t *pair = lua_touserdata(L, 1);
    lua_settop(L, 0);
    rules_view_fill(L, pair->after->cat, pair->after->pic, pair->after->hist);
    if (pair->before)
        run_pass(L, pair->before);
    run_pass(L, pair->after);    /* the household tables are still filled */
    return 0;
}

/* Which of each policy's own parameters differ between the passes; the "after" pass
 * evaluates a policy again when its first decision read one of them (must_rerun). */
static void mark_differing(rules_catalog_t *self, household_t *a)
{
    for (size_t i = 0; i < self->npolicies; i++) {
        const rules_policy_t *p = &self->policies[i];
        for (size_t k = 0; k < p->nparams; k++)
            if (self->scratch[p->params[k]] != self->scratch2[p->params[k]]) {
                a->differs[i] = true;
                a->differ_bits[i] |= RULES_PARAM_BIT(k);
            }
    }
}

/* The what-if, with `before` evaluated here (kept == NULL) or taken from `kept`. */
static int whatif(rules_catalog_t *self, const Ver__Picture *pic, const rules_history_t *hist,
                  const rules_param_override_t *ov, size_t nov, const rules_result_t *kept,
                  rules_result_t *before, rules_result_t *after, char *err, size_t errlen)
{
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    if (self == NULL || pic == NULL || after == NULL || (before == NULL && kept == NULL)) {
        snprintf(err, errlen, "no catalogue, picture or result array");
        return -1;
    }
    bool run[RULES_MAX_POLICIES];
    rules_result_t *slot_b[RULES_MAX_POLICIES], *slot_a[RULES_MAX_POLICIES];
    size_t count;
    if (kept == NULL)
        plan(self, NULL, 0, before, run, slot_b, &count, err, errlen);
    plan(self, NULL, 0, after, run, slot_a, &count, err, errlen);
    if (rules_params_resolve(self, pic->region, NULL, 0, self->scratch, err, errlen) != 0
        || rules_params_resolve(self, pic->region, ov, nov, self->scratch2, err, errlen) != 0)
        return -1;
    household_t *b = &(household_t){ .cat = self, .pic = pic, .hist = hist, .values = self->scratch,
                                     .brief = true, .run = run, .slot = slot_b, .track = true };
    household_t *a = &(household_t){ .cat = self, .pic = pic, .hist = hist, .values = self->scratch2,
                                     .brief = true, .run = run, .slot = slot_a,
                                     .prev = kept ? kept : before, .prev_kept = kept != NULL };
    mark_differing(self, a);
    pair_t pair = { kept ? NULL : b, a };
    char lerr[256];
    int rc = rules_lua_protect(self->lua, evaluate_pair, &pair, lerr, sizeof lerr);
    self->track = NULL;   /* a policy that raised left it pointing into b */
    rules_view_done(self);
    rules_result_clear(&b->scratch);
    rules_result_clear(&a->scratch);
    if (rc != 0 || b->oom || a->oom) {
        snprintf(err, errlen, "%s", b->oom || a->oom ? "out of memory" : lerr);
        if (kept == NULL)
            rules_results_clear(before, count);
        rules_results_clear(after, count);
        return -1;
    }
    return 0;
}

int rules_evaluate_whatif(rules_catalog_t *self, const Ver__Picture *pic,
                          const rules_history_t *hist, const rules_param_override_t *ov,
                          size_t nov, rules_result_t *before, rules_result_t *after, char *err,
                          size_t errlen)
{
    if (before == NULL) {
        if (err && errlen)
            snprintf(err, errlen, "no catalogue, picture or result array");
        return -1;
    }
    return whatif(self, pic, hist, ov, nov, NULL, before, after, err, errlen);
}

int rules_evaluate_after(rules_catalog_t *self, const Ver__Picture *pic,
                         const rules_history_t *hist, const rules_param_override_t *ov, size_t nov,
                         const rules_result_t *before, rules_result_t *after, char *err,
                         size_t errlen)
{
    if (before == NULL) {
        if (err && errlen)
            snprintf(err, errlen, "no catalogue, picture or result array");
        return -1;
    }
    return whatif(self, pic, hist, ov, nov, before, NULL, after, err, errlen);
}

int rules_evaluate_household(rules_catalog_t *self, const Ver__Picture *pic,
                             const rules_history_t *hist, const rules_param_override_t *ov,
                             size_t nov, rules_result_t *results)
{
    return rules_evaluate(self, pic, hist, ov, nov, NULL, results, NULL, NULL, 0);
}

void rules_result_clear(rules_result_t *r)
{
    if (r == NULL)
        return;
    /* Brief results (simulate: a dozen per household) own nothing: no calls for them. */
    if (r->clauses) {
        for (size_t j = 0; j < r->nclauses; j++) {
            free(r->clauses[j].clause);
            free(r->clauses[j].detail);
        }
        free(r->clauses);
    }
    if (r->beneficiaries) {
        for (size_t k = 0; k < r->nbeneficiaries; k++)
            free(r->beneficiaries[k]);
        free(r->beneficiaries);
    }
    if (r->error)
        free(r->error);
    memset(r, 0, sizeof *r);
}

void rules_results_clear(rules_result_t *results, size_t n)
{
    for (size_t k = 0; results && k < n; k++)
        rules_result_clear(&results[k]);
}

/* ---- the trial run at load time ------------------------------------------------------------------- */

typedef struct {
    const char *id;
    int age, grade;
    int64_t income;
    bool counted;
} trial_member_t;

static void trial_picture(Ver__Picture *pic, Ver__Member *ms, Ver__Member **mp,
                          const trial_member_t *tm, size_t n, int64_t deposits, int64_t vehicle,
                          int real_estate, int64_t oop)
{
    ver__picture__init(pic);
    pic->household_id = "trial";
    pic->region = "330326";
    pic->as_of = "2026-01-01";
    int64_t income = 0;
    for (size_t i = 0; i < n; i++) {
        ver__member__init(&ms[i]);
        ms[i].id_number = (char *) tm[i].id;
        ms[i].name = "trial";
        ms[i].status = tm[i].counted ? "active" : "incarcerated";
        ms[i].age = tm[i].age;
        ms[i].disability_grade = tm[i].grade;
        ms[i].income_monthly_avg = tm[i].income;
        ms[i].income_12m = tm[i].income * 12;
        ms[i].counted = tm[i].counted;
        ms[i].able_to_work = tm[i].age >= 16 && tm[i].age < 60 && (tm[i].grade == 0 || tm[i].grade > 2);
        mp[i] = &ms[i];
        if (tm[i].counted) {
            pic->counted++;
            income += tm[i].income;
        }
    }
    pic->n_members = n;
    pic->members = n ? mp : NULL;
    pic->income_monthly = income;
    pic->per_capita_income = pic->counted ? income / pic->counted : 0;
    pic->income_12m = income * 12;
    pic->oop_12m = oop;
    pic->deposits = deposits;
    pic->vehicle_max = vehicle;
    pic->real_estate = real_estate;
}

int rules_eval_trial(rules_catalog_t *cat, char *err, size_t errlen)
{
    static const trial_member_t alone[] = { { "330326194001010011", 86, 1, 0, true } };
    static const trial_member_t family[] = {
        { "330326198001010012", 46, 0, 30000, true },
        { "330326198201010023", 44, 0, 20000, true },
        { "330326201501010034", 11, 3, 0, true },
        { "330326195001010045", 76, 2, 150000, false },
    };
    static const trial_member_t rich[] = {
        { "330326197001010056", 56, 0, 3000000, true },
        { "330326199001010067", 36, 4, 2000000, true },
    };
    struct {
        const trial_member_t *m;
        size_t n;
        int64_t deposits, vehicle, oop, paid;
        int titles;
    } cases[] = {
        { NULL, 0, 0, 0, 0, 0, 0 },
        { alone, 1, 500000, 0, 2500000, 0, 0 },
        { family, 4, 100000, 3000000, 4020000, 1000000, 1 },
        { rich, 2, 900000000, 80000000, 0, 0, 3 },
    };
    Ver__Picture pic;
    Ver__Member ms[4];
    Ver__Member *mp[4];
    rules_result_t res[RULES_MAX_POLICIES];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        trial_picture(&pic, ms, mp, cases[c].m, cases[c].n, cases[c].deposits, cases[c].vehicle,
                      cases[c].titles, cases[c].oop);
        rules_paid_t paid = { "temp_medical", cases[c].paid };
        rules_history_t hist = { &paid, 1 };
        if (rules_evaluate(cat, &pic, &hist, NULL, 0, NULL, res, NULL, err, errlen) != 0)
            return -1;
        for (size_t i = 0; i < cat->npolicies; i++)
            if (res[i].error != NULL) {
                /* "dibao: dibao.lua:12: ..." -> "dibao.lua:12: ..." */
                const char *msg = res[i].error + strlen(res[i].policy) + 2;
                snprintf(err, errlen, "%s (in a trial run on synthetic household %zu)", msg, c + 1);
                rules_results_clear(res, cat->npolicies);
                return -1;
            }
        rules_results_clear(res, cat->npolicies);
    }
    return 0;
}
