/* rules_view — what policies see, and the tables behind it (see rules_catalog.h).
 *
 * Speed matters (simulate runs the catalogue over every household of a city), so nothing
 * constant is rebuilt per household: the household, member, decided and decision tables are
 * created once and refilled, field names are interned once, and the per-policy parameter tables
 * are cached per resolved value set (a region's overrides plus any what-if values). Everything
 * a policy receives is a read-only view (rules_lua_push_readonly).
 */
#include "rules_catalog.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Registry key of the metatable of a policy's real params table (unknown names raise). */
static const char UNKNOWN_PARAM_MT = 'U';

static void intern_keys(lua_State *L, rules_catalog_t *cat);
static void lazy_strings_for(lua_State *L, rules_catalog_t *cat, int ref, lua_Integer which);

/* ---- what policies see ------------------------------------------------------------------------ */

static int unknown_param(lua_State *L)
{
    return luaL_error(L, "unknown parameter '%s' (not in this policy's params list)",
                      luaL_tolstring(L, 2, NULL));
}

static int undeclared_need(lua_State *L)
{
    return luaL_error(L, "decided.%s: the policy does not list '%s' in its needs",
                      luaL_tolstring(L, 2, NULL), lua_tostring(L, -1));
}

/* Creates a table, stores a ref to it and one to a read-only view of it. */
static void new_table_pair(lua_State *L, const char *what, int *ref, int *view_ref)
{
    lua_newtable(L);
    rules_lua_push_readonly(L, -1, what);
    *view_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void rules_view_prepare(lua_State *L, rules_catalog_t *cat)
{
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, unknown_param);
    lua_setfield(L, -2, "__index");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &UNKNOWN_PARAM_MT);

    intern_keys(L, cat);
    new_table_pair(L, "household", &cat->hh_ref, &cat->hh_view_ref);
    lazy_strings_for(L, cat, cat->hh_ref, 0);
    int members_view, paid_view;
    new_table_pair(L, "members", &cat->members_ref, &members_view);
    new_table_pair(L, "paid_12m", &cat->paid_ref, &paid_view);
    lua_rawgeti(L, LUA_REGISTRYINDEX, cat->hh_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, members_view);
    lua_setfield(L, -2, "members");
    lua_rawgeti(L, LUA_REGISTRYINDEX, paid_view);
    lua_setfield(L, -2, "paid_12m");
    lua_pop(L, 1);

    /* Each policy's decision as dependents see it: entry = {eligible, amount, failed, count,
     * persons}, persons = set of beneficiary id numbers. */
    for (size_t i = 0; i < cat->npolicies; i++) {
        rules_policy_t *p = &cat->policies[i];
        int persons_view;
        new_table_pair(L, "persons", &p->persons_ref, &persons_view);
        new_table_pair(L, "decision", &p->entry_ref, &p->entry_view_ref);
        lua_rawgeti(L, LUA_REGISTRYINDEX, p->entry_ref);
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "eligible");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "failed");
        lua_pushinteger(L, 0);
        lua_setfield(L, -2, "amount");
        lua_pushinteger(L, 0);
        lua_setfield(L, -2, "count");
        lua_rawgeti(L, LUA_REGISTRYINDEX, persons_view);
        lua_setfield(L, -2, "persons");
        lua_pop(L, 1);
    }
    for (size_t i = 0; i < cat->npolicies; i++) {
        rules_policy_t *p = &cat->policies[i];
        lua_createtable(L, 0, (int) p->nneeds);
        for (size_t k = 0; k < p->nneeds; k++) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, cat->policies[p->needs[k]].entry_view_ref);
            lua_setfield(L, -2, cat->policies[p->needs[k]].info.id);
        }
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, undeclared_need);
        lua_setfield(L, -2, "__index");
        lua_setmetatable(L, -2);
        rules_lua_push_readonly(L, -1, "decided");
        p->decided_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_pop(L, 1);
    }

    cat->scratch = calloc(cat->nparams + 1, sizeof *cat->scratch);
    cat->scratch2 = calloc(cat->nparams + 1, sizeof *cat->scratch2);
    if (cat->scratch == NULL || cat->scratch2 == NULL)
        luaL_error(L, "out of memory");
    for (size_t k = 0; k < RULES_PARAM_CACHE; k++) {
        cat->cache[k].ref = LUA_NOREF;
        cat->cache[k].tracked_ref = LUA_NOREF;
        cat->cache[k].values = calloc(cat->nparams + 1, sizeof *cat->cache[k].values);
        if (cat->cache[k].values == NULL)
            luaL_error(L, "out of memory");
    }
}

