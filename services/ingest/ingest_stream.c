/* ingest_stream — see ingest_stream.h. Framing and the two formats; what a record must
 * satisfy is ingest_record's business.
 *
 * CSV is parsed by the small state machine below rather than libcsv: the report needs the
 * physical line where each record starts and memory must stay bounded on a record that
 * never ends, and both need the quote state that libcsv keeps to itself (it also grows its
 * field buffer without limit).
 */
#include "ingest_stream.h"
#include "ingest_charset.h"
#include "ingest_json.h"
#include "ingest_text.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CSV_MAX_FIELDS 1024

typedef enum { C_FIELD_START, C_UNQUOTED, C_QUOTED, C_QUOTE_IN_QUOTED } csv_state_t;

struct ingest_stream {
    ingest_format_t fmt;
    ingest_sink_t sink;
    void *ctx;
    ingest_record_t *rec;
    ingest_field_t fields[INGEST_FIELD_COUNT];   /* the source's fields */
    size_t nfields;
    ingest_value_t vals[INGEST_FIELD_COUNT];

    int stopped;                    /* sticky result once non-zero */
    bool finished;
    uint32_t line;                  /* physical line of the next byte, from 1 */
    uint32_t lines_done;
    uint32_t records;
    unsigned bom_matched;           /* BOM bytes matched at the start of the body */
    bool bom_done;

    /* the current line (NDJSON) or record (CSV), at most INGEST_MAX_LINE bytes */
    char *buf;
    size_t len;
    bool overflow;
    char *repair;                   /* NDJSON with invalid UTF-8: the line with U+FFFD */
    ingest_json_t *fast;            /* NDJSON fast path; NULL: jansson for every line */
    ingest_charset_t *conv;         /* a CSV body in GB18030: converted before framing */
    const char *charset;            /* what the report calls the body's charset */

    /* CSV */
    csv_state_t cs;
    bool skip_lf;                   /* a CR ended the record; swallow the LF of a CRLF */
    bool started;                   /* the current record has begun */
    uint32_t rec_line;
    uint32_t nf;                    /* fields ended so far in this record */
    uint32_t nf_stored;             /* fields fully kept before an overflow */
    uint32_t foff[CSV_MAX_FIELDS + 1];
    bool fquoted[CSV_MAX_FIELDS];
    const char *csv_bad;            /* static reason the record's quoting is broken */
    bool have_header;
    char *hdr;                      /* header names, NUL-separated, lowercased */
    const char *hdr_names[CSV_MAX_FIELDS];
    int colmap[CSV_MAX_FIELDS];     /* column -> ingest_field_t, or -1 */
    uint32_t ncols;
    char hdr_bad[160];              /* non-empty: the header cannot be used, and why */
};

static const unsigned char BOM[3] = {0xEF, 0xBB, 0xBF};

int ingest_format_from_content_type(const char *ct, ingest_format_t *out)
{
    if (!ct)
        return -1;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; \t");
    static const struct {
        const char *type;
        ingest_format_t fmt;
    } types[] = {
        {"application/x-ndjson", INGEST_NDJSON},
        {"application/ndjson", INGEST_NDJSON},
        {"application/jsonl", INGEST_NDJSON},
        {"application/x-jsonlines", INGEST_NDJSON},
        {"text/csv", INGEST_CSV},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].type) == n && strncasecmp(ct, types[i].type, n) == 0) {
            if (out)
                *out = types[i].fmt;
            return 0;
        }
    return -1;
}

ingest_stream_t *ingest_stream_new(const char *source, ingest_format_t fmt, long today_days,
                                   const ingest_sink_t *sink, void *ctx)
{
    ingest_source_t src;
    if (ingest_source_from_name(source, &src) != 0 || (fmt != INGEST_NDJSON && fmt != INGEST_CSV))
        return NULL;
    ingest_stream_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->fmt = fmt;
    if (sink)
        self->sink = *sink;
    self->ctx = ctx;
    self->line = 1;
    self->charset = ingest_charset_label("utf-8");
    self->rec = ingest_record_new(src, today_days);
    self->buf = malloc(INGEST_MAX_LINE);
    if (!self->rec || !self->buf) {
        ingest_stream_destroy(&self);
        return NULL;
    }
    self->nfields = ingest_source_fields(src, self->fields, INGEST_FIELD_COUNT);
    if (fmt == INGEST_NDJSON && !(self->fast = ingest_json_new(self->fields, self->nfields))) {
        ingest_stream_destroy(&self);
        return NULL;
    }
    return self;
}

