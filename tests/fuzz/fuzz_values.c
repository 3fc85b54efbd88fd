/* Fuzz target: the value readers and writers every service shares (common/). The first byte
 * picks the check, the rest is the text or bytes:
 *   0  sais_id_check: an accepted ID is 18 characters, its check character right, its birth
 *      date a real date no later than today; the lowercase x is the only change made.
 *   1  sais_money_parse: an accepted amount is within the limit, formats back to text that
 *      parses to the same fen, and negative only when allowed.
 *   2  sais_jw_strn: any bytes give a JSON string jansson reads; valid UTF-8 reads back as
 *      the same bytes (NUL included).
 *   3  sais_wire: a varint reads back as written; find_bytes on any bytes stays inside them.
 * With bit 3 set, whatever the low bits: the masks of sais_mask.h, which must stay inside
 * their buffers and show no more than they promise (an ID's first six and last character, a
 * phone's last four, a name's first character).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sais_clock.h"
#include "sais_id.h"
#include "sais_json.h"
#include "sais_mask.h"
#include "sais_money.h"
#include "sais_wire.h"
#include "fuzz_check.h"


static void check_id(const char *s)
{
    long today = sais_days_from_civil(2026, 11, 23);
    char out[19];
    memset(out, 0x55, sizeof out);
    sais_id_status_t st = sais_id_check(s, today, out);
    if (st != SAIS_ID_OK) {
        CHECK(sais_id_code(st) && sais_id_message(st));
        return;
    }
    CHECK(strlen(s) == 18 && strlen(out) == 18);
    for (int i = 0; i < 17; i++)
        CHECK(out[i] >= '0' && out[i] <= '9' && out[i] == s[i]);
    CHECK(out[17] == sais_id_check_char(out));
    CHECK(out[17] == s[17] || (s[17] == 'x' && out[17] == 'X'));
    char birth[11];
    sais_id_birth_date(out, birth);
    long b = sais_date_parse(birth, 10);
    CHECK(b != SAIS_DATE_INVALID && b <= today);
    CHECK(sais_id_sex(out) == 'M' || sais_id_sex(out) == 'F');
    CHECK(sais_region_valid(out) || !sais_region_valid(out));   /* reads only 6 digits */
}

static void check_money(const char *s, size_t n, bool neg)
{
    sais_fen_t fen = 0;
    sais_money_status_t st = sais_money_parse(s, n, neg, &fen);
    CHECK(sais_money_message(st) != NULL);
    if (st != SAIS_MONEY_OK)
        return;
    CHECK(fen <= SAIS_MONEY_MAX_FEN && fen >= -SAIS_MONEY_MAX_FEN);
    CHECK(neg || fen >= 0);
    char buf[SAIS_MONEY_BUF];
    sais_money_format(fen, buf);
    sais_fen_t again = 0;
    CHECK(sais_money_parse(buf, strlen(buf), true, &again) == SAIS_MONEY_OK && again == fen);
}

static void check_json_string(const char *s, size_t n)
{
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_arr(&w);
    sais_jw_strn(&w, s, n);
    sais_jw_arr_end(&w);
    size_t len = 0;
    char *text = sais_jw_take(&w, &len);
    CHECK(text != NULL);
    json_error_t err;
    json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &err);
    if (!j)
        fprintf(stderr, "fuzz_values: jansson refused \"%s\": %s\n", text, err.text);
    CHECK(j && json_is_array(j) && json_array_size(j) == 1 && json_is_string(json_array_get(j, 0)));
    json_t *probe = json_stringn(s, n);   /* NULL unless s is valid UTF-8 by jansson's rule */
    bool utf8 = probe != NULL;
    json_decref(probe);
    if (utf8) {
        json_t *v = json_array_get(j, 0);
        CHECK(json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0);
    }
    json_decref(j);
    free(text);
}

static void check_wire(const uint8_t *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v = v << 8 | b[i];
    uint8_t buf[10];
    size_t len = sais_wire_varint(buf, v), at = 0;
    uint64_t back = ~v;
    CHECK(len >= 1 && len <= 10);
    CHECK(sais_wire_read_varint(buf, len, &at, &back) == 0 && back == v && at == len);
    for (uint32_t field = 1; field < 32; field++) {
        const uint8_t *d = NULL;
        size_t dlen = 0;
        if (sais_wire_find_bytes(b, n, field, &d, &dlen) == 0)
            CHECK(d >= b && d + dlen <= b + n);
    }
    at = 0;
    while (at < n && sais_wire_read_varint(b, n, &at, &v) == 0)
        CHECK(at <= n);
}

/* Characters other than '*' in s; a byte that does not start a well-formed UTF-8 sequence
 * counts as one character, as sais_mask counts it. */
static size_t visible(const char *s)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len = *p < 0x80 ? 1 : *p >= 0xC2 && *p <= 0xDF ? 2 : *p >= 0xE0 && *p <= 0xEF ? 3
                   : *p >= 0xF0 && *p <= 0xF4 ? 4 : 1;
        for (size_t i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                len = 1;
        n += *p != '*';
        p += len;
    }
    return n;
}

static void check_masks(const char *s, size_t n)
{
    char id[19];
    sais_mask_id(s, id, sizeof id);
    CHECK(memchr(id, '\0', sizeof id) != NULL && visible(id) <= 7);
    char *out = malloc(n + 1);
    CHECK(out != NULL);
    sais_mask_phone(s, out, n + 1);
    CHECK(memchr(out, '\0', n + 1) != NULL && visible(out) <= 4);
    sais_mask_name(s, out, n + 1);
    CHECK(memchr(out, '\0', n + 1) != NULL && visible(out) <= 1);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    char *z = malloc(n + 1);   /* the NUL-terminated form, for the readers that take one */
    if (!z)
        abort();
    memcpy(z, s, n);
    z[n] = '\0';
    if (data[0] & 8) {
        check_masks(z, strlen(z));
        free(z);
        return 0;
    }
    switch (data[0] & 3) {
    case 0: check_id(z); break;
    case 1: check_money(s, n, data[0] & 4); break;
    case 2: check_json_string(s, n); break;
    default: check_wire((const uint8_t *)s, n); break;
    }
    free(z);
    return 0;
}
