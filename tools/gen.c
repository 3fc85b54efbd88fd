/* gen — `sais gen`: arguments, the two passes, two writer threads, the manifest.
 *
 * hrss is about two thirds of the bytes, so one thread writes it while the calling thread
 * writes the six other feeds. Each file is written under a .tmp name and renamed only when
 * every file is complete, so a failed run never leaves a file that looks finished.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"
#include "gen_internal.h"
#include "sais_clock.h"

#define S_MIN_PERSONS 1000L
#define S_MAX_PERSONS 100000000L

static const char s_usage[] =
    "usage: sais gen --persons N --seed S --out DIR [--today YYYY-MM-DD]\n"
    "  --persons N   people in the synthetic city, %ld..%ld (the planted households included)\n"
    "  --seed S      unsigned 64-bit integer; the same arguments give byte-identical files\n"
    "  --out DIR     output directory (created if missing): one NDJSON file per feed,\n"
    "                planted.json and manifest.json\n"
    "  --today D     the day the data is as of (default 2026-11-23), 2000-01-01..2099-12-31\n";

static int
s_usage_error(const char *fmt, const char *arg)
{
    fputs("sais gen: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    fprintf(stderr, s_usage, S_MIN_PERSONS, S_MAX_PERSONS);
    return 2;
}

static int
s_parse_u64(const char *s, uint64_t *out)
{
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        unsigned d = (unsigned)(*c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

typedef struct {
    const char *out;
    uint64_t    seed;
    long        persons;
    long        today;
} s_args_t;

/* 0 ok, 1 --help shown, 2 usage error shown */
static int
s_parse_args(int argc, char **argv, s_args_t *a)
{
    bool have_persons = false, have_seed = false;
    a->out = NULL;
    a->today = sais_days_from_civil(2026, 11, 23);
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = NULL;
        char name[16];
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            printf(s_usage, S_MIN_PERSONS, S_MAX_PERSONS);
            return 1;
        }
        const char *eq = strchr(opt, '=');
        size_t nlen = eq ? (size_t)(eq - opt) : strlen(opt);
        if (nlen >= sizeof name)
            return s_usage_error("unknown option %s", opt);
        memcpy(name, opt, nlen);
        name[nlen] = '\0';
        if (strcmp(name, "--persons") && strcmp(name, "--seed") && strcmp(name, "--out") &&
            strcmp(name, "--today"))
            return s_usage_error("unknown option %s", opt);
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return s_usage_error("%s needs a value", name);

        if (strcmp(name, "--persons") == 0) {
            uint64_t n;
            if (s_parse_u64(val, &n) != 0 || n < (uint64_t)S_MIN_PERSONS || n > (uint64_t)S_MAX_PERSONS)
                return s_usage_error("--persons must be a whole number from 1000 to 100000000, not \"%s\"", val);
            a->persons = (long)n;
            have_persons = true;
        } else if (strcmp(name, "--seed") == 0) {
            if (s_parse_u64(val, &a->seed) != 0)
                return s_usage_error("--seed must be an unsigned 64-bit integer, not \"%s\"", val);
            have_seed = true;
        } else if (strcmp(name, "--out") == 0) {
            if (!*val)
                return s_usage_error("--out needs a directory%s", "");
            a->out = val;
        } else {
            long d = sais_date_parse(val, strlen(val));
            if (d < 0 || d < sais_days_from_civil(2000, 1, 1) || d > sais_days_from_civil(2099, 12, 31))
                return s_usage_error("--today must be a real date YYYY-MM-DD from 2000-01-01 to 2099-12-31, not \"%s\"", val);
            a->today = d;
        }
    }
    if (!have_persons)
        return s_usage_error("--persons is required%s", "");
    if (!have_seed)
        return s_usage_error("--seed is required%s", "");
    if (!a->out)
        return s_usage_error("--out is required%s", "");
    return 0;
}

static int
s_tables(gen_t *g)
{
    sais_civil_from_days(g->today, &g->ty, &g->tm, &g->td);
    g->lm = sais_month_of(g->today) - 1;
    g->dmin = sais_days_from_civil(1900, 1, 1);
    g->dmax = g->today + 1;
    g->mmin = 1900L * 12;
    g->mmax = g->lm + 1;
    g->date = malloc((size_t)(g->dmax - g->dmin + 1) * sizeof *g->date);
    g->month = malloc((size_t)(g->mmax - g->mmin + 1) * sizeof *g->month);
    if (!g->date || !g->month)
        return -1;
    for (long d = g->dmin; d <= g->dmax; d++) {
        char s[11];
        sais_date_format(d, s);
        memcpy(g->date[d - g->dmin], s, 10);
    }
    for (long m = g->mmin; m <= g->mmax; m++) {
        char s[8];
        sais_month_format(m, s);
        memcpy(g->month[m - g->mmin], s, 7);
    }
    return 0;
}

static const char *const s_prefix[GEN_SRC_COUNT] = { "HK", "MD", "DP", "SS", "CV", "JS", "AS" };
static const int s_width[GEN_SRC_COUNT] = { 9, 9, 9, 10, 9, 9, 9 };

typedef struct {
    gen_t     *g;
    gen_out_t *out;
    int        rc;
} s_job_t;

static void *
s_hrss_thread(void *arg)
{
    s_job_t *j = arg;
    j->rc = gen_emit_source(j->g, GEN_SRC_HRSS, j->out);
    return NULL;
}

static void
s_path(char *buf, size_t n, const char *dir, const char *name, const char *suffix)
{
    snprintf(buf, n, "%s/%s%s", dir, name, suffix);
}