void rules_view_release(rules_catalog_t *cat)
{
    for (size_t k = 0; k < RULES_PARAM_CACHE; k++) {
        free(cat->cache[k].values);
        cat->cache[k].values = NULL;
    }
    free(cat->scratch);
    free(cat->scratch2);
    cat->scratch = cat->scratch2 = NULL;
    free(cat->member_refs);
    free(cat->member_view_refs);
    cat->member_refs = cat->member_view_refs = NULL;
    free(cat->member_strs);
    cat->member_strs = NULL;
}

/* __index of a watched params view: upvalues real table, bits (name -> bit), the catalogue.
 * An unknown name raises through the real table's own metatable, as an unwatched view does. */
static int tracked_param(lua_State *L)
{
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    lua_gettable(L, lua_upvalueindex(1));
    rules_catalog_t *cat = lua_touserdata(L, lua_upvalueindex(3));
    if (cat->track != NULL) {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNUMBER)
            *cat->track |= (uint64_t) 1 << lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    return 1;
}

/* __pairs of a watched params view: a walk reads every parameter. */
static int tracked_pairs(lua_State *L)
{
    rules_catalog_t *cat = lua_touserdata(L, lua_upvalueindex(1));
    if (cat->track != NULL)
        *cat->track = ~(uint64_t) 0;
    return rules_lua_ro_pairs(L);
}

/* Turns the read-only view on top of the stack, of the real table just below it, into a
 * watched one for policy p. */
