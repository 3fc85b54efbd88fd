/* ingest_text — the text rules of partner feeds: UTF-8 validity, trimming, the
 * normalisation of personal names (Unicode NFC, then one middle dot for minority names), and
 * what spreadsheets and input methods do to values that are still exact.
 *
 * Pure functions. Nothing here allocates except libunistring's u8_normalize, and only for a
 * name that holds characters which may change under NFC and whose result does not fit the
 * caller's buffer (it cannot, given the sizes ingest_record uses; the path exists for safety).
 */
#ifndef INGEST_TEXT_H
#define INGEST_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, nothing above
 * U+10FFFF) and holds no NUL byte. On false, *bad_at (may be NULL) gets the offset of the
 * first offending byte. */
bool ingest_utf8_valid(const char *s, size_t len, size_t *bad_at);

/* Number of code points in valid UTF-8 s[0..len). */
size_t ingest_utf8_count(const char *s, size_t len);

/* Decodes the code point at s[*i] of valid UTF-8 and advances *i. */
uint32_t ingest_utf8_next(const char *s, size_t len, size_t *i);

/* Encodes cp into out (at least 4 bytes); returns the byte count. */
size_t ingest_utf8_put(uint32_t cp, char *out);

/* Moves *s / shrinks *len past ASCII spaces, tabs, CR and LF at both ends. */
void ingest_trim(const char **s, size_t *len);

/* True for CJK ideographs (unified, extensions A-H, compatibility) and U+3007. */
bool ingest_is_cjk(uint32_t cp);

/* Normalises a personal name, valid UTF-8 in[0..len):
 *   - NFC (libunistring), skipped when every character is one that NFC leaves alone;
 *   - U+00B7, U+2022, U+2027, U+2219, U+22C5, U+30FB, U+FF0E, U+FF65 become U+00B7 (the
 *     interpunct of transliterated minority names, 买买提·艾力), as does an ASCII '.' that
 *     stands between two CJK characters; spaces around such a dot between CJK are dropped.
 * Writes the result NUL-terminated into out[cap]. Returns its length in bytes, or -1 if it
 * does not fit or normalisation failed. *chars (may be NULL) gets its code point count. */
long ingest_name_normalise(const char *in, size_t len, char *out, size_t cap, size_t *chars);

/* Full-width digits and Ｘ/ｘ, as a Chinese input method types an ID number, folded to ASCII
 * into out[19] (the first 18 characters; NFKC gives the same). Returns the folded length, or
 * 0 when s[0..len) holds anything else outside ASCII. */
size_t ingest_fold_fullwidth_id(const char *s, size_t len, char out[19]);

/* A CSV field written as an Excel text formula, ="...", as exports meant for spreadsheets
 * keep long numbers: *v / *n narrowed to the text inside. Left as it is otherwise (also when
 * a quote is inside). */
void ingest_excel_text_formula(const char **v, size_t *n);

/* True, with the code point in *cp, when valid UTF-8 s[0..len) holds a private-use character
 * (U+E000..F8FF, planes 15 and 16): a character only the sending system knows. */
bool ingest_private_use(const char *s, size_t len, uint32_t *cp);

#endif
