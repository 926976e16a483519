#include "err.h"

static const struct {
    int status;
    const char *code;
    const char *title;
} err_table[SD_ERR__COUNT] = {
    [SD_OK] = {200, "ok", "OK"},
    [SD_ERR_BAD_REQUEST] = {400, "bad_request", "Bad request"},
    [SD_ERR_VALIDATION] = {400, "validation_failed", "Validation failed"},
    [SD_ERR_UNAUTHORIZED] = {401, "unauthorized", "Unauthorized"},
    [SD_ERR_FORBIDDEN] = {403, "forbidden", "Forbidden"},
    [SD_ERR_NOT_FOUND] = {404, "not_found", "Not found"},
    [SD_ERR_CONFLICT] = {409, "conflict", "Conflict"},
    [SD_ERR_UNPROCESSABLE] = {422, "unprocessable", "Unprocessable request"},
    [SD_ERR_TOO_LARGE] = {413, "payload_too_large", "Payload too large"},
    [SD_ERR_MEDIA_TYPE] = {415, "unsupported_media_type", "Unsupported media type"},
    [SD_ERR_METHOD] = {405, "method_not_allowed", "Method not allowed"},
    [SD_ERR_RATE_LIMITED] = {429, "rate_limited", "Too many requests"},
    [SD_ERR_UNAVAILABLE] = {503, "service_unavailable", "Service unavailable"},
    [SD_ERR_LENGTH_REQUIRED] = {411, "length_required", "Length required"},
    [SD_ERR_URI_TOO_LONG] = {414, "uri_too_long", "URI too long"},
    [SD_ERR_HEADERS_TOO_LARGE] = {431, "headers_too_large", "Request header fields too large"},
    [SD_ERR_INTERNAL] = {500, "internal_error", "Internal server error"},
};

static sd_err err_clamp(sd_err e)
{
    return (e < 0 || e >= SD_ERR__COUNT) ? SD_ERR_INTERNAL : e;
}

int err_http_status(sd_err e)
{
    return err_table[err_clamp(e)].status;
}

const char *err_code(sd_err e)
{
    return err_table[err_clamp(e)].code;
}

const char *err_title(sd_err e)
{
    return err_table[err_clamp(e)].title;
}
