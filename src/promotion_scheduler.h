#ifndef SD_PROMOTION_SCHEDULER_H
#define SD_PROMOTION_SCHEDULER_H

#include "db.h"

/* The promotion notices, as a job of src/periodic.h: sellers in a promotion's audience get
 * promotion.started once it has started and promotion.ending a day before it ends. A notice
 * is claimed (FOR UPDATE SKIP LOCKED) and marked sent in the transaction that writes the
 * notifications, so several processes send each exactly once; one that came due while no
 * server ran is sent late, unless the promotion has finished meanwhile. Returns 1 when a
 * full batch went (more may be due), 0 otherwise, -1 on a database error. */
int promotion_scheduler_run(struct db_conn *conn, void *unused);

#endif