void ingest_stream_destroy(ingest_stream_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_stream_t *self = *self_p;
    ingest_record_destroy(&self->rec);
    free(self->buf);
    free(self->repair);
    free(self->hdr);
    ingest_json_destroy(&self->fast);
    ingest_charset_destroy(&self->conv);
    free(self);
    *self_p = NULL;
}

void ingest_stream_set_fast_json(ingest_stream_t *self, bool on)
{
    if (!on)
        ingest_json_destroy(&self->fast);
    else if (!self->fast && self->fmt == INGEST_NDJSON)
        self->fast = ingest_json_new(self->fields, self->nfields);
}

uint32_t ingest_stream_records(const ingest_stream_t *self)
{
    return self->records;
}

uint32_t ingest_stream_lines(const ingest_stream_t *self)
{
    return self->lines_done;
}

/* ---- handing records to the sink */

static int emit_reject(ingest_stream_t *self, uint32_t line)
{
    size_t n;
    const ingest_error_t *errs = ingest_record_errors(self->rec, &n);
    if (!self->sink.reject)
        return 0;
    return self->sink.reject(self->ctx, line, ingest_record_id(self->rec), errs, n);
}

static int emit_checked(ingest_stream_t *self, uint32_t line)
{
    if (ingest_record_check(self->rec, self->vals, line) > 0)
        return emit_reject(self, line);
    if (!self->sink.record)
        return 0;
    return self->sink.record(self->ctx, line, ingest_record_fact(self->rec));
}

static void newline(ingest_stream_t *self)
{
    /* 4e9 lines is a 4 GiB body of newlines: saturate rather than wrap */
    if (self->line < UINT32_MAX)
        self->line++;
    if (self->lines_done < UINT32_MAX)
        self->lines_done++;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* ---- NDJSON */

/* The record_id of a line we could not parse (too long, bad JSON), when it can be seen
 * plainly: "record_id" : "<text without escapes>". Best effort, for the partner's sake. */
static void hint_record_id(ingest_stream_t *self, const char *s, size_t n)
{
    static const char key[] = "\"record_id\"";
    const char *p = memmem(s, n, key, sizeof key - 1);
    if (!p)
        return;
    const char *end = s + n;
    p += sizeof key - 1;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p++ != ':')
        return;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p++ != '"')
        return;
    const char *q = p;
    while (q < end && *q != '"' && *q != '\\' && q - p <= INGEST_MAX_RECORD_ID)
        q++;
    if (q < end && *q == '"')
        ingest_record_set_id(self->rec, p, (size_t)(q - p));
}

static int reject_whole(ingest_stream_t *self, uint32_t line, const char *code, const char *msg)
{
    ingest_record_add_error(self->rec, NULL, code, "%s", msg);
    return emit_reject(self, line);
}

/* Fills self->vals from a parsed object: the source's fields only, unknown keys ignored. */
static void fill_from_json(ingest_stream_t *self, json_t *obj)
{
    for (size_t k = 0; k < self->nfields; k++) {
        ingest_field_t f = self->fields[k];
        ingest_value_t *v = &self->vals[f];
        json_t *j = json_object_get(obj, ingest_field_name(f));
        *v = (ingest_value_t){0};
        if (!j)
            continue;
        switch (json_typeof(j)) {
        case JSON_STRING:
            *v = (ingest_value_t){INGEST_V_TEXT, json_string_value(j), json_string_length(j), NULL};
            break;
        case JSON_INTEGER:
        case JSON_REAL:
            /* text derived by ingest_record only if needed: money is read from the value */
            *v = (ingest_value_t){INGEST_V_NUMBER, NULL, 0, j};
            break;
        case JSON_NULL:
            v->kind = INGEST_V_NULL;
            break;
        default:
            v->kind = INGEST_V_OTHER;
            break;
        }
    }
}

static json_t *parse_object(const char *s, size_t n, char *why, size_t whylen)
{
    json_error_t err;
    json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!j) {
        snprintf(why, whylen, "not valid JSON: %s (column %d)", err.text, err.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        static const char *const names[] = {"an object", "an array", "a string", "a number",
                                            "a number", "true", "false", "null"};
        snprintf(why, whylen, "a line must hold one JSON object, not %s",
                 names[json_typeof(j) <= JSON_NULL ? json_typeof(j) : 0]);
        json_decref(j);
        return NULL;
    }
    return j;
}

