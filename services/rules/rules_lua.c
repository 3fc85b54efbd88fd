/* rules_lua — the sandbox assistance policies run in. See rules_lua.h. */
#include "rules_lua.h"
#include "rules_lua_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lualib.h>

#include "sais_log.h"
#include "sais_money.h"

/* The registry key of the sandbox table (the read-only view policies read through). */
static const char SANDBOX_KEY = 'S';

/* ---- errors ------------------------------------------------------------------------------ */

/* The message handler: make sure the message names the file and line it came from. Errors
 * raised by C helpers already carry the caller's position (luaL_error level 1); error(x, 0),
 * non-string error objects and our own checks may not. */
static int message_handler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
            continue;
        size_t n = strlen(ar.short_src);
        if (strncmp(msg, ar.short_src, n) == 0 && msg[n] == ':')
            lua_pushstring(L, msg);
        else
            lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
        return 1;
    }
    lua_pushstring(L, msg);
    return 1;
}

int rules_lua_pcall(lua_State *L, int nargs, int nresults)
{
    int base = lua_gettop(L) - nargs;   /* the function's slot */
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    if (rc == LUA_ERRMEM) {
        /* No handler runs for memory errors; the message is a constant "not enough memory". */
        lua_pop(L, 1);
        lua_pushstring(L, self_of(L)->mem_msg);
    } else if (rc != LUA_OK && !lua_isstring(L, -1)) {
        lua_pop(L, 1);
        lua_pushstring(L, "(error object is not a string)");
    }
    return rc;
}

typedef struct {
    lua_CFunction f;
    void *ud;
} protect_call_t;

static int protect_trampoline(lua_State *L)
{
    protect_call_t *pc = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_pushcfunction(L, pc->f);
    lua_pushlightuserdata(L, pc->ud);
    lua_call(L, 1, 0);
    return 0;
}

int rules_lua_protect(rules_lua_t *self, lua_CFunction f, void *ud, char *err, size_t errlen)
{
    lua_State *L = self->L;
    int top = lua_gettop(L);
    protect_call_t pc = { f, ud };
    /* pushcfunction and pushlightuserdata do not allocate, so nothing can raise out here. */
    lua_pushcfunction(L, protect_trampoline);
    lua_pushlightuserdata(L, &pc);
    int rc = rules_lua_pcall(L, 1, 0);
    if (rc != LUA_OK) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s", lua_tostring(L, -1));
        lua_settop(L, top);
        return -1;
    }
    lua_settop(L, top);
    return 0;
}

/* ---- helpers given to policies ------------------------------------------------------------- */

static lua_Integer check_int(lua_State *L, int arg, const char *fn)
{
    if (!lua_isinteger(L, arg)) {
        if (lua_type(L, arg) == LUA_TNUMBER)
            return luaL_error(L, "%s: argument #%d is a float (%s); money is integer fen",
                              fn, arg, lua_tostring(L, arg));
        return luaL_error(L, "%s: argument #%d must be an integer, got %s", fn, arg,
                          luaL_typename(L, arg));
    }
    return lua_tointeger(L, arg);
}

/* muldiv(a, num, den): a * num / den rounded half away from zero, exact (sais_money_muldiv). */
static int l_muldiv(lua_State *L)
{
    lua_Integer a = check_int(L, 1, "muldiv");
    lua_Integer num = check_int(L, 2, "muldiv");
    lua_Integer den = check_int(L, 3, "muldiv");
    if (den <= 0)
        return luaL_error(L, "muldiv: denominator must be > 0, got %I", den);
    sais_fen_t q = sais_money_muldiv(a, num, den);
    if (q == INT64_MAX || q == INT64_MIN)   /* it saturates; no real amount comes near */
        return luaL_error(L, "muldiv: result out of range");
    lua_pushinteger(L, (lua_Integer) q);
    return 1;
}

static int l_fmt_yuan(lua_State *L)
{
    lua_Integer fen = check_int(L, 1, "fmt_yuan");
    char buf[SAIS_MONEY_BUF];
    lua_pushstring(L, sais_money_format(fen, buf));
    return 1;
}

