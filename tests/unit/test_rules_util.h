/* Shared by the rules unit tests: household pictures built in C, catalogue directories made
 * from deploy/policies or tests/policies, and lookups into result arrays. */
#ifndef TEST_RULES_UTIL_H
#define TEST_RULES_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules_policy.h"

/* ---- pictures ---------------------------------------------------------------------------- */

#define TP_MAX 8

typedef struct {
    const char *id;
    const char *name;
    int         age;
    int         grade;    /* active disability grade, 0 = none */
    int64_t     income;   /* fen per month */
    bool        counted;
    int64_t     oop;      /* fen, 12 months */
} tm_t;

typedef struct {
    Ver__Picture pic;
    Ver__Member  m[TP_MAX];
    Ver__Member *mp[TP_MAX];
} tp_t;

/* A picture computed the way verify computes it: counted members' income, per-capita floor. */
static inline void tp_build(tp_t *t, const char *region, const tm_t *ms, size_t n)
{
    assert_true(n <= TP_MAX);
    memset(t, 0, sizeof *t);
    ver__picture__init(&t->pic);
    t->pic.household_id = (char *) "hh-test";
    t->pic.region = (char *) region;
    t->pic.as_of = (char *) "2026-11-23";
    for (size_t i = 0; i < n; i++) {
        Ver__Member *m = &t->m[i];
        ver__member__init(m);
        m->id_number = (char *) ms[i].id;
        m->name = (char *) (ms[i].name ? ms[i].name : "");
        m->status = (char *) (ms[i].counted ? "active" : "incarcerated");
        m->age = ms[i].age;
        m->disability_grade = ms[i].grade;
        m->income_monthly_avg = ms[i].income;
        m->income_12m = ms[i].income * 12;
        m->oop_12m = ms[i].oop;
        m->counted = ms[i].counted;
        m->able_to_work = ms[i].age >= 16 && ms[i].age < 60 && !(ms[i].grade >= 1 && ms[i].grade <= 2);
        t->mp[i] = m;
        if (ms[i].counted) {
            t->pic.counted++;
            t->pic.income_monthly += ms[i].income;
            t->pic.income_12m += ms[i].income * 12;
            t->pic.oop_12m += ms[i].oop;
        }
    }
    t->pic.n_members = n;
    t->pic.members = n ? t->mp : NULL;
    t->pic.per_capita_income = t->pic.counted ? t->pic.income_monthly / t->pic.counted : 0;
}

/* ---- catalogues -------------------------------------------------------------------------- */

/* Cheng's household (the seed story, as `sais gen` plants it): Pingyang, two counted members,
 * per-capita income 900.00, 40,200.00 out-of-pocket after a brain-cancer settlement ->
 * temp_medical 32,160.00 at once, and dibao (1200.00 - 900.00) x 2. */
static inline void tp_cheng(tp_t *t)
{
    static const tm_t fam[] = {
        { "330326196803150011", "Cheng Jianhua", 58, 0, 180000, true, 4020000 },
        { "330327197106200022", "Lin Xiuying", 55, 0, 0, true, 0 },
    };
    tp_build(t, "330326", fam, 2);
}

static inline const char *source_dir(void)
{
    const char *s = getenv("SAIS_SOURCE_DIR");
    return s && *s ? s : "../..";
}

static inline void path_of(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", source_dir(), rel);
}

static inline void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (in == NULL)
        fail_msg("cannot open %s", from);
    FILE *out = fopen(to, "wb");
    assert_non_null(out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static inline void write_file(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static const char *const DEMO_FILES[] = {
    "params.lua", "tekun.lua", "dibao.lua", "marginal.lua", "temp_medical.lua",
    "disability_care.lua", "disability_living.lua", NULL,
};

/* A fresh temporary directory (caller removes it with rm_dir). */
static inline void tmp_dir(char out[64])
{
    snprintf(out, 64, "/tmp/sais-rules-XXXXXX");
    assert_non_null(mkdtemp(out));
}

/* Copies deploy/policies into a new temporary directory. */
static inline void demo_copy(char out[64])
{
    tmp_dir(out);
    for (const char *const *f = DEMO_FILES; *f; f++) {
        char from[4096], to[4096], rel[256];
        snprintf(rel, sizeof rel, "deploy/policies/%s", *f);
        path_of(from, sizeof from, rel);
        snprintf(to, sizeof to, "%s/%s", out, *f);
        copy_file(from, to);
    }
}

/* Copies tests/policies/<name> into dir as <as>. */
static inline void put_test_policy(const char *dir, const char *name, const char *as)
{
    char from[4096], to[4096], rel[256];
    snprintf(rel, sizeof rel, "tests/policies/%s", name);
    path_of(from, sizeof from, rel);
    snprintf(to, sizeof to, "%s/%s", dir, as);
    copy_file(from, to);
}

static inline void rm_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static inline rules_catalog_t *load_demo(void)
{
    char dir[4096], err[512] = "";
    path_of(dir, sizeof dir, "deploy/policies");
    rules_catalog_t *cat = rules_catalog_load(dir, NULL, err, sizeof err);
    if (cat == NULL)
        fail_msg("deploy/policies does not load: %s", err);
    return cat;
}

/* The demo catalogue as a test file's fixture: `cat`, loaded once for the group by
 * demo_setup and destroyed by demo_teardown. */
#define RULES_DEMO_FIXTURE                                   \
    static rules_catalog_t *cat;                             \
    static int demo_setup(void **state)                      \
    {                                                        \
        (void) state;                                        \
        cat = load_demo();                                   \
        return 0;                                            \
    }                                                        \
    static int demo_teardown(void **state)                   \
    {                                                        \
        (void) state;                                        \
        rules_catalog_destroy(&cat);                         \
        return 0;                                            \
    }

/* ---- results ----------------------------------------------------------------------------- */

static inline const rules_result_t *result_of(const rules_result_t *r, size_t n, const char *policy)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].policy, policy) == 0)
            return &r[i];
    fail_msg("no result for %s", policy);
    return NULL;
}

static inline const rules_clause_t *clause_of(const rules_result_t *r, const char *clause)
{
    for (size_t j = 0; j < r->nclauses; j++)
        if (strcmp(r->clauses[j].clause, clause) == 0)
            return &r->clauses[j];
    fail_msg("%s has no clause '%s'", r->policy, clause);
    return NULL;
}

static inline void assert_contains(const char *haystack, const char *needle)
{
    if (haystack == NULL || strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

#endif