#define GB_LINE_HINT                                                                     \
    "the line is not valid UTF-8; it reads as GB18030 (GBK): NDJSON is UTF-8, so convert the " \
    "file (iconv -f GB18030 -t UTF-8)"
#define GB_FIELD_HINT "; the line reads as GB18030 (GBK): NDJSON is UTF-8, so convert the file"

/* A line with bytes that are not UTF-8: parse a copy with each bad byte replaced by U+FFFD
 * to learn which fields are damaged and the record_id, then reject it. */
static int ndjson_bad_encoding(ingest_stream_t *self, uint32_t line, const char *s, size_t n)
{
    if (!self->repair && !(self->repair = malloc(3 * (size_t)INGEST_MAX_LINE)))
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t bad;
        if (ingest_utf8_valid(s + i, n - i, &bad)) {
            memcpy(self->repair + o, s + i, n - i);
            o += n - i;
            break;
        }
        memcpy(self->repair + o, s + i, bad);
        o += bad;
        memcpy(self->repair + o, "\xEF\xBF\xBD", 3);
        o += 3;
        i += bad + 1;
    }
    /* NDJSON is UTF-8 (RFC 8259); a GBK export is named as such, so it is re-encoded */
    bool gb = ingest_charset_looks_gb18030(s, n);
    char why[200];
    json_t *obj = parse_object(self->repair, o, why, sizeof why);
    if (!obj) {
        hint_record_id(self, self->repair, o);
        return reject_whole(self, line, INGEST_E_BAD_ENCODING, gb ? GB_LINE_HINT : "the line is not valid UTF-8");
    }
    json_t *id = json_object_get(obj, "record_id");
    if (json_is_string(id) && !strstr(json_string_value(id), "\xEF\xBF\xBD"))
        ingest_record_set_id(self->rec, json_string_value(id), json_string_length(id));
    size_t found = 0;
    for (size_t k = 0; k < self->nfields; k++) {
        const char *name = ingest_field_name(self->fields[k]);
        json_t *v = json_object_get(obj, name);
        if (json_is_string(v) && strstr(json_string_value(v), "\xEF\xBF\xBD")) {
            ingest_record_add_error(self->rec, name, INGEST_E_BAD_ENCODING, "%s is not valid UTF-8%s",
                                    name, gb ? GB_FIELD_HINT : "");
            found++;
        }
    }
    if (!found)
        ingest_record_add_error(self->rec, NULL, INGEST_E_BAD_ENCODING, "%s",
                                gb ? GB_LINE_HINT : "the line is not valid UTF-8");
    json_decref(obj);
    return emit_reject(self, line);
}

static int ndjson_line(ingest_stream_t *self, const char *s, size_t n, bool overflow)
{
    uint32_t line = self->line;
    if (!overflow && n > 0 && s[n - 1] == '\r')
        n--;
    if (!overflow && n <= INGEST_MAX_LINE && blank(s, n))
        return 0;
    self->records++;
    ingest_record_reset(self->rec);
    if (overflow || n > INGEST_MAX_LINE) {
        hint_record_id(self, s, n < INGEST_MAX_LINE ? n : INGEST_MAX_LINE);
        char msg[96];
        snprintf(msg, sizeof msg, "the line is longer than %d bytes", INGEST_MAX_LINE);
        return reject_whole(self, line, INGEST_E_TOO_LONG, msg);
    }
    if (!ingest_utf8_valid(s, n, NULL))
        return ndjson_bad_encoding(self, line, s, n);
    if (self->fast && ingest_json_read(self->fast, s, n, self->vals))
        return emit_checked(self, line);
    char why[200];
    json_t *obj = parse_object(s, n, why, sizeof why);
    if (!obj) {
        hint_record_id(self, s, n);
        return reject_whole(self, line, INGEST_E_BAD_JSON, why);
    }
    fill_from_json(self, obj);
    int rc = emit_checked(self, line);
    json_decref(obj);
    return rc;
}

