#ifndef SD_IDEMPOTENCY_STORE_H
#define SD_IDEMPOTENCY_STORE_H

#include "db.h"

struct idem_record {
    int found;
    int status;
    char request_hash[65];
    char *body;
};

/* Inside a transaction: serialises requests with the same key (advisory lock held until the
 * transaction ends), then returns the stored answer, if any, younger than ttl_s. */
sd_err idem_lookup(struct db_conn *conn, const char *scope, const char *key, int ttl_s,
                   struct idem_record *out);
sd_err idem_save(struct db_conn *conn, const char *scope, const char *key, const char *request_hash,
                 int status, const char *body);
void idem_record_free(struct idem_record *rec);

#endif