static int minmax(lua_State *L, int op_keep_first /* LUA_OPLT for min */, bool is_min)
{
    int n = lua_gettop(L);
    if (n < 1)
        return luaL_error(L, "%s: needs at least one argument", is_min ? "min" : "max");
    int best = 1;
    for (int i = 1; i <= n; i++)
        luaL_checknumber(L, i);
    for (int i = 2; i <= n; i++) {
        bool better = is_min ? lua_compare(L, i, best, op_keep_first)
                             : lua_compare(L, best, i, op_keep_first);
        if (better)
            best = i;
    }
    lua_pushvalue(L, best);
    return 1;
}

static int l_min(lua_State *L)
{
    return minmax(L, LUA_OPLT, true);
}

static int l_max(lua_State *L)
{
    return minmax(L, LUA_OPLT, false);
}

/* print(...) goes to the service log, with the policy's file:line. */
static int l_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    luaL_where(L, 1);
    sais_info("policy %s%s", lua_tostring(L, -1), lua_tostring(L, -2));
    return 0;
}

/* ---- read-only views ----------------------------------------------------------------------- */

static int ro_newindex(lua_State *L)
{
    const char *what = "table";
    if (lua_getmetatable(L, 1) && lua_getfield(L, -1, "__what") == LUA_TSTRING)
        what = lua_tostring(L, -1);
    return luaL_error(L, "attempt to modify read-only %s", what);
}

void rules_lua_push_real(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx)) {
        lua_pushnil(L);
        return;
    }
    /* a view whose reads are watched has a function for __index and names its table __real */
    if (lua_getfield(L, -1, "__index") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_getfield(L, -1, "__real");
    }
    lua_remove(L, -2);
}

static int ro_len(lua_State *L)
{
    rules_lua_push_real(L, 1);
    lua_pushinteger(L, lua_istable(L, -1) ? (lua_Integer) lua_rawlen(L, -1) : 0);
    return 1;
}

static int ro_next(lua_State *L)
{
    lua_settop(L, 2);
    rules_lua_push_real(L, 1);
    if (!lua_istable(L, -1))
        return 0;
    lua_pushvalue(L, 2);
    if (lua_next(L, -2))
        return 2;
    lua_pushnil(L);
    return 1;
}

