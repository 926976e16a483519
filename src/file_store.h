#ifndef SD_FILE_STORE_H
#define SD_FILE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"

/* Stores an uploaded file; *out is {id, content_type, size, sha256, created_at}. content_type
 * is the canonical type and sha256 the lowercase hex digest of the len > 0 bytes. */
sd_err file_store_create(struct db_conn *conn, int64_t uploader_id, const char *content_type,
                         const void *data, size_t len, const char *sha256, json_t **out);

/* A file as the one downloading it sees it; the strings and data point into res. */
struct file_blob {
    PGresult *res;
    const char *content_type, *sha256, *created_at;
    int not_modified; /* one of the client's entity tags matched: data is NULL */
    const void *data;
    size_t size;
};

/* The file if viewer may read it: the uploader, or a participant of a chat it was sent in (a
 * support agent: any chat with a support side). Anything else, like a missing file, is
 * SD_ERR_NOT_FOUND. etags is file_if_none_match's list ("" none, "*" any); when it names the
 * file the bytes are not read. The caller releases the blob with file_blob_free. */
sd_err file_store_get(struct db_conn *conn, int64_t id, int64_t viewer_id, const char *viewer_role,
                      const char *etags, struct file_blob *out);
void file_blob_free(struct file_blob *b);

#endif