static int
s_write_manifest(const gen_t *g, const char *dir, gen_out_t *out, uint64_t planted_bytes)
{
    char tmp[4096], path[4096];
    s_path(tmp, sizeof tmp, dir, "manifest.json", ".tmp");
    s_path(path, sizeof path, dir, "manifest.json", "");
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    char today[11];
    sais_date_format(g->today, today);
    fprintf(f, "{\n  \"generator\": \"sais gen\",\n  \"today\": \"%s\",\n  \"seed\": %" PRIu64 ",\n"
               "  \"persons\": %zu,\n  \"households\": %zu,\n  \"planted_households\": %zu,\n"
               "  \"planted_cases\": %zu,\n  \"files\": {\n",
            today, g->seed, g->np, g->nh, gen_phh_count, gen_pcase_count + gen_need_case_count);
    for (int s = 0; s < GEN_SRC_COUNT; s++)
        fprintf(f, "    \"%s.ndjson\": {\"source\": \"%s\", \"records\": %" PRIu64 ", \"bytes\": %" PRIu64 "},\n",
                gen_src_name[s], gen_src_name[s], out[s].records, out[s].bytes);
    fprintf(f, "    \"planted.json\": {\"bytes\": %" PRIu64 "}\n  }\n}\n", planted_bytes);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int
s_run(gen_t *g, const char *dir)
{
    char tmp[GEN_SRC_COUNT][4096], path[4096];
    gen_out_t out[GEN_SRC_COUNT];
    memset(out, 0, sizeof out);
    int rc = 0;
    int opened = 0;
    for (int s = 0; s < GEN_SRC_COUNT; s++, opened++) {
        s_path(tmp[s], sizeof tmp[s], dir, gen_src_name[s], ".ndjson.tmp");
        if (gen_out_open(&out[s], tmp[s], s_prefix[s], s_width[s]) != 0) {
            fprintf(stderr, "sais gen: cannot create %s: %s\n", tmp[s], strerror(errno));
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        s_job_t job = { g, &out[GEN_SRC_HRSS], 0 };
        pthread_t th;
        bool threaded = pthread_create(&th, NULL, s_hrss_thread, &job) == 0;
        for (int s = 0; s < GEN_SRC_COUNT; s++)
            if (s != GEN_SRC_HRSS && gen_emit_source(g, (gen_src_t)s, &out[s]) != 0)
                rc = -1;
        if (threaded)
            pthread_join(th, NULL);
        else
            s_hrss_thread(&job);
        if (job.rc != 0)
            rc = -1;
    }
    for (int s = 0; s < opened; s++) {
        int err = out[s].err;
        if (gen_out_close(&out[s]) != 0) {
            fprintf(stderr, "sais gen: writing %s failed: %s\n", tmp[s], strerror(err ? err : errno));
            rc = -1;
        }
    }
    uint64_t planted_bytes = 0;
    if (rc == 0) {
        char ptmp[4096], ppath[4096];
        s_path(ptmp, sizeof ptmp, dir, "planted.json", ".tmp");
        s_path(ppath, sizeof ppath, dir, "planted.json", "");
        if (gen_planted_write_json(g, ptmp, &planted_bytes) != 0 || rename(ptmp, ppath) != 0) {
            fprintf(stderr, "sais gen: writing %s failed: %s\n", ppath, strerror(errno));
            unlink(ptmp);
            rc = -1;
        }
    }
    for (int s = 0; s < opened; s++) {
        if (rc == 0) {
            s_path(path, sizeof path, dir, gen_src_name[s], ".ndjson");
            if (rename(tmp[s], path) != 0) {
                fprintf(stderr, "sais gen: cannot rename %s: %s\n", tmp[s], strerror(errno));
                rc = -1;
            }
        }
        if (rc != 0)
            unlink(tmp[s]);
    }
    if (rc == 0 && s_write_manifest(g, dir, out, planted_bytes) != 0) {
        fprintf(stderr, "sais gen: writing %s/manifest.json failed: %s\n", dir, strerror(errno));
        rc = -1;
    }
    if (rc == 0) {
        uint64_t bytes = planted_bytes, records = 0;
        for (int s = 0; s < GEN_SRC_COUNT; s++) {
            bytes += out[s].bytes;
            records += out[s].records;
        }
        printf("sais gen: %zu persons in %zu households (%zu planted), %" PRIu64 " records, %" PRIu64
               " bytes in %s\n", g->np, g->nh, gen_phh_count, records, bytes, dir);
    }
    return rc;
}

int
sais_gen_main(int argc, char **argv)
{
    s_args_t a = { NULL, 0, 0, 0 };
    int prc = s_parse_args(argc, argv, &a);
    if (prc == 1)
        return 0;
    if (prc != 0)
        return 2;
    if (mkdir(a.out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "sais gen: cannot create %s: %s\n", a.out, strerror(errno));
        return 1;
    }
    struct stat st;
    if (stat(a.out, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "sais gen: %s is not a directory\n", a.out);
        return 1;
    }
    if ((size_t)a.persons < gen_planted_person_count()) {
        fprintf(stderr, "sais gen: --persons must be at least %zu\n", gen_planted_person_count());
        return 2;
    }

    gen_t g;
    memset(&g, 0, sizeof g);
    g.seed = a.seed;
    g.persons = a.persons;
    g.today = a.today;
    int rc = 1;
    if (s_tables(&g) != 0 || gen_plan_build(&g) != 0)
        fprintf(stderr, "sais gen: out of memory for %ld persons\n", a.persons);
    else if (s_run(&g, a.out) == 0)
        rc = 0;
    gen_plan_free(&g);
    free(g.date);
    free(g.month);
    return rc;
}
