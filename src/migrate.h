#ifndef SD_MIGRATE_H
#define SD_MIGRATE_H

#include "db.h"

/* Applies every not-yet-applied migrations/NNNN_name.sql in order, each in its own
 * transaction, under an advisory lock. Refuses (returns -1) when an applied file changed. */
int migrate_run(struct db_conn *conn, const char *dir);

#endif
