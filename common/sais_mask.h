/* sais_mask — what a role outside a person's region (or a charity) is shown (API.md, "Roles").
 * Each writes into a caller buffer and returns it. Input is UTF-8; names are masked by
 * characters, not bytes, so 𠮷 (4 bytes) counts as one character.
 */
#ifndef SAIS_MASK_H
#define SAIS_MASK_H

#include <stddef.h>

/* "330326199001011235" -> "330326***********5". out: at least 19 bytes. */
char *sais_mask_id(const char *id, char *out, size_t outlen);
/* "程成钊" -> "程**". out: at least strlen(name)+1 bytes. */
char *sais_mask_name(const char *name, char *out, size_t outlen);
/* "13800001234" -> "*******1234". */
char *sais_mask_phone(const char *phone, char *out, size_t outlen);

#endif
