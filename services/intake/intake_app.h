/* intake_app — an application in memory, and its JSON.
 *
 * An Itk__Application here is always a tree the heap owns entirely: either unpacked from the
 * store by protobuf-c (system allocator) or built with the functions below, which malloc
 * every string, array and sub-message they add. Either way intake_app_free() (that is,
 * protobuf_c_message_free_unpacked) releases all of it, so an unpacked application can be
 * changed in place and packed again. Never point a field at a borrowed string.
 *
 * Every function returning int gives 0, or -1 on allocation failure (the tree is then still
 * consistent and freeable).
 */
#ifndef INTAKE_APP_H
#define INTAKE_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "intake.pb-c.h"
#include "sais_json.h"

/* An empty application (every string ""); NULL on allocation failure. */
Itk__Application *intake_app_new(void);
/* Unpacks a stored application; NULL if the bytes are not one. */
Itk__Application *intake_app_unpack(const void *data, size_t len);
/* Frees the tree; idempotent, NULLs the pointer. */
void intake_app_free(Itk__Application **app_p);

/* Replaces a string field (*field) by a heap copy of v (NULL -> ""). */
int intake_str_set(char **field, const char *v);
/* Appends a heap copy of s to a repeated string field. */
int intake_strv_add(char ***v, size_t *n, const char *s);
/* Empties a repeated string field. */
void intake_strv_clear(char ***v, size_t *n);
/* True if the repeated string field holds s. */
bool intake_strv_has(char *const *v, size_t n, const char *s);

/* Appends a step to the history. */
int intake_app_add_step(Itk__Application *a, int64_t at, const char *status, const char *by,
                        const char *note);
/* Drops every decision. */
void intake_app_clear_decisions(Itk__Application *a);
/* Appends a decision; *out (may be NULL) gets it, to add clauses with intake_decision_add_clause. */
int intake_app_add_decision(Itk__Application *a, const char *policy, bool eligible, int64_t amount,
                            const char *period, bool automatic, const char *version,
                            Itk__Decision **out);
int intake_decision_add_clause(Itk__Decision *d, const char *clause, bool passed, const char *detail);
int intake_app_add_evidence(Itk__Application *a, const char *source, const char *record_id,
                            const char *batch_id);

/* Replaces the decisions with rules' answer to policies.evaluate: the "results" array of
 * {"policy", "version", "eligible", "amount", "period", "automatic", "error"?, "explanation"}.
 * A result with an "error" is recorded as not eligible with the error as a failed clause.
 * Returns 0, -1 on allocation failure, 1 if `results` is not such an array (nothing changed). */
int intake_app_set_decisions_json(Itk__Application *a, const json_t *results);

/* The application as the API shows it. masked: id_number, name and phone masked (a caller
 * who sees only the filing region). */
void intake_app_json(sais_jw_t *w, const Itk__Application *a, bool masked);

#endif