static int ndjson_feed(ingest_stream_t *self, const char *p, size_t len)
{
    while (len) {
        const char *nl = memchr(p, '\n', len);
        size_t seg = nl ? (size_t)(nl - p) : len;
        int rc = 0;
        if (nl && self->len == 0 && !self->overflow) {
            /* the whole line is in this chunk: parse it where it lies */
            rc = ndjson_line(self, p, seg, false);
        } else {
            size_t room = INGEST_MAX_LINE - self->len;
            size_t take = seg < room ? seg : room;
            memcpy(self->buf + self->len, p, take);
            self->len += take;
            if (seg > take)
                self->overflow = true;
            if (nl) {
                rc = ndjson_line(self, self->buf, self->len, self->overflow);
                self->len = 0;
                self->overflow = false;
            }
        }
        if (nl) {
            newline(self);
            seg++;
        }
        p += seg;
        len -= seg;
        if (rc)
            return rc;
    }
    return 0;
}

static int ndjson_finish(ingest_stream_t *self)
{
    if (self->len == 0 && !self->overflow)
        return 0;
    int rc = ndjson_line(self, self->buf, self->len, self->overflow);
    self->len = 0;
    self->overflow = false;
    return rc;
}

/* ---- CSV */

static void csv_reset_record(ingest_stream_t *self)
{
    self->len = 0;
    self->overflow = false;
    self->started = false;
    self->nf = 0;
    self->nf_stored = 0;
    self->foff[0] = 0;
    self->fquoted[0] = false;
    self->csv_bad = NULL;
    self->cs = C_FIELD_START;
}

static void csv_end_field(ingest_stream_t *self)
{
    if (self->nf < CSV_MAX_FIELDS) {
        self->foff[self->nf + 1] = (uint32_t)self->len;
        if (!self->overflow)
            self->nf_stored = self->nf + 1;
    }
    self->nf++;
    if (self->nf < CSV_MAX_FIELDS)
        self->fquoted[self->nf] = false;
}

static void csv_take_header(ingest_stream_t *self)
{
    self->have_header = true;
    if (self->overflow) {
        snprintf(self->hdr_bad, sizeof self->hdr_bad, "the header row is longer than %d bytes",
                 INGEST_MAX_LINE);
        return;
    }
    if (self->csv_bad) {
        snprintf(self->hdr_bad, sizeof self->hdr_bad, "the header row is not valid CSV: %s",
                 self->csv_bad);
        return;
    }
    if (self->nf > CSV_MAX_FIELDS) {
        snprintf(self->hdr_bad, sizeof self->hdr_bad, "the header row has more than %d columns",
                 CSV_MAX_FIELDS);
        return;
    }
    self->hdr = malloc(self->len + self->nf);
    if (!self->hdr) {
        snprintf(self->hdr_bad, sizeof self->hdr_bad, "out of memory reading the header row");
        return;
    }
    self->ncols = self->nf;
    char *o = self->hdr;
    for (uint32_t i = 0; i < self->nf; i++) {
        const char *s = self->buf + self->foff[i];
        size_t n = self->foff[i + 1] - self->foff[i];
        ingest_trim(&s, &n);
        self->hdr_names[i] = o;
        for (size_t k = 0; k < n; k++)
            *o++ = (s[k] >= 'A' && s[k] <= 'Z') ? (char)(s[k] + 32) : s[k];
        *o++ = '\0';
        int f = ingest_field_from_name(self->hdr_names[i], n);
        self->colmap[i] = f;
        for (uint32_t j = 0; f >= 0 && j < i; j++)
            if (self->colmap[j] == f) {
                snprintf(self->hdr_bad, sizeof self->hdr_bad,
                         "the header names column \"%s\" twice", ingest_field_name(f));
                return;
            }
    }
}

