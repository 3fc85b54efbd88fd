/* rules_lua_int — the sandbox object, shared by rules_lua.c (the state and what policies may
 * call) and rules_lua_limits.c (the memory and step limits). Nothing else includes it. */
#ifndef RULES_LUA_INT_H
#define RULES_LUA_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include "rules_lua.h"

struct rules_lua_t {
    lua_State  *L;
    size_t      used;          /* bytes the allocator has handed out */
    size_t      limit;
    int         step_limit;
    bool        step_tripped;
    char        mem_msg[96];
    /* armed: a run is under way. Read by the hook and, for a watched state, by the watchdog
     * thread and the signal handler, hence atomic (relaxed: the watchdog only samples). */
    atomic_bool armed;
    /* watched (rules_lua_watch): no hook while a run is short; see rules_lua_limits.c */
    bool                  watched;
    pthread_t             owner;        /* the thread that watches and runs it */
    atomic_uint           run;          /* counts armed runs: the watchdog compares samples */
    volatile sig_atomic_t hooked;       /* the signal handler has set the count hook */
    unsigned              seen_run;     /* the watchdog's: run at its last look */
    bool                  signalled;    /* the watchdog's: signalled for seen_run already */
    struct rules_lua_t   *next_watched; /* the watchdog's list, under its lock */
};

static inline rules_lua_t *self_of(lua_State *L)
{
    return *(rules_lua_t **) lua_getextraspace(L);
}

/* The allocator every state is created with: refuses growth past self->limit. */
void *rules_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

#endif
