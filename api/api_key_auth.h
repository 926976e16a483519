#ifndef SD_API_KEY_AUTH_H
#define SD_API_KEY_AUTH_H

#include "http.h"

/* 1 when the request presents an API key rather than an access token: Authorization: Bearer
 * sdk_..., or a Client-Id or Api-Key header. */
int apikey_presented(struct http_ctx *ctx);
/* Authenticates the request as the key's seller within the key's scopes, counts it against
 * the key's rate and sets the X-RateLimit-* headers: U_CALLBACK_CONTINUE, or the refusal
 * (401, 403, 429, 503) answered and U_CALLBACK_COMPLETE. */
int apikey_authenticate(struct http_ctx *ctx);

#endif
