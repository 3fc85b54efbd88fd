/* verify_medical_packed — see verify_medical_packed.h. */
#include "verify_medical_packed.h"
#include "sais_clock.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_ID        1    /* vst.Person.id_number */
#define FIELD_HOUSEHOLD 5    /* vst.Person.household_id */
#define FIELD_REGION    7    /* vst.Person.region */
#define FIELD_MEDICALS  23   /* vst.Person.medicals */
#define WIRE_LEN        2

static bool get_varint(const uint8_t *b, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t c = b[(*pos)++];
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

static size_t put_varint(uint8_t *b, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    return n;
}

typedef struct {
    size_t         start, end;     /* the run of field-23 elements (start == end: none) */
    const uint8_t *id, *hh, *region;   /* the ID number, household and region, not terminated */
    size_t         id_len, hh_len, region_len;
    Vst__Medical **meds;
    size_t         n;
} layout_t;

static void layout_free(layout_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        vst__medical__free_unpacked(l->meds[i], NULL);
    free(l->meds);
}

/* 0, 1 (not laid out as protobuf-c packs a Person: fields out of order, a gap in the run of
 * settlements, a truncated or unknown wire type), -1 out of memory. */
static int scan(const uint8_t *b, size_t len, layout_t *l)
{
    size_t pos = 0, after = len;
    bool seen = false;
    uint64_t last = 0;
    while (pos < len) {
        size_t start = pos;
        uint64_t key, v;
        if (!get_varint(b, len, &pos, &key))
            return 1;
        uint64_t field = key >> 3;
        const uint8_t *val = NULL;
        size_t vlen = 0;
        if (field == 0 || field < last)
            return 1;
        switch (key & 7) {
        case 0:
            if (!get_varint(b, len, &pos, &v))
                return 1;
            break;
        case 1:
        case 5: {
            size_t w = (key & 7) == 1 ? 8 : 4;
            if (len - pos < w)
                return 1;
            pos += w;
            break;
        }
        case WIRE_LEN:
            if (!get_varint(b, len, &pos, &v) || v > len - pos)
                return 1;
            val = b + pos;
            vlen = (size_t)v;
            pos += vlen;
            break;
        default:
            return 1;
        }
        if (field == FIELD_MEDICALS) {
            if (!val)
                return 1;
            if (!seen)
                l->start = start;
            else if (l->end != start)
                return 1;
            seen = true;
            l->end = pos;
            Vst__Medical *m = vst__medical__unpack(NULL, vlen, val);
            if (!m)
                return 1;
            Vst__Medical **grown = realloc(l->meds, (l->n + 1) * sizeof *grown);
            if (!grown) {
                vst__medical__free_unpacked(m, NULL);
                return -1;
            }
            l->meds = grown;
            l->meds[l->n++] = m;
        } else if (field > FIELD_MEDICALS && after == len) {
            after = start;
        } else if (field == FIELD_ID && val) {
            l->id = val;
            l->id_len = vlen;
        } else if (field == FIELD_HOUSEHOLD && val) {
            l->hh = val;
            l->hh_len = vlen;
        } else if (field == FIELD_REGION && val) {
            l->region = val;
            l->region_len = vlen;
        }
        last = field;
    }
    if (!seen)
        l->start = l->end = after;
    return 0;
}

static uint8_t *repack(const uint8_t *b, size_t len, const layout_t *l, size_t *outlen)
{
    size_t size = l->start + (len - l->end);
    for (size_t i = 0; i < l->n; i++) {
        uint8_t tmp[10];
        size_t sz = vst__medical__get_packed_size(l->meds[i]);
        size += 2 + put_varint(tmp, sz) + sz;   /* the tag of field 23, wire type 2: 2 bytes */
    }
    uint8_t *out = malloc(size ? size : 1);
    if (!out)
        return NULL;
    memcpy(out, b, l->start);
    size_t o = l->start;
    for (size_t i = 0; i < l->n; i++) {
        o += put_varint(out + o, (FIELD_MEDICALS << 3) | WIRE_LEN);
        o += put_varint(out + o, vst__medical__get_packed_size(l->meds[i]));
        o += vst__medical__pack(l->meds[i], out + o);
    }
    memcpy(out + o, b + l->end, len - l->end);
    *outlen = o + (len - l->end);
    return out;
}

static bool fact_usable(const Ing__Fact *f)
{
    /* what verify_person_apply and verify_medicals_fold refuse goes their way, to be refused
     * (and logged) there */
    return f && f->record_id && *f->record_id && f->id_number && *f->id_number && f->source && f->event
        && f->date && strlen(f->date) == 10 && sais_date_parse(f->date, 10) != SAIS_DATE_INVALID;
}

int verify_medical_fold_packed(const uint8_t *buf, size_t len, const Ing__Fact *f, uint8_t **out,
                               size_t *outlen, verify_effect_t *eff)
{
    *out = NULL;
    *outlen = 0;
    verify_effect_clear(eff);
    if (!fact_usable(f))
        return 1;
    layout_t l = {0};
    int rc = scan(buf, len, &l);
    if (rc != 0) {
        layout_free(&l);
        return rc;
    }
    /* a record without the fact's ID number (never one verify stored) is the full path's to
     * take or refuse, as verify_person_apply does */
    if (!l.id || l.id_len != strlen(f->id_number) || memcmp(l.id, f->id_number, l.id_len) != 0) {
        layout_free(&l);
        return 1;
    }
    bool changed = false;
    if (verify_medicals_fold(&l.meds, &l.n, f, &changed) != 0) {
        layout_free(&l);
        return -1;   /* the date was checked above: out of memory */
    }
    eff->old_household_id = l.hh ? strndup((const char *)l.hh, l.hh_len) : strdup("");
    eff->new_household_id = l.hh ? strndup((const char *)l.hh, l.hh_len) : strdup("");
    eff->old_region = l.region ? strndup((const char *)l.region, l.region_len) : strdup("");
    eff->new_region = l.region ? strndup((const char *)l.region, l.region_len) : strdup("");
    memcpy(eff->date, f->date, 11);
    rc = eff->old_household_id && eff->new_household_id && eff->old_region && eff->new_region ? 0 : -1;
    if (rc == 0 && changed) {
        eff->changed = eff->picture_changed = true;
        *out = repack(buf, len, &l, outlen);
        if (!*out)
            rc = -1;
    }
    layout_free(&l);
    if (rc != 0)
        verify_effect_clear(eff);
    return rc;
}
