/* warn_code: visit-code tokens (genuine, expired, forged, other key) and the QR code SVG,
 * checked module by module against libqrencode's own symbol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "warn_code.h"

static const unsigned char KEY[32] = "0123456789abcdef0123456789abcdef";

static void test_token_round_trip(void **state)
{
    (void)state;
    char tok[WARN_CODE_MAX], hid[80];
    int64_t exp = 0;
    assert_int_equal(warn_code_make(KEY, sizeof KEY, "HH-330327-0001", 2000, tok), 0);
    assert_null(strchr(tok, '+'));  /* URL-safe: fits a QR code and a query string */
    assert_null(strchr(tok, '/'));
    assert_int_equal(warn_code_check(KEY, sizeof KEY, tok, 1999, hid, sizeof hid, &exp), WARN_CODE_OK);
    assert_string_equal(hid, "HH-330327-0001");
    assert_int_equal(exp, 2000);
    /* expiry is exclusive */
    assert_int_equal(warn_code_check(KEY, sizeof KEY, tok, 2000, hid, sizeof hid, NULL), WARN_CODE_EXPIRED);
    /* another key: not ours */
    unsigned char other[32];
    memcpy(other, KEY, sizeof other);
    other[0] ^= 1;
    assert_int_equal(warn_code_check(other, sizeof other, tok, 1000, hid, sizeof hid, NULL), WARN_CODE_BAD);
    /* a forged payload (another household, the same MAC) */
    char forged[WARN_CODE_MAX], t2[WARN_CODE_MAX];
    assert_int_equal(warn_code_make(KEY, sizeof KEY, "HH-330327-0002", 2000, t2), 0);
    const char *dot1 = strchr(tok, '.'), *dot2 = strchr(t2, '.');
    snprintf(forged, sizeof forged, "%.*s%s", (int)(dot2 - t2), t2, dot1);
    assert_int_equal(warn_code_check(KEY, sizeof KEY, forged, 1000, hid, sizeof hid, NULL), WARN_CODE_BAD);
    /* one character changed anywhere */
    for (size_t i = 0; tok[i]; i++) {
        snprintf(forged, sizeof forged, "%s", tok);
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        assert_int_not_equal(warn_code_check(KEY, sizeof KEY, forged, 1000, hid, sizeof hid, NULL), WARN_CODE_OK);
    }
    /* garbage */
    static const char *const junk[] = {"", ".", "abc", "abc.def", "a.b.c", "!!!.???", NULL};
    for (size_t i = 0; junk[i]; i++)
        assert_int_equal(warn_code_check(KEY, sizeof KEY, junk[i], 1000, hid, sizeof hid, NULL), WARN_CODE_BAD);
    assert_int_equal(warn_code_check(KEY, sizeof KEY, NULL, 1000, hid, sizeof hid, NULL), WARN_CODE_BAD);
}

/* Reads the SVG's rects back into a module matrix and compares it with libqrencode's. */
static void test_qr_svg_is_the_symbol(void **state)
{
    (void)state;
    const char *text = "djF8MjAwMHxISC0zMzAzMjctMDAwMQ.some-mac-text";
    char *svg = warn_code_qr_svg(text);
    assert_non_null(svg);
    assert_true(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
    assert_non_null(strstr(svg, "</svg>"));
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    int w = qr->width;
    unsigned char *grid = calloc((size_t)(w * w), 1);
    assert_non_null(grid);
    const char *p = strstr(svg, "<g fill=\"#000\">");
    assert_non_null(p);
    int x, y, run, rects = 0;
    while ((p = strstr(p, "<rect x=\"")) && sscanf(p, "<rect x=\"%d\" y=\"%d\" width=\"%d\"", &x, &y, &run) == 3) {
        x -= 4;
        y -= 4;
        assert_true(x >= 0 && y >= 0 && y < w && run > 0 && x + run <= w);
        for (int i = 0; i < run; i++)
            grid[y * w + x + i] = 1;
        rects++;
        p++;
    }
    assert_true(rects > 0);
    for (int i = 0; i < w * w; i++)
        assert_int_equal(grid[i], qr->data[i] & 1);
    /* the finder pattern's corner module is dark, the quiet zone is 4 modules */
    assert_int_equal(grid[0], 1);
    char vb[64];
    snprintf(vb, sizeof vb, "viewBox=\"0 0 %d %d\"", w + 8, w + 8);
    assert_non_null(strstr(svg, vb));
    free(grid);
    QRcode_free(qr);
    free(svg);
}

static void test_key_file(void **state)
{
    (void)state;
    char dir[128], path[200], err[256];
    snprintf(dir, sizeof dir, "/tmp/sais-test-warn-code-%d", (int)getpid());
    assert_int_equal(mkdir(dir, 0700), 0);
    unsigned char k1[64], k2[64];
    size_t n1 = 0, n2 = 0;
    assert_int_equal(warn_code_key_load(NULL, dir, k1, &n1, err, sizeof err), 0);
    assert_int_equal(n1, 32);
    snprintf(path, sizeof path, "%s/visit.key", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* created once: a restart reads the same secret */
    assert_int_equal(warn_code_key_load(NULL, dir, k2, &n2, err, sizeof err), 0);
    assert_int_equal(n2, 32);
    assert_memory_equal(k1, k2, 32);
    /* a configured key wins */
    sais_config_t *cfg = sais_config_new();
    assert_int_equal(sais_config_set(cfg, "warn.visit_code_key", "configured secret", err, sizeof err), 0);
    assert_int_equal(warn_code_key_load(cfg, dir, k2, &n2, err, sizeof err), 0);
    assert_int_equal(n2, strlen("configured secret"));
    assert_memory_equal(k2, "configured secret", n2);
    sais_config_destroy(&cfg);
    /* a damaged key file is refused, not silently replaced */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("short", f);
    fclose(f);
    assert_int_equal(warn_code_key_load(NULL, dir, k2, &n2, err, sizeof err), -1);
    assert_non_null(strstr(err, "visit.key"));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_round_trip),
        cmocka_unit_test(test_qr_svg_is_the_symbol),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
