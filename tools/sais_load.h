/* Posting a feed file through ingest over the bus: the same feed.begin/chunk/end sessions
 * the gateway uses for HTTP uploads, for the demo loader and for `sais load`. */
#ifndef SAIS_LOAD_H
#define SAIS_LOAD_H

#include "sais_client.h"

/* Streams `path` as batch `batch_id` of `source` (format from the file name: .csv or else
 * NDJSON). Prints the report's counts to stderr. 0 when the batch was taken in (whatever it
 * rejected), -1 on failure (reason on stderr). */
int sais_load_file(sais_client_t *client, const char *source, const char *path, const char *batch_id);

#endif
