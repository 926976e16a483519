#ifndef SD_FILE_TYPE_H
#define SD_FILE_TYPE_H

#include <stddef.h>

/* The kinds of file an upload may be (chat attachments, review photos and videos), as
 * canonical media types. */
extern const char *const file_types[];
extern const size_t file_ntypes;

/* The canonical media type (one of file_types) a Content-Type header value names, ignoring
 * case, surrounding blanks and parameters ("Image/PNG; charset=x" is image/png); NULL when
 * the value is absent or names another type. */
const char *file_type_allowed(const char *content_type);

/* The allowed type whose magic number starts bytes, or NULL. */
const char *file_type_sniff(const void *bytes, size_t len);

/* A video (video/mp4, webm, quicktime): its own size limit, SELLERDESK_MAX_VIDEO_BYTES. */
int file_type_is_video(const char *type);

/* 1 when content_type is allowed and the bytes carry its magic number. */
int file_type_matches(const char *content_type, const void *bytes, size_t len);

/* Length of a file's ETag value: the hex SHA-256 of its bytes. */
#define FILE_SHA256_HEX 64

/* The entity tags an If-None-Match header value lists that can name a file (64 lowercase hex
 * digits; weak tags compare like strong ones, as RFC 9110 wants for If-None-Match), written
 * to out comma-separated; "*" when the header is "*" (any file matches). out is "" when no
 * tag can match. Returns -1, with out "", if out (outlen bytes) is too small for them. */
int file_if_none_match(const char *header, char *out, size_t outlen);

#endif
