#ifndef SD_SEED_H
#define SD_SEED_H

#include "config.h"
#include "db.h"

#define SEED_DEMO_PASSWORD "demo-password-1"

/* Demo buyers, sellers, a support account, products, delivered and in-flight orders.
 * Running it again changes nothing. */
int seed_demo(struct db_conn *conn, const struct sd_config *cfg);

#endif