static void watch_view(lua_State *L, rules_catalog_t *cat, const rules_policy_t *p)
{
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__real");
    lua_pushvalue(L, -3);
    lua_createtable(L, 0, (int) p->nparams);
    for (size_t k = 0; k < p->nparams; k++) {
        lua_pushinteger(L, k < 63 ? (lua_Integer) k : 63);
        lua_setfield(L, -2, cat->params[p->params[k]].name);
    }
    lua_pushlightuserdata(L, cat);
    lua_pushcclosure(L, tracked_param, 3);
    lua_setfield(L, -2, "__index");
    lua_pushlightuserdata(L, cat);
    lua_pushcclosure(L, tracked_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pop(L, 1);
}

/* The Lua array of per-policy params views for `values` (nparams resolved values): cached,
 * both the plain and the watched array. */
int rules_view_params(lua_State *L, rules_catalog_t *cat, const int64_t *values, bool tracked)
{
    size_t bytes = cat->nparams * sizeof *values;
    rules_param_set_t *victim = &cat->cache[0];
    for (size_t k = 0; k < RULES_PARAM_CACHE; k++) {
        rules_param_set_t *c = &cat->cache[k];
        if (c->used && memcmp(c->values, values, bytes) == 0) {
            c->stamp = ++cat->cache_clock;
            return tracked ? c->tracked_ref : c->ref;
        }
        if (!c->used || (victim->used && c->stamp < victim->stamp))
            victim = c;
    }
    if (victim->used) {
        luaL_unref(L, LUA_REGISTRYINDEX, victim->ref);
        luaL_unref(L, LUA_REGISTRYINDEX, victim->tracked_ref);
        victim->used = false;
        victim->ref = victim->tracked_ref = LUA_NOREF;
    }
    lua_createtable(L, (int) cat->npolicies, 0);
    lua_createtable(L, (int) cat->npolicies, 0);
    for (size_t i = 0; i < cat->npolicies; i++) {
        const rules_policy_t *p = &cat->policies[i];
        lua_createtable(L, 0, (int) p->nparams);
        for (size_t k = 0; k < p->nparams; k++) {
            lua_pushinteger(L, values[p->params[k]]);
            lua_setfield(L, -2, cat->params[p->params[k]].name);
        }
        lua_rawgetp(L, LUA_REGISTRYINDEX, &UNKNOWN_PARAM_MT);
        lua_setmetatable(L, -2);
        rules_lua_push_readonly(L, -1, "params");
        lua_rawseti(L, -4, (lua_Integer) i + 1);
        rules_lua_push_readonly(L, -1, "params");
        watch_view(L, cat, p);
        lua_rawseti(L, -3, (lua_Integer) i + 1);
        lua_pop(L, 1);
    }
    victim->tracked_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    victim->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    memcpy(victim->values, values, bytes);
    victim->used = true;
    victim->stamp = ++cat->cache_clock;
    return tracked ? victim->tracked_ref : victim->ref;
}

/* The fields policies see, as a table (one place to add one). Keys are interned once into a
 * Lua array (cat->keys_ref) so that refilling does not look each name up again. */
typedef enum { F_STR, F_I32, F_I64, F_BOOL } ftype_t;
typedef struct {
    const char *key;
    ftype_t     type;
    size_t      off;
} field_t;

#define MF(k, t) { #k, t, offsetof(Ver__Member, k) }
static const field_t MEMBER_FIELDS[] = {
    MF(id_number, F_STR), MF(name, F_STR), MF(relation, F_STR), MF(status, F_STR),
    MF(birth_date, F_STR), MF(death_date, F_STR), MF(sex, F_STR), MF(age, F_I32),
    MF(disability_grade, F_I32), MF(disability_category, F_STR), MF(income_monthly_avg, F_I64),
    MF(income_12m, F_I64), MF(oop_12m, F_I64), MF(counted, F_BOOL), MF(able_to_work, F_BOOL),
};
#define PF(k, t) { #k, t, offsetof(Ver__Picture, k) }
static const field_t PICTURE_FIELDS[] = {
    PF(household_id, F_STR), PF(region, F_STR), PF(as_of, F_STR), PF(head_id, F_STR),
    PF(counted, F_I32), PF(income_monthly, F_I64), PF(per_capita_income, F_I64),
    PF(income_12m, F_I64), PF(oop_12m, F_I64), PF(latest_month_income, F_I64),
    PF(prev6_avg_income, F_I64), PF(deposits, F_I64), PF(vehicle_max, F_I64),
    PF(real_estate, F_I32), PF(business, F_I64),
};
#define NMF (sizeof MEMBER_FIELDS / sizeof MEMBER_FIELDS[0])
#define NPF (sizeof PICTURE_FIELDS / sizeof PICTURE_FIELDS[0])
/* Key numbers in the keys array: member fields, picture fields, the decision entry's fields,
 * then the policy ids (for paid_12m). */
enum { K_MEMBER = 1, K_PICTURE = K_MEMBER + NMF, K_ELIGIBLE = K_PICTURE + NPF, K_FAILED, K_AMOUNT,
       K_COUNT, K_POLICY };

static void intern_keys(lua_State *L, rules_catalog_t *cat)
{
    lua_createtable(L, (int) (K_POLICY + cat->npolicies), 0);
    for (size_t k = 0; k < NMF; k++) {
        lua_pushstring(L, MEMBER_FIELDS[k].key);
        lua_rawseti(L, -2, (lua_Integer) (K_MEMBER + k));
    }
    for (size_t k = 0; k < NPF; k++) {
        lua_pushstring(L, PICTURE_FIELDS[k].key);
        lua_rawseti(L, -2, (lua_Integer) (K_PICTURE + k));
    }
    static const char *const entry[] = { "eligible", "failed", "amount", "count" };
    for (size_t k = 0; k < 4; k++) {
        lua_pushstring(L, entry[k]);
        lua_rawseti(L, -2, (lua_Integer) (K_ELIGIBLE + k));
    }
    for (size_t i = 0; i < cat->npolicies; i++) {
        lua_pushstring(L, cat->policies[i].info.id);
        lua_rawseti(L, -2, (lua_Integer) (K_POLICY + i));
    }
    cat->keys_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* t[keys[k]] = value at the top (popped); t and keys are absolute indices. */
static void kset(lua_State *L, int t, int keys, int k)
{
    lua_rawgeti(L, keys, k);
    lua_insert(L, -2);
    lua_rawset(L, t);
}

static const void *view_object(const rules_catalog_t *cat, lua_Integer which)
{
    const Ver__Picture *pic = cat->view_pic;
    if (pic == NULL)
        return NULL;
    if (which == 0)
        return pic;
    size_t i = (size_t) which - 1;
    return pic->members && i < pic->n_members ? pic->members[i] : NULL;
}

static uint32_t *view_strs(rules_catalog_t *cat, lua_Integer which)
{
    return which == 0 ? &cat->hh_strs : &cat->member_strs[which - 1];
}

/* t[key] for a string field not yet set: read it from the picture, keep it in t, note it. */
static int lazy_string(lua_State *L)
{
    rules_catalog_t *cat = lua_touserdata(L, lua_upvalueindex(1));
    lua_Integer which = lua_tointeger(L, lua_upvalueindex(2));
    const field_t *f = which == 0 ? PICTURE_FIELDS : MEMBER_FIELDS;
    size_t n = which == 0 ? NPF : NMF;
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    const char *obj = view_object(cat, which);
    for (size_t k = 0; key && obj && k < n; k++) {
        if (f[k].type != F_STR || strcmp(f[k].key, key) != 0)
            continue;
        const char *v = *(char *const *) (obj + f[k].off);
        lua_settop(L, 2);
        lua_pushlstring(L, v ? v : "", v ? strlen(v) : 0);
        lua_pushvalue(L, 2);
        lua_pushvalue(L, 3);
        lua_rawset(L, 1);   /* t[key] = v: read once per evaluation */
        *view_strs(cat, which) |= (uint32_t) 1 << k;
        return 1;
    }
    return 0;
}

/* Sets every string field (for pairs(), which sees only what is set). */
static int all_strings(lua_State *L)
{
    lua_settop(L, 1);
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    rules_catalog_t *cat = NULL;
    if (lua_getupvalue(L, -1, 1) != NULL) {
        cat = lua_touserdata(L, -1);
        lua_pop(L, 1);
    }
    lua_Integer which = 0;
    if (lua_getupvalue(L, -1, 2) != NULL) {
        which = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    const field_t *f = which == 0 ? PICTURE_FIELDS : MEMBER_FIELDS;
    size_t n = which == 0 ? NPF : NMF;
    for (size_t k = 0; cat && view_object(cat, which) && k < n; k++) {
        if (f[k].type != F_STR || (*view_strs(cat, which) & ((uint32_t) 1 << k)))
            continue;
        lua_pushvalue(L, -1);   /* lazy_string(t, key) */
        lua_pushvalue(L, 1);
        lua_pushstring(L, f[k].key);
        lua_call(L, 2, 0);
    }
    return 0;
}

/* Gives the real table of a household (which 0) or member (which = index + 1) its lazy string
 * fields. */
static void lazy_strings_for(lua_State *L, rules_catalog_t *cat, int ref, lua_Integer which)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_createtable(L, 0, 2);
    lua_pushlightuserdata(L, cat);
    lua_pushinteger(L, which);
    lua_pushcclosure(L, lazy_string, 2);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, all_strings);
    lua_setfield(L, -2, RULES_LUA_MATERIALIZE);
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}

/* Numbers and booleans into t; string fields set by an earlier household are cleared, to be
 * read again from this picture when asked. */
static void fill_fields(lua_State *L, int t, int keys, int k0, const field_t *f, size_t n,
                        const void *obj, uint32_t *strs)
{
    const char *base = obj;
    for (size_t k = 0; k < n; k++) {
        if (f[k].type == F_STR) {
            if ((*strs & ((uint32_t) 1 << k)) == 0)
                continue;
            lua_rawgeti(L, keys, k0 + (int) k);
            lua_pushnil(L);
            lua_rawset(L, t);
            continue;
        }
        lua_rawgeti(L, keys, k0 + (int) k);
        const void *at = base + f[k].off;
        switch (f[k].type) {
        case F_I32: lua_pushinteger(L, *(const int32_t *) at); break;
        case F_I64: lua_pushinteger(L, *(const int64_t *) at); break;
        case F_BOOL: lua_pushboolean(L, *(const protobuf_c_boolean *) at); break;
        case F_STR: break;
        }
        lua_rawset(L, t);
    }
    *strs = 0;
}

static void grow_member_pool(lua_State *L, rules_catalog_t *cat, size_t n)
{
    int *refs = realloc(cat->member_refs, n * sizeof *refs);
    if (refs == NULL)
        luaL_error(L, "out of memory");
    cat->member_refs = refs;
    int *views = realloc(cat->member_view_refs, n * sizeof *views);
    if (views == NULL)
        luaL_error(L, "out of memory");
    cat->member_view_refs = views;
    uint32_t *strs = realloc(cat->member_strs, n * sizeof *strs);
    if (strs == NULL)
        luaL_error(L, "out of memory");
    cat->member_strs = strs;
    while (cat->member_pool < n) {
        new_table_pair(L, "member", &cat->member_refs[cat->member_pool],
                       &cat->member_view_refs[cat->member_pool]);
        cat->member_strs[cat->member_pool] = 0;
        lazy_strings_for(L, cat, cat->member_refs[cat->member_pool], (lua_Integer) cat->member_pool + 1);
        cat->member_pool++;
    }
}

/* Refills the household tables from the picture. Money is fen, as in the picture. */
void rules_view_fill(lua_State *L, rules_catalog_t *cat, const Ver__Picture *pic,
                     const rules_history_t *hist)
{
    size_t n = pic->members ? pic->n_members : 0;
    for (size_t i = 0; i < n; i++)
        if (pic->members[i] == NULL)
            luaL_error(L, "picture member %zu is missing", i + 1);
    if (n > cat->member_pool)
        grow_member_pool(L, cat, n);
    cat->view_pic = pic;
    lua_rawgeti(L, LUA_REGISTRYINDEX, cat->keys_ref);
    int keys = lua_gettop(L);

    lua_rawgeti(L, LUA_REGISTRYINDEX, cat->members_ref);
    int members = lua_gettop(L);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, cat->member_refs[i]);
        fill_fields(L, lua_gettop(L), keys, K_MEMBER, MEMBER_FIELDS, NMF, pic->members[i],
                    &cat->member_strs[i]);
        lua_pop(L, 1);
        lua_rawgeti(L, LUA_REGISTRYINDEX, cat->member_view_refs[i]);
        lua_rawseti(L, members, (lua_Integer) i + 1);
    }
    for (size_t i = n; i < cat->nmembers_set; i++) {
        lua_pushnil(L);
        lua_rawseti(L, members, (lua_Integer) i + 1);
    }
    cat->nmembers_set = n;
    lua_pop(L, 1);

    lua_rawgeti(L, LUA_REGISTRYINDEX, cat->hh_ref);
    fill_fields(L, lua_gettop(L), keys, K_PICTURE, PICTURE_FIELDS, NPF, pic, &cat->hh_strs);
    lua_pop(L, 1);

    lua_rawgeti(L, LUA_REGISTRYINDEX, cat->paid_ref);
    int paid = lua_gettop(L);
    int64_t sum[RULES_MAX_POLICIES] = { 0 };
    for (size_t k = 0; hist && k < hist->npaid; k++) {
        int i = hist->paid[k].policy ? rules_catalog_find(cat, hist->paid[k].policy) : -1;
        if (i >= 0)
            sum[i] += hist->paid[k].paid_12m;
    }
    for (size_t i = 0; i < cat->npolicies; i++) {
        lua_pushinteger(L, sum[i]);
        kset(L, paid, keys, K_POLICY + (int) i);
    }
    lua_pop(L, 2);
}

