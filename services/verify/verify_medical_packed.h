/* verify_medical_packed — a medical fact folded into a person's record as stored, without
 * unpacking the rest of it; owned by verify.
 *
 * A day's medical batch is one settlement per person, and each used to unpack the whole
 * person (registration, twelve months of wages, assets...), fold one entry into its
 * settlements and pack it all again. Here only the settlements (field 23, "medicals") are
 * read from the packed bytes; the bytes before and after them are copied as they are. The
 * result is byte for byte what vst__person__pack gives for the person folded with
 * verify_person_apply (protobuf-c packs fields in field-number order, each element of a
 * repeated message as tag, length, bytes), which the unit test checks against the full path.
 */
#ifndef VERIFY_MEDICAL_PACKED_H
#define VERIFY_MEDICAL_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "verify_person.h"

/* Folds the medical fact `f` (its batch_id as the caller wants it stored) into the packed
 * person `buf`/`len`. Returns:
 *   0  folded: *out is the new record (malloc'd, *outlen long), or NULL when the fact
 *      changes nothing; eff is filled as verify_person_apply fills it (household and region
 *      unchanged, no happenings);
 *   1  not done here: the bytes are not laid out as protobuf-c packs a Person, the record
 *      does not carry the fact's ID number, or the fact is one verify_person_apply refuses;
 *      the caller folds the unpacked person instead;
 *  -1  out of memory. */
int verify_medical_fold_packed(const uint8_t *buf, size_t len, const Ing__Fact *f, uint8_t **out,
                               size_t *outlen, verify_effect_t *eff);

#endif
