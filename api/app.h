#ifndef SD_APP_H
#define SD_APP_H

#include <stdatomic.h>

#include "../src/config.h"
#include "../src/db.h"
#include "../src/db_pipe.h"
#include "../src/metrics.h"
#include "../src/moderation.h"

struct loop_set;
struct work_pool;

/* The one object every callback receives as user_data. */
struct sd_app {
    struct sd_config cfg;
    struct db_pool *pool;
    /* each HTTP thread's statement pipe (api/server.c), for the metrics; none: every read on
     * the pool */
    struct db_pipe *pipes[256];
    int npipes;
    struct loop_set *loops; /* (api/loop.h) the same threads; NULL without the pipe */
    struct work_pool *work; /* (api/work.h) runs the requests on the pool; NULL without loops */
    struct metrics *metrics;
    struct mod_config moderation; /* the platform's own domains, from the config */
    atomic_int draining;          /* SIGTERM seen: readyz says 503, in-flight requests finish */
    atomic_int inflight;
};

#endif
