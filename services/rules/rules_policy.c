/* rules_policy — loading a policy catalogue and describing it. Evaluation is in rules_eval.c.
 *
 * Loading runs params.lua and every policy file in the sandbox, with DSL functions that
 * record what they are given into a load context; everything is checked before the catalogue
 * exists, then every policy is tried on a few synthetic households so that a typo in a clause
 * is a load error with file:line, not a wrong decision at 3 a.m.
 */
#include "rules_catalog.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sais_clock.h"

#include <sodium.h>

#define DEFAULT_STEP_LIMIT   200000
#define DEFAULT_MEMORY_LIMIT ((size_t) 64 << 20)
#define MAX_SOURCE_BYTES     ((size_t) 1 << 20)

const char *rules_kind_name(rules_kind_t kind)
{
    switch (kind) {
    case RULES_KIND_MONTHLY: return "monthly";
    case RULES_KIND_ONE_OFF: return "one_off";
    case RULES_KIND_STATUS:  return "status";
    }
    return "?";
}

/* ---- load helpers (rules_catalog.h) ------------------------------------------------------------ */

load_t *rules_load_ctx(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* Raises "file:line: message". */
int rules_load_fail(lua_State *L, const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        lua_pushfstring(L, "%s:%d: %s", file, line, msg);
    else
        lua_pushfstring(L, "%s: %s", file, msg);
    return lua_error(L);
}

/* The line of the first occurrence of "needle" or 'needle' (quoted) in a source, or `fallback`:
 * tables do not remember where their fields were written, the text does. */
int rules_load_line_of(const rules_source_t *src, const char *needle, int fallback)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n + 2 <= src->len; i++) {
        char q = src->text[i];
        if ((q == '"' || q == '\'') && memcmp(src->text + i + 1, needle, n) == 0
            && src->text[i + 1 + n] == q) {
            int line = 1;
            for (size_t k = 0; k < i; k++)
                line += src->text[k] == '\n';
            return line;
        }
    }
    return fallback;
}

/* The line of the Lua code calling the current C function. */
int rules_load_caller_line(lua_State *L)
{
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
        return ar.currentline;
    return 0;
}

char *rules_load_strdup(lua_State *L, const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        luaL_error(L, "out of memory");
    return d;
}

void *rules_load_calloc(lua_State *L, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL)
        luaL_error(L, "out of memory");
    return p;
}

bool rules_load_good_name(const char *s, size_t max, bool dots)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max || !islower((unsigned char) s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char) s[i]) || isdigit((unsigned char) s[i]) || s[i] == '_'
              || (dots && s[i] == '.')))
            return false;
    return true;
}

/* ---- policy files ---------------------------------------------------------------------------- */

static const char *const POLICY_FIELDS[] = {
    "id", "name", "department", "kind", "version", "effective_from", "params", "needs",
    "clauses", "facts", "amount", "beneficiaries", "automatic", NULL,
};

