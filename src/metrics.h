#ifndef SD_METRICS_H
#define SD_METRICS_H

#include "db.h"

struct metrics;

/* nroutes labelled routes plus one slot for requests that matched none (index -1). */
struct metrics *metrics_new(int nroutes);
void metrics_free(struct metrics *m);
void metrics_observe(struct metrics *m, int route_index, int status, double seconds);
/* Prometheus text exposition; label(i) names route i. Caller frees. */
char *metrics_render(struct metrics *m, const char *(*label)(int), const char *(*method)(int),
                     const struct db_pool_stats *pool);

#endif
