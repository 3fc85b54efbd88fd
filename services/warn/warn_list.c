/* warn_list — the page shape of the warn lists (warn_list.h). */
#include "warn_list.h"

#include <lmdb.h>

void warn_list_begin(sais_jw_t *w)
{
    sais_jw_init(w);
    sais_jw_obj(w);
    sais_jw_key(w, "items");
    sais_jw_arr(w);
}

int warn_list_end(sais_jw_t *w, int rc, bool more, const char *last, sais_reply_t *reply)
{
    if (rc != 0 && rc != MDB_NOTFOUND) {
        sais_jw_free(w);
        return rc;
    }
    sais_jw_arr_end(w);
    sais_jw_key(w, "next_cursor");
    if (more)
        sais_jw_str(w, last);
    else
        sais_jw_null(w);
    sais_jw_obj_end(w);
    return sais_reply_jw(reply, 200, w);
}
