/* rules_lua — the sandbox assistance policies run in.
 *
 * One lua_State per policy catalogue, created by rules_lua_new() and owned by the returned
 * object. What a policy can reach:
 *   - base functions without load, loadfile, dofile, collectgarbage and rawset (rawset would
 *     write through the read-only views below); print writes to the service log;
 *   - string (without dump), table, math (without random, randomseed), as read-only tables;
 *   - muldiv(a, num, den), fmt_yuan(fen), min(...), max(...).
 * No io, os, package, debug, require, no binary chunks.
 *
 * Two limits stop a runaway policy without stopping the service:
 *   - a memory cap enforced by the allocator (the whole state, catalogue included);
 *   - a step cap: a count hook raises an error after `step_limit` VM instructions since the
 *     last rules_lua_arm(). Once tripped, every further instruction raises again, so a policy
 *     cannot pcall its way past the limit; rules_lua_tripped() reports it afterwards anyway.
 *     On a thread that watches its state (rules_lua_watch) the hook is set only once a run has
 *     gone on for a watchdog tick; the run then has step_limit instructions left
 *     (rules_lua_limits.c says why).
 *
 * Not thread-safe: one thread at a time per rules_lua_t.
 */
#ifndef RULES_LUA_H
#define RULES_LUA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>

typedef struct rules_lua_t rules_lua_t;

/* A fresh sandboxed state. memory_limit in bytes, step_limit in VM instructions per armed run
 * (both > 0). NULL with a reason in err on failure. */
rules_lua_t *rules_lua_new(size_t memory_limit, int step_limit, char *err, size_t errlen);

/* Closes the state; idempotent, NULLs the pointer. */
void rules_lua_destroy(rules_lua_t **self_p);

/* The state (owned by self). */
lua_State *rules_lua_state(rules_lua_t *self);

/* Runs f(L) in protected mode with `ud` as its one argument (a light userdata): every Lua API
 * call that may allocate must run under this or under rules_lua_pcall. 0, or -1 with the
 * error text in err. */
int rules_lua_protect(rules_lua_t *self, lua_CFunction f, void *ud, char *err, size_t errlen);

/* lua_pcall with a message handler that makes sure the message starts with the "file:line: "
 * of the innermost Lua function that was running, and that turns a memory error into a
 * sentence naming the limit. Leaves the message string on the stack on error. */
int rules_lua_pcall(lua_State *L, int nargs, int nresults);

/* Starts a budget of step_limit instructions (and clears the trip flag) / stops counting. */
void rules_lua_arm(rules_lua_t *self);
void rules_lua_disarm(rules_lua_t *self);

/* After an armed run: NULL, or a sentence if the step limit was hit during it, whether or not
 * the policy caught the error. (A memory error a policy catches itself is its own business:
 * Lua may also recover from a refused allocation by collecting and retrying.) Static string. */
const char *rules_lua_tripped(const rules_lua_t *self);

/* For a thread that only evaluates (simulate's workers), and runs nothing that waits in poll()
 * or the like: from now on, runs armed on this thread are not hooked per instruction. A
 * watchdog thread signals this thread when one armed run has gone on for 10-20 ms, and the
 * signal handler sets the count hook. 0, or -1 (logged) when the watchdog cannot start: the
 * state then stays hooked per run. Call rules_lua_unwatch on the same thread before it ends
 * or the state is destroyed. */
int    rules_lua_watch(rules_lua_t *self);
void   rules_lua_unwatch(rules_lua_t *self);

int    rules_lua_step_limit(const rules_lua_t *self);
size_t rules_lua_memory_used(const rules_lua_t *self);

/* A metatable field of a real table whose fields are set only when read: pairs() on its view
 * calls it with the real table first, so that every field is there to walk. */
#define RULES_LUA_MATERIALIZE "__materialize"

/* Pushes a read-only view of the table at `idx`: reads go through, writes raise
 * "attempt to modify read-only <what>", # and pairs/ipairs see the real contents, and the
 * metatable is protected. `what` is copied. */
void rules_lua_push_readonly(lua_State *L, int idx, const char *what);

/* The real table behind a view made by rules_lua_push_readonly (pushes it), or pushes nil.
 * A view may replace its metatable's __index with a function if it stores the table as
 * __real there. */
void rules_lua_push_real(lua_State *L, int idx);
/* The __pairs of a read-only view: walks the real table (a view's own __pairs may call it). */
int rules_lua_ro_pairs(lua_State *L);

/* Pushes a new environment table for a policy chunk: empty, reading through to the sandbox. */
void rules_lua_push_policy_env(lua_State *L);

/* Copies the sandbox's entries that the environment at env_idx lacks into it, so that a
 * policy's global lookups are one table deep once its file has run. */
void rules_lua_flatten_env(lua_State *L, int env_idx);

/* Loads `text` (text chunks only) named `name` (shown in messages as "name:line:") and sets
 * its _ENV to the table at env_idx. Pushes the function; raises a syntax error otherwise. */
void rules_lua_load(lua_State *L, const char *text, size_t len, const char *name, int env_idx);

/* Replaces the _ENV of a loaded chunk function at fn_idx (and so of every closure it created)
 * with the value on top of the stack (popped). */
void rules_lua_set_env(lua_State *L, int fn_idx);

/* "file:line" of the Lua function at idx (where it was defined) into buf. */
void rules_lua_where_defined(lua_State *L, int idx, char *buf, size_t len);

#endif
