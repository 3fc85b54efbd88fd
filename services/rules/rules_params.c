/* rules_params — params.lua (the catalogue's parameters, their region overrides and the
 * catalogue order) and parameter values. See deploy/policies/README.md for the format.
 */
#include "rules_catalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sais_money.h"

/* Tags for yuan "..." and percent(...) values in params.lua (registry keys). */
static const char TAG_MONEY = 'M';
static const char TAG_PERCENT = 'P';

const char *rules_param_kind_name(rules_param_kind_t kind)
{
    switch (kind) {
    case RULES_PARAM_INT:     return "int";
    case RULES_PARAM_MONEY:   return "money";
    case RULES_PARAM_PERCENT: return "percent";
    }
    return "?";
}

/* ---- params.lua ------------------------------------------------------------------------------ */

static int push_tagged(lua_State *L, const char *tag, lua_Integer v)
{
    lua_createtable(L, 1, 0);
    lua_pushinteger(L, v);
    lua_rawseti(L, -2, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, tag);
    lua_setmetatable(L, -2);
    return 1;
}

/* yuan "1200.00" -> a money value in fen, parsed exactly. */
static int dsl_yuan(lua_State *L)
{
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (s == NULL || lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "yuan: write the amount as a string, yuan \"1200.00\"");
    sais_fen_t fen;
    sais_money_status_t st = sais_money_parse(s, len, false, &fen);
    if (st != SAIS_MONEY_OK)
        return luaL_error(L, "yuan \"%s\": %s", s, sais_money_message(st));
    return push_tagged(L, &TAG_MONEY, fen);
}

/* percent(130) or percent "130" -> whole percent. */
static int dsl_percent(lua_State *L)
{
    lua_Integer v;
    if (lua_isinteger(L, 1))
        v = lua_tointeger(L, 1);
    else if (lua_type(L, 1) == LUA_TSTRING) {
        const char *s = lua_tostring(L, 1);
        char *end;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (*s == '\0' || *end != '\0' || errno != 0)
            return luaL_error(L, "percent \"%s\": a whole number of percent, e.g. percent(130)", s);
        v = x;
    } else
        return luaL_error(L, "percent: a whole number of percent, e.g. percent(130)");
    if (v < 0 || v > 100000)
        return luaL_error(L, "percent: %I is out of range 0..100000", v);
    return push_tagged(L, &TAG_PERCENT, v);
}

/* The value at idx as a parameter: kind and integer. -1 if it is neither an integer nor a
 * tagged value. */
static int param_value(lua_State *L, int idx, rules_param_kind_t *kind, int64_t *value)
{
    if (lua_isinteger(L, idx)) {
        *kind = RULES_PARAM_INT;
        *value = lua_tointeger(L, idx);
        return 0;
    }
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
        return -1;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &TAG_MONEY);
    bool money = lua_rawequal(L, -1, -2);
    lua_pop(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &TAG_PERCENT);
    bool percent = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (!money && !percent)
        return -1;
    lua_rawgeti(L, idx, 1);
    *value = lua_tointeger(L, -1);
    lua_pop(L, 1);
    *kind = money ? RULES_PARAM_MONEY : RULES_PARAM_PERCENT;
    return 0;
}

