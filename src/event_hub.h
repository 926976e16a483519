#ifndef SD_EVENT_HUB_H
#define SD_EVENT_HUB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The process's live event streams (GET /v1/events/stream). One thread holds the process's one
 * LISTEN connection (channel sellerdesk_event, migrations/0018) and one connection for reading:
 * told that an account's log grew, it reads the new rows of that account once and appends them,
 * formatted as Server-Sent Events, to the buffers of that account's open streams (each keeps only
 * its types). The same reading serves a new stream's backlog, page by page as its client takes
 * the bytes, so a stream never holds more than about buffer_bytes however long its backlog.
 *
 * A stream is its position (the last one examined, delivered or filtered out) and its buffer;
 * it is read from its position every time something may have been missed (a new stream, a
 * listener reconnect), so no position is skipped or repeated. */
struct event_hub_config {
    const char *database_url;
    int connect_timeout_s;
    int heartbeat_s;     /* ": heartbeat" this often on every stream */
    int max_streams;     /* in the process */
    int max_per_account; /* of one account in the process */
    size_t buffer_bytes; /* unsent bytes of a stream before its client counts as stalled */
};

int event_hub_start(const struct event_hub_config *cfg);
void event_hub_stop(void);

struct event_hub_stream;

/* How the hub pauses and restarts the connection that carries a stream: suspend is called by
 * event_hub_read when it has nothing to give, resume when it has again; both under the hub's
 * lock, so a resume can never come before the suspend it answers. drop: the client stopped
 * reading with a full buffer; its connection is to be closed (what the kernel still holds for
 * it, megabytes, goes with it). */
struct event_hub_client {
    void (*suspend)(void *arg);
    void (*resume)(void *arg);
    void (*drop)(void *arg);
    void *arg;
};

enum event_hub_open_result {
    EVENT_HUB_OK,
    EVENT_HUB_FULL,         /* max_streams reached */
    EVENT_HUB_ACCOUNT_FULL, /* max_per_account reached */
    EVENT_HUB_DOWN          /* not running (stopping) or out of memory */
};
/* Who a stream is for: the account, the API key it was opened with (0: a person's token) and
 * when that credential expires (0: never); the stream ends then, and when the account or the
 * key changes (event_hub_end), so a reconnect must authenticate again. */
struct event_hub_who {
    int64_t account, api_key_id;
    time_t expires_at;
};
/* A stream of the account's events after position after; types is NULL (every type) or a
 * comma-separated list of known type names. The first bytes sent are "retry: <retry_ms>" and a
 * bare "id: <after>"; later bare ids tell the client of positions it filtered out. */
enum event_hub_open_result event_hub_open(const struct event_hub_who *who, int64_t after,
                                          const char *types, int retry_ms,
                                          const struct event_hub_client *client,
                                          struct event_hub_stream **out);
/* Up to max bytes of the stream; 0 when there are none now (client->suspend was called); -1
 * when the stream is over (the server stops, or the client stalled with a full buffer). */
ssize_t event_hub_read(struct event_hub_stream *s, char *buf, size_t max);
/* The connection is gone: forgets and frees the stream. */
void event_hub_close(struct event_hub_stream *s);
/* SIGTERM: every stream ends once its buffered bytes are out; no new one opens. */
void event_hub_drain(void);
/* Ends the streams of an account (account > 0), of an API key (api_key_id > 0), of every key
 * (api_key_id < 0) or all of them (both 0): what their credential allowed has changed (the
 * account listener's notices, src/principal_cache.c). */
void event_hub_end(int64_t account, int64_t api_key_id);

struct event_hub_stats {
    int streams, listening;
    uint64_t delivered, dropped, reads;
};
void event_hub_get_stats(struct event_hub_stats *st);

#endif
