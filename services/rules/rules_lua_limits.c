/* rules_lua_limits — the memory and step limits of the policy sandbox (rules_lua.h).
 *
 * The step limit is a Lua count hook. A count hook costs every instruction a call into Lua's
 * hook dispatch (Lua 5.4 traps each instruction while any count hook is set), about a tenth of
 * a city-wide simulate, whose policies run a few hundred instructions per household and never
 * come near the limit. A state that a worker thread "watches" (rules_lua_watch) therefore runs
 * unhooked: a watchdog thread looks at every watched state each WATCH_TICK_MS, and when the
 * same armed run is under way at two looks in a row (it has run for at least a tick) it
 * signals the worker; the handler, on the worker's own thread, sets the count hook, as lua.c
 * does for SIGINT (lua_sethook may be called from a signal handler). The run then has
 * step_limit instructions left, so a loop is still stopped: within two ticks and step_limit
 * instructions. Everything else (the service's own thread, loading a catalogue) hooks every
 * armed run, as before.
 */
#include "rules_lua_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sais_log.h"

#define WATCH_TICK_MS 10

/* ---- memory ------------------------------------------------------------------------------ */

/* Lua frees with nsize == 0 and never expects a shrink to fail; only growth is refused, and
 * Lua answers a refusal with an emergency collection and a retry before it raises. */
void *rules_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    rules_lua_t *self = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        self->used -= old;
        return NULL;
    }
    if (nsize > old && self->used + (nsize - old) > self->limit)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p == NULL)
        return NULL;
    self->used = self->used - old + nsize;
    return p;
}

size_t rules_lua_memory_used(const rules_lua_t *self)
{
    return self->used;
}

/* ---- steps ------------------------------------------------------------------------------- */

static void step_hook(lua_State *L, lua_Debug *ar)
{
    rules_lua_t *self = self_of(L);
    if (!atomic_load_explicit(&self->armed, memory_order_relaxed))
        return;
    self->step_tripped = true;
    /* From now on every instruction raises, so a pcall inside the policy cannot go on. */
    lua_sethook(L, step_hook, LUA_MASKCOUNT, 1);
    lua_getinfo(L, "Sl", ar);
    lua_pushfstring(L, "%s:%d: step limit of %d instructions exceeded",
                    ar->short_src, ar->currentline, self->step_limit);
    lua_error(L);
}

/* The state armed on this thread, for the signal handler. */
static _Thread_local rules_lua_t *volatile tl_armed;

void rules_lua_arm(rules_lua_t *self)
{
    self->step_tripped = false;
    if (self->watched) {
        self->hooked = 0;
        tl_armed = self;
        /* only this thread writes it; the watchdog compares two of its samples */
        atomic_store_explicit(&self->run, atomic_load_explicit(&self->run, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst);
        atomic_store_explicit(&self->armed, true, memory_order_relaxed);
        return;
    }
    atomic_store_explicit(&self->armed, true, memory_order_relaxed);
    lua_sethook(self->L, step_hook, LUA_MASKCOUNT, self->step_limit);
}

void rules_lua_disarm(rules_lua_t *self)
{
    /* first: a signal from here on finds nothing armed and leaves the hook alone */
    atomic_store_explicit(&self->armed, false, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (!self->watched || self->hooked)
        lua_sethook(self->L, NULL, 0, 0);
    self->hooked = 0;
}

const char *rules_lua_tripped(const rules_lua_t *self)
{
    return self->step_tripped ? "step limit exceeded" : NULL;
}

int rules_lua_step_limit(const rules_lua_t *self)
{
    return self->step_limit;
}

/* ---- the watchdog ------------------------------------------------------------------------ */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  wd_cond = PTHREAD_COND_INITIALIZER;
static rules_lua_t    *wd_list;     /* watched states, under wd_lock */
static bool            wd_running;  /* the thread has been started */
static int             wd_signo;

static void on_signal(int signo)
{
    (void)signo;
    int saved = errno;
    rules_lua_t *self = tl_armed;
    if (self && atomic_load_explicit(&self->armed, memory_order_relaxed) && !self->hooked) {
        self->hooked = 1;
        lua_sethook(self->L, step_hook, LUA_MASKCOUNT, self->step_limit);
    }
    errno = saved;
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        if (pthread_mutex_lock(&wd_lock) != 0)
            return NULL;
        while (wd_list == NULL)
            pthread_cond_wait(&wd_cond, &wd_lock);
        pthread_mutex_unlock(&wd_lock);
        struct timespec tick = {0, WATCH_TICK_MS * 1000000L};
        while (nanosleep(&tick, &tick) != 0 && errno == EINTR)
            ;
        if (pthread_mutex_lock(&wd_lock) != 0)
            return NULL;
        for (rules_lua_t *s = wd_list; s; s = s->next_watched) {
            unsigned run = atomic_load_explicit(&s->run, memory_order_relaxed);
            bool armed = atomic_load_explicit(&s->armed, memory_order_relaxed);
            if (armed && run == s->seen_run) {
                /* the same run at two looks: it has gone on for a tick at least */
                if (!s->signalled && pthread_kill(s->owner, wd_signo) == 0)
                    s->signalled = true;
            } else {
                s->seen_run = run;
                s->signalled = false;
            }
        }
        pthread_mutex_unlock(&wd_lock);
    }
    return NULL;
}

/* Under wd_lock: the handler installed and the thread started, once. */
static int start_locked(void)
{
    if (wd_running)
        return 0;
    wd_signo = SIGRTMIN + 4;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(wd_signo, &sa, NULL) != 0) {
        sais_error("rules: cannot install the step-limit watchdog's signal handler: %s", strerror(errno));
        return -1;
    }
    pthread_t t;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, watchdog, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        sais_error("rules: cannot start the step-limit watchdog: %s", strerror(rc));
        return -1;
    }
    wd_running = true;
    return 0;
}

int rules_lua_watch(rules_lua_t *self)
{
    if (self->watched)
        return 0;
    if (pthread_mutex_lock(&wd_lock) != 0)
        return -1;
    int rc = start_locked();
    if (rc == 0) {
        self->owner = pthread_self();
        self->seen_run = atomic_load_explicit(&self->run, memory_order_relaxed);
        self->signalled = false;
        self->hooked = 0;
        self->next_watched = wd_list;
        wd_list = self;
        self->watched = true;
        pthread_cond_signal(&wd_cond);
    }
    pthread_mutex_unlock(&wd_lock);
    return rc;
}

void rules_lua_unwatch(rules_lua_t *self)
{
    if (!self->watched)
        return;
    if (pthread_mutex_lock(&wd_lock) == 0) {
        for (rules_lua_t **at = &wd_list; *at; at = &(*at)->next_watched)
            if (*at == self) {
                *at = self->next_watched;
                break;
            }
        pthread_mutex_unlock(&wd_lock);
    }
    /* a signal sent before the removal may still arrive: it finds nothing armed */
    tl_armed = NULL;
    self->next_watched = NULL;
    self->watched = false;
}