static int csv_record(ingest_stream_t *self)
{
    uint32_t line = self->rec_line;
    if (!self->started)
        return 0;
    /* a line of nothing but spaces is a blank line, not a record of one empty field */
    if (self->nf == 1 && !self->fquoted[0] && !self->overflow && !self->csv_bad &&
        blank(self->buf, self->len)) {
        csv_reset_record(self);
        return 0;
    }
    if (!self->have_header) {
        csv_take_header(self);
        csv_reset_record(self);
        return 0;
    }
    self->records++;
    ingest_record_reset(self->rec);
    int idcol = -1;
    for (uint32_t i = 0; i < self->ncols && !self->hdr_bad[0]; i++)
        if (self->colmap[i] == INGEST_F_RECORD_ID)
            idcol = (int)i;
    if (idcol >= 0 && (uint32_t)idcol < self->nf_stored)
        ingest_record_set_id(self->rec, self->buf + self->foff[idcol],
                             self->foff[idcol + 1] - self->foff[idcol]);

    int rc;
    char msg[200];
    if (self->hdr_bad[0]) {
        snprintf(msg, sizeof msg, "%s", self->hdr_bad);
        rc = reject_whole(self, line, INGEST_E_BAD_CSV, msg);
    } else if (self->overflow) {
        snprintf(msg, sizeof msg, "the record is longer than %d bytes", INGEST_MAX_LINE);
        rc = reject_whole(self, line, INGEST_E_TOO_LONG, msg);
    } else if (self->csv_bad) {
        rc = reject_whole(self, line, INGEST_E_BAD_CSV, self->csv_bad);
    } else if (self->nf != self->ncols) {
        snprintf(msg, sizeof msg, "the record has %u fields, the header has %u", self->nf,
                 self->ncols);
        rc = reject_whole(self, line, INGEST_E_BAD_CSV, msg);
    } else {
        size_t bad = 0;
        for (uint32_t i = 0; i < self->nf; i++) {
            const char *s = self->buf + self->foff[i];
            size_t n = self->foff[i + 1] - self->foff[i];
            if (!ingest_utf8_valid(s, n, NULL)) {
                const char *name = self->colmap[i] >= 0 ? ingest_field_name(self->colmap[i])
                                                        : self->hdr_names[i];
                if (!self->conv && ingest_charset_looks_gb18030(s, n))
                    ingest_record_add_error(
                        self->rec, name, INGEST_E_BAD_ENCODING,
                        "%s is not valid UTF-8; it reads as GB18030 (GBK), as Excel saves CSV on "
                        "a Chinese Windows: post it as text/csv; charset=GB18030, or save it as "
                        "CSV UTF-8", name);
                else
                    ingest_record_add_error(self->rec, name, INGEST_E_BAD_ENCODING,
                                            "%s is not valid %s", name, self->charset);
                bad++;
            }
        }
        if (bad) {
            rc = emit_reject(self, line);
        } else {
            for (size_t k = 0; k < self->nfields; k++)
                self->vals[self->fields[k]] = (ingest_value_t){0};
            for (uint32_t i = 0; i < self->nf; i++)
                if (self->colmap[i] >= 0) {
                    const char *v = self->buf + self->foff[i];
                    size_t n = self->foff[i + 1] - self->foff[i];
                    ingest_excel_text_formula(&v, &n);
                    self->vals[self->colmap[i]] = (ingest_value_t){INGEST_V_TEXT, v, n, NULL};
                }
            rc = emit_checked(self, line);
        }
    }
    csv_reset_record(self);
    return rc;
}

static inline void csv_put(ingest_stream_t *self, const char *s, size_t n)
{
    size_t room = INGEST_MAX_LINE - self->len;
    if (n > room) {
        n = room;
        self->overflow = true;
    }
    memcpy(self->buf + self->len, s, n);
    self->len += n;
}

static inline void csv_begin(ingest_stream_t *self)
{
    if (!self->started) {
        self->started = true;
        self->rec_line = self->line;
    }
}