/* Field `key` of the table at 1 as a non-empty string of at most max-1 bytes, copied. */
static char *string_field(lua_State *L, load_t *ctx, int line, const char *key, size_t max)
{
    if (lua_getfield(L, 1, key) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
        rules_load_fail(L, ctx->src->name, line, "policy: '%s' must be a non-empty string", key);
    if (lua_rawlen(L, -1) >= max)
        rules_load_fail(L, ctx->src->name, line, "policy: '%s' is longer than %zu bytes", key, max - 1);
    char *s = rules_load_strdup(L, lua_tostring(L, -1));
    lua_pop(L, 1);
    return s;
}

/* Optional function field -> registry ref or LUA_NOREF. */
static int function_field(lua_State *L, load_t *ctx, int line, const char *key, bool required)
{
    int t = lua_getfield(L, 1, key);
    if (t == LUA_TNIL && !required) {
        lua_pop(L, 1);
        return LUA_NOREF;
    }
    if (t != LUA_TFUNCTION)
        rules_load_fail(L, ctx->src->name, line, "policy: '%s' must be a function%s", key,
                t == LUA_TNIL ? " (missing)" : "");
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Array of strings at field key -> count, pushing the table (or an empty one). */
static size_t string_list(lua_State *L, load_t *ctx, int line, const char *key, bool required)
{
    int t = lua_getfield(L, 1, key);
    if (t == LUA_TNIL && !required) {
        lua_pop(L, 1);
        lua_newtable(L);
        return 0;
    }
    if (t != LUA_TTABLE)
        rules_load_fail(L, ctx->src->name, line, "policy: '%s' must be a list of strings", key);
    size_t n = lua_rawlen(L, -1);
    for (size_t i = 1; i <= n; i++) {
        if (lua_rawgeti(L, -1, (lua_Integer) i) != LUA_TSTRING)
            rules_load_fail(L, ctx->src->name, line, "policy: '%s' entry %zu must be a string", key, i);
        lua_pop(L, 1);
    }
    return n;
}

static void read_clauses(lua_State *L, load_t *ctx, int line, rules_policy_t *p)
{
    if (lua_getfield(L, 1, "clauses") != LUA_TTABLE || lua_rawlen(L, -1) == 0)
        rules_load_fail(L, ctx->src->name, line,
                "policy: 'clauses' must be a non-empty list of { \"name\", function }");
    int t = lua_gettop(L);
    p->nclauses = lua_rawlen(L, t);
    p->clause_names = rules_load_calloc(L, p->nclauses, sizeof *p->clause_names);
    p->clause_refs = rules_load_calloc(L, p->nclauses, sizeof *p->clause_refs);
    for (size_t i = 0; i < p->nclauses; i++)
        p->clause_refs[i] = LUA_NOREF;
    for (size_t i = 0; i < p->nclauses; i++) {
        if (lua_rawgeti(L, t, (lua_Integer) i + 1) != LUA_TTABLE
            || lua_rawgeti(L, -1, 1) != LUA_TSTRING || lua_rawlen(L, -1) == 0
            || lua_rawgeti(L, -2, 2) != LUA_TFUNCTION)
            rules_load_fail(L, ctx->src->name, line,
                    "policy: clause %zu must be { \"name\", function(h, p, d, f) ... end }", i + 1);
        const char *name = lua_tostring(L, -2);
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->clause_names[k], name) == 0)
                rules_load_fail(L, ctx->src->name, rules_load_line_of(ctx->src, name, line),
                        "policy: two clauses named '%s'", name);
        p->clause_names[i] = rules_load_strdup(L, name);
        p->clause_refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

static void read_params_list(lua_State *L, load_t *ctx, int line, rules_policy_t *p)
{
    size_t n = string_list(L, ctx, line, "params", true);
    p->params = rules_load_calloc(L, n, sizeof *p->params);
    p->param_view = rules_load_calloc(L, n, sizeof *p->param_view);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, -1, (lua_Integer) i + 1);
        const char *name = lua_tostring(L, -1);
        int at = rules_load_line_of(ctx->src, name, line);
        int j = rules_catalog_param_find(ctx->cat, name);
        if (j < 0)
            rules_load_fail(L, ctx->src->name, at, "policy '%s': unknown parameter '%s' (not in %s)",
                    p->info.id, name, RULES_PARAMS_FILE);
        for (size_t k = 0; k < p->nparams; k++)
            if (p->params[k] == j)
                rules_load_fail(L, ctx->src->name, at, "policy '%s': parameter '%s' listed twice",
                        p->info.id, name);
        p->params[p->nparams] = j;
        p->param_view[p->nparams++] = ctx->cat->params[j];
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void read_needs(lua_State *L, load_t *ctx, int line, rules_policy_t *p)
{
    size_t n = string_list(L, ctx, line, "needs", false);
    p->need_ids = rules_load_calloc(L, n, sizeof *p->need_ids);
    p->needs = rules_load_calloc(L, n, sizeof *p->needs);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, -1, (lua_Integer) i + 1);
        p->need_ids[i] = rules_load_strdup(L, lua_tostring(L, -1));
        p->nneeds++;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* policy { ... } in a policy file: checks every field and records the policy. */
static int dsl_policy(lua_State *L)
{
    load_t *ctx = rules_load_ctx(L);
    const char *file = ctx->src->name;
    int line = rules_load_caller_line(L);
    if (!lua_istable(L, 1))
        return rules_load_fail(L, file, line, "policy: expects a table, policy { id = ..., ... }");
    lua_settop(L, 1);
    if (++ctx->declared > 1)
        return rules_load_fail(L, file, line, "a policy file declares one policy; this is the second");

    lua_pushnil(L);
    while (lua_next(L, 1)) {
        bool known = false;
        if (lua_type(L, -2) == LUA_TSTRING)
            for (const char *const *f = POLICY_FIELDS; *f && !known; f++)
                known = strcmp(*f, lua_tostring(L, -2)) == 0;
        if (!known)
            return rules_load_fail(L, file, line, "policy: unknown field '%s'", luaL_tolstring(L, -2, NULL));
        lua_pop(L, 1);
    }

    rules_policy_t *p = &ctx->loaded[ctx->nloaded];
    ctx->loaded_file[ctx->nloaded] = file;
    ctx->nloaded++;    /* counted now so that a failure below frees what was filled in */
    p->facts_ref = p->amount_ref = p->beneficiaries_ref = p->automatic_ref = LUA_NOREF;
    p->decided_ref = p->entry_ref = p->entry_view_ref = p->persons_ref = LUA_NOREF;
    p->info.file = rules_load_strdup(L, file);
    p->info.id = string_field(L, ctx, line, "id", RULES_ID_MAX);
    if (!rules_load_good_name(p->info.id, RULES_ID_MAX, false))
        return rules_load_fail(L, file, line, "policy: id '%s' must be lower case letters, digits and _",
                       p->info.id);
    for (size_t i = 0; i + 1 < ctx->nloaded; i++)
        if (strcmp(ctx->loaded[i].info.id, p->info.id) == 0)
            return rules_load_fail(L, file, line, "duplicate policy id '%s' (also declared in %s)",
                           p->info.id, ctx->loaded_file[i]);

    if (lua_getfield(L, 1, "name") != LUA_TTABLE || lua_getfield(L, -1, "zh") != LUA_TSTRING
        || lua_getfield(L, -2, "en") != LUA_TSTRING)
        return rules_load_fail(L, file, line, "policy: 'name' must be { zh = \"...\", en = \"...\" }");
    p->info.name_zh = rules_load_strdup(L, lua_tostring(L, -2));
    p->info.name_en = rules_load_strdup(L, lua_tostring(L, -1));
    lua_pop(L, 3);
    p->info.department = string_field(L, ctx, line, "department", 256);
    char *kind = string_field(L, ctx, line, "kind", 16);
    if (strcmp(kind, "monthly") == 0)
        p->info.kind = RULES_KIND_MONTHLY;
    else if (strcmp(kind, "one_off") == 0)
        p->info.kind = RULES_KIND_ONE_OFF;
    else if (strcmp(kind, "status") == 0)
        p->info.kind = RULES_KIND_STATUS;
    else {
        lua_pushfstring(L, "%s:%d: policy: kind '%s' must be monthly, one_off or status", file, line,
                        kind);
        free(kind);
        return lua_error(L);
    }
    free(kind);
    p->info.version = string_field(L, ctx, line, "version", RULES_ID_MAX);
    p->info.effective_from = string_field(L, ctx, line, "effective_from", 11);
    if (sais_date_parse(p->info.effective_from, strlen(p->info.effective_from)) < 0)
        return rules_load_fail(L, file, line, "policy: effective_from '%s' is not a date YYYY-MM-DD",
                       p->info.effective_from);
    read_params_list(L, ctx, line, p);
    read_needs(L, ctx, line, p);
    read_clauses(L, ctx, line, p);
    p->facts_ref = function_field(L, ctx, line, "facts", false);
    p->amount_ref = function_field(L, ctx, line, "amount", true);
    p->beneficiaries_ref = function_field(L, ctx, line, "beneficiaries", false);
    int t = lua_getfield(L, 1, "automatic");
    if (t == LUA_TBOOLEAN || t == LUA_TNIL) {
        p->automatic = lua_toboolean(L, -1);
        lua_pop(L, 1);
    } else if (t == LUA_TFUNCTION)
        p->automatic_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else
        return rules_load_fail(L, file, line, "policy: 'automatic' must be a boolean or a function");
    return 0;
}

static void run_policy_file(lua_State *L, load_t *ctx, const rules_source_t *src)
{
    ctx->src = src;
    ctx->declared = 0;
    if (ctx->nloaded >= RULES_MAX_POLICIES)
        rules_load_fail(L, src->name, 0, "too many policy files");
    rules_lua_push_policy_env(L);
    int env = lua_gettop(L);
    lua_pushlightuserdata(L, ctx);
    lua_pushcclosure(L, dsl_policy, 1);
    lua_setfield(L, env, "policy");
    rules_lua_load(L, src->text, src->len, src->name, env);
    lua_pushvalue(L, -1);               /* keep the chunk to re-point its _ENV */
    rules_lua_arm(ctx->cat->lua);
    lua_call(L, 0, 0);
    rules_lua_disarm(ctx->cat->lua);
    if (ctx->declared == 0)
        rules_load_fail(L, src->name, 0, "declares no policy { ... }");
    /* From now on the file's globals are read-only, and policy{} (which points into this
     * load) is gone: evaluation cannot change what the next household sees. */
    lua_pushnil(L);
    lua_setfield(L, env, "policy");
    rules_lua_flatten_env(L, env);
    rules_lua_push_readonly(L, env, "globals");
    rules_lua_set_env(L, -2);
    lua_pop(L, 2);
}

/* Puts ctx->loaded into the order of params.lua and resolves needs. */
static void apply_order(lua_State *L, load_t *ctx, const rules_source_t *params_src)
{
    rules_catalog_t *cat = ctx->cat;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->order_ref);
    size_t n = lua_rawlen(L, -1);
    cat->policies = rules_load_calloc(L, ctx->nloaded, sizeof *cat->policies);
    /* First the permutation, then the move: a failure half-way leaves ctx->loaded whole. */
    size_t *pick = rules_load_calloc(L, ctx->nloaded, sizeof *pick);
    bool *taken = calloc(ctx->nloaded ? ctx->nloaded : 1, sizeof *taken);
    if (taken == NULL) {
        free(pick);
        luaL_error(L, "out of memory");
    }
    size_t npick = 0;
    for (size_t i = 1; i <= n; i++) {
        const char *id = lua_rawgeti(L, -1, (lua_Integer) i) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        size_t k = 0;
        while (id && k < ctx->nloaded && strcmp(ctx->loaded[k].info.id, id) != 0)
            k++;
        if (id == NULL || k == ctx->nloaded || taken[k]) {
            int at = id ? rules_load_line_of(params_src, id, ctx->order_line) : ctx->order_line;
            char msg[160];
            if (id == NULL)
                snprintf(msg, sizeof msg, "order: entry %zu must be a policy id", i);
            else
                snprintf(msg, sizeof msg, k == ctx->nloaded ? "order: no policy file declares '%s'"
                                                            : "order: '%s' is listed twice", id);
            free(pick);
            free(taken);
            rules_load_fail(L, params_src->name, at, "%s", msg);
        }
        taken[k] = true;
        pick[npick++] = k;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    for (size_t k = 0; k < ctx->nloaded; k++)
        if (!taken[k]) {
            free(pick);
            free(taken);
            rules_load_fail(L, ctx->loaded_file[k], 0, "policy '%s' is not in the order of %s",
                    ctx->loaded[k].info.id, params_src->name);
        }
    free(taken);
    for (size_t i = 0; i < npick; i++) {
        cat->policies[cat->npolicies++] = ctx->loaded[pick[i]];
        memset(&ctx->loaded[pick[i]], 0, sizeof ctx->loaded[pick[i]]);
    }
    free(pick);
    for (size_t i = 0; i < cat->npolicies; i++) {
        rules_policy_t *p = &cat->policies[i];
        for (size_t k = 0; k < p->nneeds; k++) {
            int j = rules_catalog_find(cat, p->need_ids[k]);
            if (j < 0 || (size_t) j >= i)
                rules_load_fail(L, p->info.file, 0, "policy '%s' needs '%s', which is %s", p->info.id,
                        p->need_ids[k], j < 0 ? "not in the catalogue" : "not earlier in the order");
            p->needs[k] = j;
        }
    }
}

static void free_policy(rules_policy_t *p)
{
    free((char *) p->info.id);
    free((char *) p->info.name_zh);
    free((char *) p->info.name_en);
    free((char *) p->info.department);
    free((char *) p->info.version);
    free((char *) p->info.effective_from);
    free((char *) p->info.file);
    free(p->params);
    free(p->param_view);
    for (size_t i = 0; i < p->nneeds; i++)
        free(p->need_ids[i]);
    free(p->need_ids);
    free(p->needs);
    for (size_t i = 0; p->clause_names && i < p->nclauses; i++)
        free(p->clause_names[i]);
    free(p->clause_names);
    free(p->clause_refs);
    memset(p, 0, sizeof *p);
}

static int load_all(lua_State *L)
{
    load_t *ctx = lua_touserdata(L, 1);
    rules_catalog_t *cat = ctx->cat;

    const rules_source_t *params_src = NULL;
    for (size_t i = 0; i < cat->nsources; i++)
        if (strcmp(cat->sources[i].name, RULES_PARAMS_FILE) == 0)
            params_src = &cat->sources[i];
    if (params_src == NULL)
        rules_load_fail(L, RULES_PARAMS_FILE, 0, "missing: the catalogue needs its parameters file");
    rules_params_load(L, ctx, params_src);
    for (size_t i = 0; i < cat->nsources; i++)
        if (&cat->sources[i] != params_src)
            run_policy_file(L, ctx, &cat->sources[i]);
    apply_order(L, ctx, params_src);
    rules_view_prepare(L, cat);
    return 0;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

/* Names and texts of the sources in order, and the step limit (a policy that fails at one
 * limit may pass at another). Parameter values are in params.lua, so they are covered. */
static void digest_sources(rules_catalog_t *cat)
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, sizeof cat->digest);
    for (size_t i = 0; i < cat->nsources; i++) {
        const rules_source_t *s = &cat->sources[i];
        uint64_t len = s->len;
        crypto_generichash_update(&h, (const unsigned char *) s->name, strlen(s->name) + 1);
        crypto_generichash_update(&h, (const unsigned char *) &len, sizeof len);
        crypto_generichash_update(&h, (const unsigned char *) s->text, s->len);
    }
    int64_t limit = cat->lim.step_limit;
    crypto_generichash_update(&h, (const unsigned char *) &limit, sizeof limit);
    crypto_generichash_final(&h, cat->digest, sizeof cat->digest);
}

static size_t put_bytes(unsigned char *buf, size_t at, size_t cap, const void *p, size_t n)
{
    if (at + n > cap)
        return cap + 1;   /* too long: the caller gives no key */
    memcpy(buf + at, p, n);
    return at + n;
}

static size_t put_i64(unsigned char *buf, size_t at, size_t cap, int64_t v)
{
    return put_bytes(buf, at, cap, &v, sizeof v);
}

int rules_inputs_key(const rules_catalog_t *self, const Ver__Picture *pic, const rules_history_t *hist,
                     uint64_t *key)
{
    unsigned char buf[1024];
    size_t at = 0, cap = sizeof buf;
    if (self == NULL || pic == NULL || pic->household_id == NULL || pic->region == NULL)
        return -1;
    at = put_bytes(buf, at, cap, pic->household_id, strlen(pic->household_id) + 1);
    at = put_bytes(buf, at, cap, pic->region, strlen(pic->region) + 1);
    /* the version names the picture; the figures are a second check on it */
    int64_t figures[] = { (int64_t) pic->version, pic->counted, (int64_t) pic->n_members,
                          pic->income_monthly, pic->per_capita_income, pic->income_12m, pic->oop_12m,
                          pic->deposits, pic->vehicle_max, pic->real_estate, pic->business };
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
        at = put_i64(buf, at, cap, figures[i]);
    for (size_t i = 0; hist && i < hist->npaid; i++) {
        at = put_bytes(buf, at, cap, hist->paid[i].policy, strlen(hist->paid[i].policy) + 1);
        at = put_i64(buf, at, cap, hist->paid[i].paid_12m);
    }
    if (at > cap)
        return -1;
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, buf, at, self->digest);   /* keyed by the catalogue */
    memcpy(key, out, sizeof *key);
    return 0;
}