static int dsl_params(lua_State *L)
{
    load_t *ctx = rules_load_ctx(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    if (ctx->params_ref != LUA_NOREF)
        return luaL_error(L, "params { ... } given twice");
    ctx->params_line = rules_load_caller_line(L);
    lua_pushvalue(L, 1);
    ctx->params_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

static int dsl_order(lua_State *L)
{
    load_t *ctx = rules_load_ctx(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    if (ctx->order_ref != LUA_NOREF)
        return luaL_error(L, "order { ... } given twice");
    ctx->order_line = rules_load_caller_line(L);
    lua_pushvalue(L, 1);
    ctx->order_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

static int compare_params(const void *a, const void *b)
{
    return strcmp(((const rules_param_t *) a)->name, ((const rules_param_t *) b)->name);
}

int rules_catalog_param_find(const rules_catalog_t *self, const char *name)
{
    if (self == NULL || name == NULL)
        return -1;
    rules_param_t key = { .name = name };
    const rules_param_t *p = bsearch(&key, self->params, self->nparams, sizeof key, compare_params);
    return p ? (int) (p - self->params) : -1;
}

/* override "330326" { ["dibao.line"] = yuan "1250.00" }: the second call. Needs the base
 * params, so params{} must come before any override. */
static int dsl_override_body(lua_State *L)
{
    load_t *ctx = rules_load_ctx(L);
    rules_catalog_t *cat = ctx->cat;
    const char *prefix = lua_tostring(L, lua_upvalueindex(2));
    luaL_checktype(L, 1, LUA_TTABLE);
    if (cat->params == NULL)
        return luaL_error(L, "override \"%s\": params { ... } must come first", prefix);
    for (size_t i = 0; i < cat->noverrides; i++)
        if (strcmp(cat->overrides[i].prefix, prefix) == 0)
            return luaL_error(L, "override \"%s\" given twice", prefix);
    rules_region_override_t *o = realloc(cat->overrides, (cat->noverrides + 1) * sizeof *o);
    if (o == NULL)
        return luaL_error(L, "out of memory");
    cat->overrides = o;
    o = &cat->overrides[cat->noverrides++];
    memset(o, 0, sizeof *o);
    snprintf(o->prefix, sizeof o->prefix, "%s", prefix);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        n++;
        lua_pop(L, 1);
    }
    o->param = rules_load_calloc(L, n, sizeof *o->param);
    o->value = rules_load_calloc(L, n, sizeof *o->value);
    int line = rules_load_caller_line(L);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return rules_load_fail(L, ctx->src->name, line, "override \"%s\": keys must be parameter names",
                           prefix);
        const char *name = lua_tostring(L, -2);
        int at = rules_load_line_of(ctx->src, name, line);
        int j = rules_catalog_param_find(cat, name);
        if (j < 0)
            return rules_load_fail(L, ctx->src->name, at, "override \"%s\": unknown parameter '%s'",
                           prefix, name);
        rules_param_kind_t kind;
        int64_t v;
        if (param_value(L, -1, &kind, &v) != 0 || kind != cat->params[j].kind)
            return rules_load_fail(L, ctx->src->name, at,
                           "override \"%s\": '%s' is a %s parameter; give it as %s", prefix, name,
                           rules_param_kind_name(cat->params[j].kind),
                           cat->params[j].kind == RULES_PARAM_MONEY     ? "yuan \"...\""
                           : cat->params[j].kind == RULES_PARAM_PERCENT ? "percent(...)"
                                                                       : "an integer");
        o->param[o->n] = j;
        o->value[o->n] = v;
        o->n++;
        lua_pop(L, 1);
    }
    return 0;
}

static int dsl_override(lua_State *L)
{
    const char *prefix = luaL_checkstring(L, 1);
    size_t n = strlen(prefix);
    bool digits = n >= 2 && n <= 6;
    for (size_t i = 0; digits && i < n; i++)
        digits = isdigit((unsigned char) prefix[i]);
    if (!digits)
        return luaL_error(L, "override \"%s\": a region prefix is 2 to 6 digits", prefix);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, dsl_override_body, 2);
    return 1;
}

/* Reads the params{} table into cat->params (sorted by name). */
static void collect_params(lua_State *L, load_t *ctx)
{
    rules_catalog_t *cat = ctx->cat;
    if (ctx->params_ref == LUA_NOREF)
        rules_load_fail(L, RULES_PARAMS_FILE, 0, "no params { ... } table");
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->params_ref);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        n++;
        lua_pop(L, 1);
    }
    cat->params = rules_load_calloc(L, n, sizeof *cat->params);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            rules_load_fail(L, RULES_PARAMS_FILE, ctx->params_line, "params: keys must be names like \"dibao.line\"");
        const char *name = lua_tostring(L, -2);
        int at = rules_load_line_of(ctx->src, name, ctx->params_line);
        if (!rules_load_good_name(name, RULES_PARAM_MAX, true))
            rules_load_fail(L, RULES_PARAMS_FILE, at, "params: bad parameter name '%s' (lower case, digits, _ and .)",
                    name);
        rules_param_t *p = &cat->params[cat->nparams];
        if (param_value(L, -1, &p->kind, &p->value) != 0)
            rules_load_fail(L, RULES_PARAMS_FILE, at, "params: '%s' must be an integer, yuan \"...\" or percent(...)%s",
                    name, lua_type(L, -1) == LUA_TNUMBER ? " (floats are not allowed)" : "");
        p->name = rules_load_strdup(L, name);
        cat->nparams++;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (cat->nparams > 1)   /* params is NULL when there are none */
        qsort(cat->params, cat->nparams, sizeof *cat->params, compare_params);
}

