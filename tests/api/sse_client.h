#ifndef SD_TEST_SSE_CLIENT_H
#define SD_TEST_SSE_CLIENT_H

#include <stdint.h>

/* A Server-Sent Events client for the API tests: GET base_url + path on a thread of its own
 * (libcurl), collecting the answer's head and body as they come, so a test can wait for a line
 * with a deadline while it makes changes elsewhere. */
struct sse;

/* Opens the stream and waits (up to 10 s) for the answer's head. token and extra_header
 * ("Last-Event-ID: 3") may be NULL. NULL base_url: $SD_BASE_URL. */
struct sse *sse_open(const char *base_url, const char *path, const char *token,
                     const char *extra_header);
long sse_status(struct sse *s);
/* A header of the answer (case-insensitive name), malloc'd, or NULL. */
char *sse_header(struct sse *s, const char *name);
/* Waits until the body holds needle; 1 when it does, 0 at the timeout. */
int sse_wait(struct sse *s, const char *needle, int timeout_ms);
/* Waits until the transfer is over (the server ended it); 1 when it did. */
int sse_wait_end(struct sse *s, int timeout_ms);
/* The body so far (malloc'd). */
char *sse_body(struct sse *s);
/* Stops the transfer and frees everything. */
void sse_close(struct sse *s);

/* The events of a body: ids[i], types[i] (pointers into a copy kept in *copy, which the caller
 * frees) and data[i] (the data line) of at most max events; their count. */
int sse_parse(const char *body, int64_t *ids, const char **types, const char **data, int max,
              char **copy);

/* A request to another server (base_url) with a JSON body: its status; *body_out (malloc'd,
 * may be NULL) the answer. */
long sse_request(const char *base_url, const char *method, const char *path, const char *token,
                 const char *body, char **body_out);

/* Monotonic milliseconds. */
int64_t sse_now_ms(void);

#endif