static rules_catalog_t *build(rules_source_t *sources, size_t nsources, const rules_limits_t *lim,
                              char *err, size_t errlen)
{
    rules_catalog_t *cat = calloc(1, sizeof *cat);
    if (cat == NULL) {
        snprintf(err, errlen, "out of memory");
        for (size_t i = 0; i < nsources; i++) {
            free(sources[i].name);
            free(sources[i].text);
        }
        free(sources);
        return NULL;
    }
    cat->sources = sources;
    cat->nsources = nsources;
    cat->lim.step_limit = lim && lim->step_limit > 0 ? lim->step_limit : DEFAULT_STEP_LIMIT;
    cat->lim.memory_limit = lim && lim->memory_limit > 0 ? lim->memory_limit : DEFAULT_MEMORY_LIMIT;
    cat->keys_ref = cat->hh_ref = cat->hh_view_ref = cat->members_ref = cat->paid_ref = LUA_NOREF;
    cat->lua = rules_lua_new(cat->lim.memory_limit, cat->lim.step_limit, err, errlen);
    if (cat->lua == NULL) {
        rules_catalog_destroy(&cat);
        return NULL;
    }
    load_t ctx = { .cat = cat, .params_ref = LUA_NOREF, .order_ref = LUA_NOREF };
    ctx.loaded = calloc(RULES_MAX_POLICIES, sizeof *ctx.loaded);
    ctx.loaded_file = calloc(RULES_MAX_POLICIES, sizeof *ctx.loaded_file);
    int rc = -1;
    if (ctx.loaded == NULL || ctx.loaded_file == NULL)
        snprintf(err, errlen, "out of memory");
    else
        rc = rules_lua_protect(cat->lua, load_all, &ctx, err, errlen);
    rules_lua_disarm(cat->lua);
    for (size_t i = 0; ctx.loaded && i < ctx.nloaded; i++)
        free_policy(&ctx.loaded[i]);
    free(ctx.loaded);
    free(ctx.loaded_file);
    if (rc != 0 || rules_eval_trial(cat, err, errlen) != 0) {
        rules_catalog_destroy(&cat);
        return NULL;
    }
    digest_sources(cat);
    return cat;
}