static int dsl_params_then_collect(lua_State *L)
{
    dsl_params(L);
    collect_params(L, rules_load_ctx(L));
    return 0;
}

static int compare_overrides(const void *a, const void *b)
{
    size_t la = strlen(((const rules_region_override_t *) a)->prefix);
    size_t lb = strlen(((const rules_region_override_t *) b)->prefix);
    return (la > lb) - (la < lb);
}

void rules_params_load(lua_State *L, load_t *ctx, const rules_source_t *src)
{
    lua_createtable(L, 0, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &TAG_MONEY);
    lua_createtable(L, 0, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &TAG_PERCENT);
    ctx->src = src;
    lua_createtable(L, 0, 8);   /* params.lua sees only its vocabulary */
    static const struct { const char *name; lua_CFunction f; } dsl[] = {
        { "params", dsl_params_then_collect }, { "order", dsl_order },
        { "override", dsl_override }, { "yuan", dsl_yuan }, { "percent", dsl_percent },
    };
    for (size_t i = 0; i < sizeof dsl / sizeof dsl[0]; i++) {
        lua_pushlightuserdata(L, ctx);
        lua_pushcclosure(L, dsl[i].f, 1);
        lua_setfield(L, -2, dsl[i].name);
    }
    rules_lua_load(L, src->text, src->len, src->name, -1);
    rules_lua_arm(ctx->cat->lua);
    lua_call(L, 0, 0);
    rules_lua_disarm(ctx->cat->lua);
    lua_pop(L, 1);
    if (ctx->params_ref == LUA_NOREF)
        rules_load_fail(L, src->name, 0, "no params { ... } table");
    if (ctx->order_ref == LUA_NOREF)
        rules_load_fail(L, src->name, 0, "no order { ... } list of policy ids");
    if (ctx->cat->noverrides > 1)
        qsort(ctx->cat->overrides, ctx->cat->noverrides, sizeof *ctx->cat->overrides,
              compare_overrides);
}

size_t rules_catalog_param_count(const rules_catalog_t *self)
{
    return self ? self->nparams : 0;
}

const rules_param_t *rules_catalog_param(const rules_catalog_t *self, size_t j)
{
    return self && j < self->nparams ? &self->params[j] : NULL;
}

int rules_catalog_param_value(const rules_catalog_t *self, const char *name, const char *region,
                              int64_t *out)
{
    int j = rules_catalog_param_find(self, name);
    if (j < 0)
        return -1;
    *out = self->params[j].value;
    size_t rlen = region ? strlen(region) : 0;
    for (size_t i = 0; i < self->noverrides; i++) {   /* shortest prefix first: longest wins */
        const rules_region_override_t *o = &self->overrides[i];
        size_t plen = strlen(o->prefix);
        if (plen > rlen || memcmp(o->prefix, region, plen) != 0)
            continue;
        for (size_t k = 0; k < o->n; k++)
            if (o->param[k] == j)
                *out = o->value[k];
    }
    return 0;
}

int rules_params_resolve(const rules_catalog_t *cat, const char *region,
                       const rules_param_override_t *ov, size_t nov, int64_t *out, char *err,
                       size_t errlen)
{
    for (size_t j = 0; j < cat->nparams; j++)
        out[j] = cat->params[j].value;
    size_t rlen = region ? strlen(region) : 0;
    for (size_t i = 0; i < cat->noverrides; i++) {   /* shortest prefix first: longest wins */
        const rules_region_override_t *o = &cat->overrides[i];
        size_t plen = strlen(o->prefix);
        if (plen <= rlen && memcmp(o->prefix, region, plen) == 0)
            for (size_t k = 0; k < o->n; k++)
                out[o->param[k]] = o->value[k];
    }
    for (size_t i = 0; i < nov; i++) {
        int j = rules_catalog_param_find(cat, ov[i].name);
        if (j < 0) {
            snprintf(err, errlen, "unknown parameter '%s'", ov[i].name ? ov[i].name : "(null)");
            return -1;
        }
        out[j] = ov[i].value;
    }
    return 0;
}

