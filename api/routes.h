#ifndef SD_ROUTES_H
#define SD_ROUTES_H

#include <stddef.h>

#include <ulfius.h>

#include "app.h"
#include "uri.h"

#define ROUTES_NOT_FOUND          (-1)
#define ROUTES_METHOD_NOT_ALLOWED (-2)

/* Index of the route for method and the parsed target; ROUTES_METHOD_NOT_ALLOWED (with the
 * allowed methods written to allow) when only the path matches; ROUTES_NOT_FOUND otherwise. */
int routes_match(const char *method, const struct uri *u, char *allow, size_t allowlen);
/* Runs route i's handler. */
int routes_call(int i, const struct _u_request *req, struct _u_response *resp, void *app);
int routes_count(void);
const char *routes_label(int index);  /* the path pattern, "unmatched" for -1 */
const char *routes_method(int index); /* "" for -1 */
/* The decoded path segment where route i's pattern has :name, or NULL. */
const char *routes_path_param(int index, const struct uri *u, const char *name);
/* Reads query parameters (its handler checks which); any parameter to another is refused. */
int routes_takes_query(int index);
/* Needs an access token. */
int routes_authenticated(int index);
/* It runs on the HTTP thread that took it, not on a worker (api/work.h); so does a request
 * that matched no route (it is answered at once). */
int routes_on_loop(int index);
/* It holds its connection open as a stream: served by libmicrohttpd on its loop, never by the
 * loop's own HTTP (api/front.c). */
int routes_streams(int index);
/* It reads a body (JSON or a file); another takes none, or "{}". */
int routes_takes_body(int index);
/* The largest body route i takes: a file (a video's limit when content_type names one), a
 * public (unauthenticated) JSON body, or JSON. */
size_t routes_body_limit(int index, const struct sd_config *cfg, const char *content_type);

#endif