int rules_lua_ro_pairs(lua_State *L)
{
    /* a table whose fields are set when first read sets them all before being walked */
    rules_lua_push_real(L, 1);
    if (lua_istable(L, -1) && lua_getmetatable(L, -1)) {
        if (lua_getfield(L, -1, RULES_LUA_MATERIALIZE) == LUA_TFUNCTION) {
            lua_pushvalue(L, -3);
            lua_call(L, 1, 0);
        } else
            lua_pop(L, 1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, ro_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

void rules_lua_push_readonly(lua_State *L, int idx, const char *what)
{
    idx = lua_absindex(L, idx);
    lua_createtable(L, 0, 0);               /* the view */
    lua_createtable(L, 0, 6);               /* its metatable */
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, ro_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, rules_lua_ro_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushstring(L, what);
    lua_setfield(L, -2, "__what");
    lua_pushstring(L, "read-only");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* ---- the sandbox ----------------------------------------------------------------------------- */

static const char *const BASE_KEEP[] = {
    "assert", "error", "ipairs", "next", "pairs", "select", "tonumber", "tostring", "type",
    "rawequal", "rawget", "rawlen", "getmetatable", "setmetatable", "pcall", "xpcall",
    "_VERSION", NULL,
};

/* Copies the library table global `name` minus `drop` into a fresh table, removes the dropped
 * functions from the real table too (the string metatable reaches the real one), and stores a
 * read-only view of the copy in the sandbox table at -1. */
static void add_library(lua_State *L, const char *name, const char *const *drop)
{
    lua_getglobal(L, name);
    for (const char *const *d = drop; *d; d++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *d);
    }
    lua_createtable(L, 0, 32);
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    rules_lua_push_readonly(L, -1, name);
    lua_setfield(L, -4, name);
    lua_pop(L, 2);
}

static int build_sandbox(lua_State *L)
{
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    lua_settop(L, 0);

    /* Strings share one metatable whose __index is the real string table; protect it. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    lua_createtable(L, 0, 32);              /* the sandbox */
    for (const char *const *k = BASE_KEEP; *k; k++) {
        lua_getglobal(L, *k);
        lua_setfield(L, -2, *k);
    }
    static const char *const no_string[] = { "dump", NULL };
    static const char *const no_table[] = { NULL };
    static const char *const no_math[] = { "random", "randomseed", NULL };
    add_library(L, LUA_STRLIBNAME, no_string);
    add_library(L, LUA_TABLIBNAME, no_table);
    add_library(L, LUA_MATHLIBNAME, no_math);

    static const luaL_Reg helpers[] = {
        { "muldiv", l_muldiv }, { "fmt_yuan", l_fmt_yuan }, { "min", l_min },
        { "max", l_max }, { "print", l_print }, { NULL, NULL },
    };
    luaL_setfuncs(L, helpers, 0);

    rules_lua_push_readonly(L, -1, "sandbox");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &SANDBOX_KEY);
    lua_pop(L, 1);

    /* Policies never see _G; empty it so nothing reaches the unrestricted functions by name. */
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
    return 0;
}

void rules_lua_push_policy_env(lua_State *L)
{
    lua_createtable(L, 0, 8);
    lua_createtable(L, 0, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &SANDBOX_KEY);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

void rules_lua_flatten_env(lua_State *L, int env_idx)
{
    env_idx = lua_absindex(L, env_idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &SANDBOX_KEY);
    rules_lua_push_real(L, -1);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        if (lua_rawget(L, env_idx) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, env_idx);
        } else
            lua_pop(L, 2);
    }
    lua_pop(L, 2);
}

void rules_lua_load(lua_State *L, const char *text, size_t len, const char *name, int env_idx)
{
    env_idx = lua_absindex(L, env_idx);
    char chunkname[256];
    snprintf(chunkname, sizeof chunkname, "@%s", name);
    if (luaL_loadbufferx(L, text, len, chunkname, "t") != LUA_OK)
        lua_error(L);
    lua_pushvalue(L, env_idx);
    rules_lua_set_env(L, -2);
}

void rules_lua_set_env(lua_State *L, int fn_idx)
{
    fn_idx = lua_absindex(L, fn_idx);
    /* A main chunk's first upvalue is always _ENV. */
    if (lua_setupvalue(L, fn_idx, 1) == NULL)
        lua_pop(L, 1);
}

void rules_lua_where_defined(lua_State *L, int idx, char *buf, size_t len)
{
    lua_Debug ar;
    lua_pushvalue(L, idx);
    if (lua_isfunction(L, -1) && lua_getinfo(L, ">S", &ar))
        snprintf(buf, len, "%s:%d", ar.short_src, ar.linedefined);
    else {
        lua_pop(L, 1);
        snprintf(buf, len, "?");
    }
}

/* ---- life cycle ---------------------------------------------------------------------------- */

rules_lua_t *rules_lua_new(size_t memory_limit, int step_limit, char *err, size_t errlen)
{
    if (memory_limit == 0 || step_limit <= 0) {
        snprintf(err, errlen, "rules limits must be positive");
        return NULL;
    }
    rules_lua_t *self = calloc(1, sizeof *self);
    if (self == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->limit = memory_limit;
    self->step_limit = step_limit;
    snprintf(self->mem_msg, sizeof self->mem_msg,
             "memory limit of %zu bytes exceeded", memory_limit);
    self->L = lua_newstate(rules_lua_alloc, self);
    if (self->L == NULL) {
        snprintf(err, errlen, "cannot create a Lua state (memory limit %zu bytes)", memory_limit);
        free(self);
        return NULL;
    }
    *(rules_lua_t **) lua_getextraspace(self->L) = self;
    /* Short-lived tables per evaluation: the generational collector suits that pattern. */
    lua_gc(self->L, LUA_GCGEN, 0, 0);
    if (rules_lua_protect(self, build_sandbox, NULL, err, errlen) != 0) {
        rules_lua_destroy(&self);
        return NULL;
    }
    return self;
}

void rules_lua_destroy(rules_lua_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    rules_lua_t *self = *self_p;
    rules_lua_unwatch(self);
    if (self->L)
        lua_close(self->L);
    free(self);
    *self_p = NULL;
}

lua_State *rules_lua_state(rules_lua_t *self)
{
    return self->L;
}
