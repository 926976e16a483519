#ifndef SD_ROUTES_H
#define SD_ROUTES_H

#include <stddef.h>

#include <ulfius.h>

#include "app.h"

#define ROUTES_NOT_FOUND          (-1)
#define ROUTES_METHOD_NOT_ALLOWED (-2)

/* Registers every endpoint on the instance. */
int routes_register(struct _u_instance *instance, struct sd_app *app);
/* Index of the route for method and path; ROUTES_METHOD_NOT_ALLOWED (with the allowed
 * methods written to allow) when only the path matches; ROUTES_NOT_FOUND otherwise. */
int routes_match(const char *method, const char *path, char *allow, size_t allowlen);
int routes_count(void);
const char *routes_label(int index);  /* the path pattern, "unmatched" for -1 */
const char *routes_method(int index); /* "" for -1 */
int routes_has_path_param(int index, const char *name);
/* Its body is a file (SELLERDESK_MAX_UPLOAD_BYTES), not JSON (SELLERDESK_MAX_BODY_BYTES). */
int routes_takes_upload(int index);

#endif