static int csv_feed(ingest_stream_t *self, const char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        char c = p[i];
        if (self->skip_lf) {
            self->skip_lf = false;
            if (c == '\n') {
                i++;
                continue;
            }
        }
        switch (self->cs) {
        case C_FIELD_START:
        case C_UNQUOTED: {
            if (self->cs == C_FIELD_START && c == '"') {
                csv_begin(self);
                if (self->nf < CSV_MAX_FIELDS)
                    self->fquoted[self->nf] = true;
                self->cs = C_QUOTED;
                i++;
                break;
            }
            /* the run of ordinary bytes up to the next delimiter, in one copy */
            size_t j = i;
            while (j < len && p[j] != ',' && p[j] != '\n' && p[j] != '\r')
                j++;
            if (j > i) {
                csv_begin(self);
                csv_put(self, p + i, j - i);
                self->cs = C_UNQUOTED;
                i = j;
                if (i == len)
                    break;
                c = p[i];
            }
            i++;
            if (c == ',') {
                csv_begin(self);
                csv_end_field(self);
                self->cs = C_FIELD_START;
            } else {
                if (self->started)
                    csv_end_field(self);
                int rc = csv_record(self);
                newline(self);
                if (c == '\r')
                    self->skip_lf = true;
                if (rc)
                    return rc;
            }
            break;
        }
        case C_QUOTED: {
            size_t j = i;
            while (j < len && p[j] != '"' && p[j] != '\n')
                j++;
            if (j > i) {
                csv_put(self, p + i, j - i);
                i = j;
                if (i == len)
                    break;
            }
            if (p[i] == '\n') {
                csv_put(self, "\n", 1);
                newline(self);
            } else {
                self->cs = C_QUOTE_IN_QUOTED;
            }
            i++;
            break;
        }
        case C_QUOTE_IN_QUOTED:
            if (c == '"') {
                csv_put(self, "\"", 1);
                self->cs = C_QUOTED;
                i++;
            } else if (c == ',' || c == '\n' || c == '\r') {
                self->cs = C_UNQUOTED;   /* the delimiter is handled there */
            } else if (c == ' ' || c == '\t') {
                i++;                     /* "a" , "b": spaces after a closing quote */
            } else {
                if (!self->csv_bad)
                    self->csv_bad = "text follows the closing quote of a quoted field";
                self->cs = C_UNQUOTED;
            }
            break;
        }
    }
    return 0;
}

static int csv_finish(ingest_stream_t *self)
{
    if (self->cs == C_QUOTED && !self->csv_bad)
        self->csv_bad = "a quoted field is not closed before the end of the body";
    if (!self->started)
        return 0;
    csv_end_field(self);
    return csv_record(self);
}

/* ---- feeding */

static int dispatch(ingest_stream_t *self, const char *p, size_t len)
{
    return self->fmt == INGEST_NDJSON ? ndjson_feed(self, p, len) : csv_feed(self, p, len);
}

/* Bytes of the body as UTF-8: the BOM, then the format. */
static int feed_utf8(void *ctx, const char *p, size_t len)
{
    ingest_stream_t *self = ctx;
    int rc = 0;
    if (!self->bom_done) {
        while (len && self->bom_matched < 3 && (unsigned char)*p == BOM[self->bom_matched]) {
            self->bom_matched++;
            p++;
            len--;
        }
        if (self->bom_matched == 3) {
            self->bom_done = true;
        } else if (len) {
            /* not a BOM after all: what looked like its start is data */
            self->bom_done = true;
            rc = dispatch(self, (const char *)BOM, self->bom_matched);
        }
    }
    if (!rc && len)
        rc = dispatch(self, p, len);
    return rc;
}

int ingest_stream_set_charset(ingest_stream_t *self, const char *canonical)
{
    if (!self || self->bom_done || self->bom_matched || self->records || self->line > 1)
        return -1;
    if (canonical && strcmp(canonical, "utf-8") == 0)
        return 0;
    if (self->fmt != INGEST_CSV)
        return -1;
    ingest_charset_t *conv = ingest_charset_new(canonical);
    if (!conv)
        return -1;
    ingest_charset_destroy(&self->conv);
    self->conv = conv;
    self->charset = ingest_charset_label(canonical);
    return 0;
}

int ingest_stream_feed(ingest_stream_t *self, const void *buf, size_t len)
{
    if (!self)
        return -1;
    if (self->stopped)
        return self->stopped;
    if (self->finished)
        return -1;
    int rc = self->conv ? ingest_charset_convert(self->conv, buf, len, feed_utf8, self)
                        : feed_utf8(self, buf, len);
    if (rc)
        self->stopped = rc;
    return rc;
}

int ingest_stream_finish(ingest_stream_t *self)
{
    if (!self)
        return -1;
    if (self->stopped)
        return self->stopped;
    if (self->finished)
        return 0;
    int rc = self->conv ? ingest_charset_convert(self->conv, NULL, 0, feed_utf8, self) : 0;
    if (!rc && !self->bom_done) {
        self->bom_done = true;
        rc = dispatch(self, (const char *)BOM, self->bom_matched);
    }
    if (!rc)
        rc = self->fmt == INGEST_NDJSON ? ndjson_finish(self) : csv_finish(self);
    self->finished = true;
    if (rc)
        self->stopped = rc;
    return rc;
}