static int compare_sources(const void *a, const void *b)
{
    return strcmp(((const rules_source_t *) a)->name, ((const rules_source_t *) b)->name);
}

static int read_source(const char *dir, const char *name, rules_source_t *out, char *err,
                       size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
        return -1;
    }
    char *text = malloc(MAX_SOURCE_BYTES + 1);
    size_t len = text ? fread(text, 1, MAX_SOURCE_BYTES + 1, f) : 0;
    bool bad = text == NULL || ferror(f) || len > MAX_SOURCE_BYTES;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: %s", name, text == NULL ? "out of memory"
                                              : len > MAX_SOURCE_BYTES ? "larger than 1 MiB"
                                                                       : "read error");
        free(text);
        return -1;
    }
    text[len] = '\0';
    char *fit = realloc(text, len + 1);   /* keep the text, not the 1 MiB buffer */
    if (fit != NULL)
        text = fit;
    out->name = strdup(name);
    out->text = text;
    out->len = len;
    if (out->name == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

rules_catalog_t *rules_catalog_load(const char *dir, const rules_limits_t *lim, char *err,
                                    size_t errlen)
{
    if (dir == NULL) {
        snprintf(err, errlen, "no policy directory");
        return NULL;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "%s: cannot open policy directory: %s", dir, strerror(errno));
        return NULL;
    }
    rules_source_t *sources = calloc(RULES_MAX_POLICIES + 1, sizeof *sources);
    size_t n = 0;
    int rc = sources ? 0 : -1;
    if (sources == NULL)
        snprintf(err, errlen, "out of memory");
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".lua") != 0)
            continue;
        if (n > RULES_MAX_POLICIES) {
            snprintf(err, errlen, "%s: more than %d policy files", dir, RULES_MAX_POLICIES);
            rc = -1;
            break;
        }
        rc = read_source(dir, e->d_name, &sources[n], err, errlen);
        if (sources[n].name != NULL || sources[n].text != NULL)
            n++;
    }
    closedir(d);
    if (rc != 0) {
        for (size_t i = 0; i < n; i++) {
            free(sources[i].name);
            free(sources[i].text);
        }
        free(sources);
        return NULL;
    }
    if (n > 1)   /* sources may be NULL when the directory holds none */
        qsort(sources, n, sizeof *sources, compare_sources);
    return build(sources, n, lim, err, errlen);
}

