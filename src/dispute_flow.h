#ifndef SD_DISPUTE_FLOW_H
#define SD_DISPUTE_FLOW_H

#include "config.h"
#include "db.h"
#include "dispute_store.h"

/* What happens around a move of a dispute, for the action endpoint and the deadline job
 * alike: the new state's deadline, a passed deadline applied before anything else, and the
 * parties told (dispute.updated on the disputes tab). */

/* The deadline of a state from now, in seconds; 0 for a final state. */
long long dispute_flow_deadline(const struct sd_config *cfg, const char *state);
/* Records m (its deadline and finality from its target state) and tells the parties other
 * than the actor. */
sd_err dispute_flow_move(struct db_conn *conn, const struct sd_config *cfg, int64_t id,
                         struct dispute_move *m);
/* A locked dispute whose deadline has passed moves as the deadline says (d->state is updated);
 * nothing happens otherwise. */
sd_err dispute_flow_lapse(struct db_conn *conn, const struct sd_config *cfg, int64_t id,
                          struct dispute_locked *d);
/* Tells the buyer and the seller, except actor, that the dispute changed (event
 * dispute.opened or dispute.updated). */
sd_err dispute_flow_notify(struct db_conn *conn, int64_t id, int64_t actor, const char *event,
                           const char *state);

/* The deadline job (src/periodic.h; arg the config): moves every dispute whose deadline
 * passed, a batch per transaction. 1 when a full batch went, 0 otherwise, -1 on a database
 * error. */
int dispute_deadlines_run(struct db_conn *conn, void *cfg);

#endif
