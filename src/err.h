#ifndef SD_ERR_H
#define SD_ERR_H

/* Every failure the core can report. api/http.c maps each to one HTTP status and default
 * problem code (err_http_status / err_code), so the mapping lives in exactly one place. */
typedef enum {
    SD_OK = 0,
    SD_ERR_BAD_REQUEST,       /* malformed input */
    SD_ERR_VALIDATION,        /* well-formed input with invalid values */
    SD_ERR_UNAUTHORIZED,      /* no or invalid credentials */
    SD_ERR_FORBIDDEN,         /* authenticated, not allowed */
    SD_ERR_NOT_FOUND,         /* absent, or someone else's */
    SD_ERR_CONFLICT,          /* state does not allow it */
    SD_ERR_UNPROCESSABLE,     /* understood but refused (idempotency mismatch, content) */
    SD_ERR_TOO_LARGE,         /* body over the limit */
    SD_ERR_MEDIA_TYPE,        /* not JSON */
    SD_ERR_METHOD,            /* known path, wrong method */
    SD_ERR_RATE_LIMITED,      /* slow down */
    SD_ERR_UNAVAILABLE,       /* database down, pool exhausted, timeouts */
    SD_ERR_LENGTH_REQUIRED,   /* a body without Content-Length (chunked) */
    SD_ERR_URI_TOO_LONG,      /* the request target over the limit */
    SD_ERR_HEADERS_TOO_LARGE, /* too many or too large header fields */
    SD_ERR_INTERNAL,          /* a bug or an unexpected failure */
    SD_ERR__COUNT
} sd_err;

int err_http_status(sd_err e);
const char *err_code(sd_err e);
const char *err_title(sd_err e);

#endif