rules_catalog_t *rules_catalog_dup(const rules_catalog_t *self, char *err, size_t errlen)
{
    rules_source_t *sources = calloc(self->nsources + 1, sizeof *sources);
    if (sources == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < self->nsources; i++) {
        sources[i].name = strdup(self->sources[i].name);
        sources[i].text = malloc(self->sources[i].len + 1);
        sources[i].len = self->sources[i].len;
        if (sources[i].name == NULL || sources[i].text == NULL) {
            for (size_t k = 0; k <= i; k++) {
                free(sources[k].name);
                free(sources[k].text);
            }
            free(sources);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        memcpy(sources[i].text, self->sources[i].text, self->sources[i].len + 1);
    }
    return build(sources, self->nsources, &self->lim, err, errlen);
}

int rules_catalog_watch(rules_catalog_t *self)
{
    return rules_lua_watch(self->lua);
}

void rules_catalog_unwatch(rules_catalog_t *self)
{
    rules_lua_unwatch(self->lua);
}

void rules_catalog_destroy(rules_catalog_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    rules_catalog_t *self = *self_p;
    rules_view_release(self);
    rules_lua_destroy(&self->lua);
    for (size_t i = 0; i < self->npolicies; i++)
        free_policy(&self->policies[i]);
    free(self->policies);
    for (size_t i = 0; i < self->nparams; i++)
        free((char *) self->params[i].name);
    free(self->params);
    for (size_t i = 0; i < self->noverrides; i++) {
        free(self->overrides[i].param);
        free(self->overrides[i].value);
    }
    free(self->overrides);
    for (size_t i = 0; i < self->nsources; i++) {
        free(self->sources[i].name);
        free(self->sources[i].text);
    }
    free(self->sources);
    free(self);
    *self_p = NULL;
}

/* ---- metadata -------------------------------------------------------------------------------- */

const unsigned char *rules_catalog_digest(const rules_catalog_t *self)
{
    return self->digest;
}

size_t rules_catalog_size(const rules_catalog_t *self)
{
    return self ? self->npolicies : 0;
}

const rules_policy_info_t *rules_catalog_policy(const rules_catalog_t *self, size_t i)
{
    return self && i < self->npolicies ? &self->policies[i].info : NULL;
}

int rules_catalog_find(const rules_catalog_t *self, const char *id)
{
    for (size_t i = 0; self && id && i < self->npolicies; i++)
        if (strcmp(self->policies[i].info.id, id) == 0)
            return (int) i;
    return -1;
}

size_t rules_policy_param_count(const rules_catalog_t *self, size_t i)
{
    return self && i < self->npolicies ? self->policies[i].nparams : 0;
}

const rules_param_t *rules_policy_param(const rules_catalog_t *self, size_t i, size_t j)
{
    if (self == NULL || i >= self->npolicies || j >= self->policies[i].nparams)
        return NULL;
    return &self->policies[i].param_view[j];
}
