#ifndef SD_SERVER_H
#define SD_SERVER_H

#include "app.h"

/* Serves until SIGINT or SIGTERM, then lets in-flight requests finish. 0 on clean exit. */
int server_run(struct sd_app *app);

#endif