void rules_view_done(rules_catalog_t *cat)
{
    cat->view_pic = NULL;
}

/* Empties policy p's beneficiary set (before it runs again, or when it failed). */
void rules_view_clear_persons(lua_State *L, rules_policy_t *p)
{
    if (!p->persons_dirty)
        return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->persons_ref);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
    p->persons_dirty = false;
}

/* The decision of policy p as dependents see it. Setting existing fields does not allocate. */
void rules_view_publish(lua_State *L, rules_catalog_t *cat, rules_policy_t *p, bool eligible,
                        bool failed, int64_t amount)
{
    lua_Integer count = 0;
    if (failed)
        rules_view_clear_persons(L, p);
    if (p->persons_dirty) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, p->persons_ref);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            count++;
        }
        lua_pop(L, 1);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, cat->keys_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->entry_ref);
    int keys = lua_gettop(L) - 1, entry = keys + 1;
    lua_pushboolean(L, eligible);
    kset(L, entry, keys, K_ELIGIBLE);
    lua_pushboolean(L, failed);
    kset(L, entry, keys, K_FAILED);
    lua_pushinteger(L, amount);
    kset(L, entry, keys, K_AMOUNT);
    lua_pushinteger(L, count);
    kset(L, entry, keys, K_COUNT);
    lua_pop(L, 2);
}

