/* warn_list — the page every warn list answers with (API.md "Lists"):
 * {"items": [...], "next_cursor": "<last item's cursor>" | null}. The caller writes the items
 * between the two calls and owns the writer until warn_list_end, which frees or hands it on. */
#ifndef WARN_LIST_H
#define WARN_LIST_H

#include <stdbool.h>

#include "sais_json.h"
#include "sais_service.h"

/* Initialises w and opens the object and its "items" array. */
void warn_list_begin(sais_jw_t *w);
/* rc is how the walk over the store ended: other than 0 or MDB_NOTFOUND, w is freed and rc
 * returned (nothing replied). Otherwise closes the page, next_cursor = last when more (else
 * null), and replies 200 with it. */
int warn_list_end(sais_jw_t *w, int rc, bool more, const char *last, sais_reply_t *reply);

#endif
