/* bench/floor.c — the floor under issue 15's CPU goal: what a product read costs on this
 * machine with nothing but the statement pipe and the sockets. It serves GET /v1/products/{id}
 * with the server's own statement (product_store_get_read) through the server's own pipe
 * (src/db_pipe.c), one pipe per thread turned with the thread's epoll as api/loop.c does (so
 * a turn is the pipe's wait, then a wait of 0 on the HTTP side, as libmicrohttpd's MHD_run),
 * but with a bare HTTP/1.1 keep-alive loop in place of libmicrohttpd, and no authentication,
 * access log, request id or metrics. It is a floor for this loop design, not for sockets
 * alone; the difference between the server's CPU per read and this one's is what
 * libmicrohttpd and the application's layer cost together. bench/floor.sh runs both;
 * bench/README.md, "The request path, tenth step".
 *
 *   floor PORT THREADS DATABASE_URL     product reads; any other path is answered 404
 *                                       but the pages of floor_pages, each PATH?viewer=USER&
 *                                       role=ROLE: a chat's first history page (50 messages,
 *                                       GET /v1/chats/ID/messages?...), the chat list, the
 *                                       question list (20 each), the question counts and the
 *                                       notification feed (20; its database is bench/hotreads.sh's
 *                                       "notif"), read as that viewer with the server's own
 *                                       statements (chat_store_messages_read, chat_store_list_read,
 *                                       question_store_list_read, question_store_counts_read,
 *                                       notification_store_feed_read)
 *                                       and the handlers' defaults; the viewer comes from the
 *                                       target, where the server takes it from the token
 *   floor PORT THREADS                  every GET answered {"ok":true}: HTTP alone
 *
 * It is a measuring instrument, not a server: it reads request heads only (a body would be
 * taken for the next request, so send none), closes the connection on anything but GET or a
 * head over 8 KiB, and answers a connection's requests one at a time, in order. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/chat_store.h"
#include "../src/db_pipe.h"
#include "../src/notification_store.h"
#include "../src/product_store.h"
#include "../src/question_store.h"

#define FLOOR_IN      8192
#define FLOOR_EVENTS  256
#define FLOOR_MAX_THR 64

struct floor_loop;

/* A page the floor serves (floor_pages) */
struct floor_page {
    const char *path; /* up to the query; '#' stands for an id */
    int items;        /* the body is a DB_PAGE's items (its second column), else the text */
    void (*read)(struct db_read *rd, int64_t id, int64_t viewer, auth_role role);
};

struct floor_client {
    int fd;
    int waiting;                   /* its read is on the pipe */
    const struct floor_page *page; /* that read's page; NULL: a product */
    int submitting; /* in db_pipe_submit, which may answer at once: floor_serve goes on */
    /* the socket is edge-triggered and not read while an answer is owed (as libmicrohttpd
     * reads the next request only after the answer): an edge meanwhile is kept here, so the
     * socket is read again after the answer only when something came */
    int unread;
    int eof; /* the client has shut its side: closed once every answer owed has gone */
    size_t inlen;
    char in[FLOOR_IN];
    char *out; /* what send() could not take yet */
    size_t outlen, outoff;
    struct floor_loop *l;
};

struct floor_loop {
    pthread_t thread;
    int ep;
    int handoff[2]; /* the acceptor writes each new descriptor here */
    struct db_pipe *pipe;
};

static struct floor_loop loops[FLOOR_MAX_THR];
static int nloops;

/* Closes its socket; the client itself is freed by floor_release once nothing uses it. */
static void floor_close(struct floor_client *c)
{
    epoll_ctl(c->l->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

/* Frees a closed client whose read is not on the pipe. */
static void floor_release(struct floor_client *c)
{
    if (c->fd >= 0 || c->waiting)
        return;
    free(c->out);
    free(c);
}

static int floor_busy(const struct floor_client *c)
{
    return c->waiting || c->out;
}

/* Head and body in one buffer and one send, as libmicrohttpd's one sendmsg; the buffer is kept
 * for EPOLLOUT when the socket takes only part of it. */
static void floor_send(struct floor_client *c, int status, const char *body, size_t blen)
{
    char head[160];
    const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Service Unavailable";
    int hlen = snprintf(head, sizeof head,
                        "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
                        "%zu\r\n\r\n",
                        status, reason, blen);
    size_t total = (size_t)hlen + blen;
    char *buf = malloc(total);
    if (!buf) {
        floor_close(c);
        return;
    }
    memcpy(buf, head, (size_t)hlen);
    memcpy(buf + hlen, body, blen);
    ssize_t n = send(c->fd, buf, total, MSG_NOSIGNAL);
    if (n == (ssize_t)total) {
        free(buf);
        return;
    }
    if (n < 0 && errno != EAGAIN) {
        free(buf);
        floor_close(c);
        return;
    }
    c->out = buf;
    c->outlen = total;
    c->outoff = n > 0 ? (size_t)n : 0;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLET, .data.ptr = c};
    epoll_ctl(c->l->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void floor_serve(struct floor_client *c);
static void floor_readable(struct floor_client *c);

/* After an answer has gone: the next request buffered, or the socket read again if something
 * came meanwhile, or the close the client asked for. */
static void floor_next(struct floor_client *c)
{
    floor_serve(c);
    if (c->fd >= 0 && !floor_busy(c) && c->unread)
        floor_readable(c);
    if (c->fd >= 0 && !floor_busy(c) && c->eof)
        floor_close(c);
}

static void floor_done(void *arg, PGresult *res, sd_err e)
{
    struct floor_client *c = arg;
    int col = c->page && c->page->items;
    c->waiting = 0;
    if (c->fd < 0) {
        PQclear(res);
        if (!c->submitting)
            floor_release(c);
        return;
    }
    /* the pipe's refusals are the server's 503: a floor whose pipe never connected must not
     * pass for a cheap one */
    if (e != SD_OK)
        floor_send(c, 503, "{}", 2);
    else if (PQntuples(res) == 1 && PQnfields(res) > col)
        floor_send(c, 200, PQgetvalue(res, 0, col), (size_t)PQgetlength(res, 0, col));
    else
        floor_send(c, 404, "{}", 2);
    PQclear(res);
    if (c->submitting)
        return;
    floor_next(c);
    floor_release(c);
}

/* DIGITS at *p, moved past them; 0 when there are none (ids start at 1). */
static int64_t floor_id(const char **p)
{
    int64_t v = 0;
    int n = 0;
    for (; **p >= '0' && **p <= '9' && n < 18; (*p)++, n++)
        v = v * 10 + (**p - '0');
    return n ? v : 0;
}

/* A page read for a viewer named in the target, as the server reads it for the token's
 * account with the handler's defaults (no filters, the first page). */
static void floor_history_read(struct db_read *rd, int64_t id, int64_t viewer, auth_role role)
{
    chat_store_messages_read(rd, id, viewer, role, 0, 0, 50);
}

static void floor_chat_list_read(struct db_read *rd, int64_t id, int64_t viewer, auth_role role)
{
    struct chat_list_query q = {.viewer = viewer, .role = role, .awaiting = -1, .limit = 20};
    (void)id;
    chat_store_list_read(rd, &q);
}

static enum question_scope floor_question_scope(auth_role role)
{
    return role == ROLE_SELLER  ? QUESTION_SELLER
           : role == ROLE_BUYER ? QUESTION_BUYER
                                : QUESTION_SUPPORT;
}

static void floor_question_list_read(struct db_read *rd, int64_t id, int64_t viewer, auth_role role)
{
    struct question_filter f = {
        .scope = floor_question_scope(role), .user_id = viewer, .limit = 20};
    (void)id;
    question_store_list_read(rd, &f);
}

static void floor_question_counts_read(struct db_read *rd, int64_t id, int64_t viewer,
                                       auth_role role)
{
    (void)id;
    question_store_counts_read(rd, floor_question_scope(role), viewer);
}

/* (the handler's first page: every tab, read or not, 20 items) */
static void floor_feed_read(struct db_read *rd, int64_t id, int64_t viewer, auth_role role)
{
    struct feed_query q = {.user_id = viewer, .limit = 20};
    (void)id;
    (void)role;
    notification_store_feed_read(rd, &q);
}

/* The pages: PATH?viewer=USER&role=ROLE, '#' in the path standing for an id. A page's body is
 * its items (a DB_PAGE's second column: without the cursor and envelope the server adds, so the
 * floor is a conservative one); a one-row read's is its text. */
static const struct floor_page floor_pages[] = {
    {"/v1/chats/#/messages", 1, floor_history_read},
    {"/v1/chats", 1, floor_chat_list_read},
    {"/v1/questions", 1, floor_question_list_read},
    {"/v1/questions/counts", 0, floor_question_counts_read},
    {"/v1/notifications", 1, floor_feed_read},
};

/* The path at *p against pattern ('#': an id, into *id), up to the '?'; *p moved past it. */
static int floor_path_is(const char **p, const char *pattern, int64_t *id)
{
    const char *s = *p;
    for (; *pattern; pattern++) {
        if (*pattern == '#') {
            if (!(*id = floor_id(&s)))
                return 0;
        } else if (*s++ != *pattern) {
            return 0;
        }
    }
    if (*s != '?')
        return 0;
    *p = s + 1;
    return 1;
}

/* The page the head at in asks for (GET PATH?viewer=USER&role=ROLE and a space, read by hand
 * as the product's id is, so that the floor stays a floor), built into rd; NULL when none. */
static const struct floor_page *floor_page_of(const char *in, struct db_read *rd)
{
    static const char viewer_is[] = "viewer=", role_is[] = "&role=";
    if (strncmp(in, "GET ", 4) != 0)
        return NULL;
    for (size_t k = 0; k < sizeof floor_pages / sizeof floor_pages[0]; k++) {
        const char *p = in + 4;
        int64_t id = 0, viewer;
        if (!floor_path_is(&p, floor_pages[k].path, &id) ||
            strncmp(p, viewer_is, sizeof viewer_is - 1) != 0)
            continue;
        p += sizeof viewer_is - 1;
        if (!(viewer = floor_id(&p)) || strncmp(p, role_is, sizeof role_is - 1) != 0)
            return NULL;
        p += sizeof role_is - 1;
        char name[16];
        size_t n = 0; /* (in is not NUL-terminated: the name is read up to its space, 15 bytes) */
        while (n < sizeof name - 1 && p[n] >= 'a' && p[n] <= 'z')
            n++;
        if (n == 0 || p[n] != ' ')
            return NULL;
        memcpy(name, p, n);
        name[n] = '\0';
        auth_role role = auth_role_parse(name);
        if (role == ROLE_NONE)
            return NULL;
        floor_pages[k].read(rd, id, viewer, role);
        return &floor_pages[k];
    }
    return NULL;
}

/* Takes the complete requests buffered, one at a time: a read on the pipe stops it until its
 * answer has gone. */
static void floor_serve(struct floor_client *c)
{
    static const char prefix[] = "GET /v1/products/";
    while (c->fd >= 0 && !floor_busy(c)) {
        char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
        if (!end) {
            if (c->inlen == FLOOR_IN)
                floor_close(c);
            return;
        }
        size_t used = (size_t)(end + 4 - c->in);
        if (strncmp(c->in, "GET ", 4) != 0) {
            floor_close(c);
            return;
        }
        /* /v1/products/DIGITS, then the end of the path: nothing else is a product */
        char *after = NULL;
        int64_t id = 0;
        if (strncmp(c->in, prefix, sizeof prefix - 1) == 0 && c->in[sizeof prefix - 1] >= '0' &&
            c->in[sizeof prefix - 1] <= '9')
            id = strtoll(c->in + sizeof prefix - 1, &after, 10);
        int product = after && (*after == ' ' || *after == '?');
        struct db_read rd;
        const struct floor_page *page = product ? NULL : floor_page_of(c->in, &rd);
        memmove(c->in, c->in + used, c->inlen - used);
        c->inlen -= used;
        if (!c->l->pipe) {
            floor_send(c, 200, "{\"ok\":true}", 11);
        } else if (!page && (!product || id <= 0)) {
            floor_send(c, 404, "{}", 2);
        } else {
            if (!page)
                product_store_get_read(&rd, id);
            c->page = page;
            c->waiting = 1;
            c->submitting = 1;
            db_pipe_submit(c->l->pipe, &rd, floor_done, c);
            c->submitting = 0;
        }
    }
}

static void floor_readable(struct floor_client *c)
{
    if (floor_busy(c) || c->eof) {
        c->unread = !c->eof;
        return;
    }
    c->unread = 0;
    for (;;) {
        size_t room = FLOOR_IN - c->inlen;
        if (room == 0) {
            c->unread = 1; /* read on once the buffered requests are answered */
            break;
        }
        ssize_t n = recv(c->fd, c->in + c->inlen, room, 0);
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) {
            floor_close(c);
            return;
        }
        if (n == 0) {
            c->eof = 1;
            break;
        }
        c->inlen += (size_t)n;
        /* less than asked for: the socket is empty now, and the next bytes make a new edge */
        if ((size_t)n < room)
            break;
    }
    floor_next(c);
}

static void floor_writable(struct floor_client *c)
{
    ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) {
        floor_close(c);
        return;
    }
    c->outoff += n > 0 ? (size_t)n : 0;
    if (c->outoff < c->outlen)
        return;
    free(c->out);
    c->out = NULL;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = c};
    epoll_ctl(c->l->ep, EPOLL_CTL_MOD, c->fd, &ev);
    floor_next(c);
}

static void floor_take(struct floor_loop *l)
{
    int fds[64];
    ssize_t n = read(l->handoff[0], fds, sizeof fds);
    for (ssize_t i = 0; i < n / (ssize_t)sizeof(int); i++) {
        struct floor_client *c = calloc(1, sizeof *c);
        if (!c) {
            close(fds[i]);
            continue;
        }
        c->fd = fds[i];
        c->l = l;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = c};
        if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            close(c->fd);
            free(c);
        }
    }
}

static void *floor_loop_main(void *arg)
{
    struct floor_loop *l = arg;
    struct epoll_event evs[FLOOR_EVENTS];
    for (;;) {
        int n;
        if (l->pipe) {
            /* the pipe's wait covers this epoll (its watch_fd), as api/loop.c's covers
             * libmicrohttpd's; then the ready clients are taken without waiting, when there
             * are any (as api/loop.c runs libmicrohttpd only then, since the twelfth step) */
            n = db_pipe_turn(l->pipe, -1) ? epoll_wait(l->ep, evs, FLOOR_EVENTS, 0) : 0;
        } else {
            n = epoll_wait(l->ep, evs, FLOOR_EVENTS, -1);
        }
        for (int i = 0; i < n; i++) {
            struct floor_client *c = evs[i].data.ptr;
            if (!c) {
                floor_take(l);
                continue;
            }
            if (c->out && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
                floor_writable(c);
            if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                floor_readable(c);
            floor_release(c);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: floor PORT THREADS [DATABASE_URL]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    nloops = atoi(argv[2]);
    const char *url = argc > 3 ? argv[3] : NULL;
    if (port <= 0 || port > 65535 || nloops <= 0 || nloops > FLOOR_MAX_THR) {
        fprintf(stderr, "floor: PORT and THREADS (1-%d) must be positive\n", FLOOR_MAX_THR);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int one = 1;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, SOMAXCONN) != 0) {
        perror("floor: listen");
        return 1;
    }
    for (int i = 0; i < nloops; i++) {
        struct floor_loop *l = &loops[i];
        l->ep = epoll_create1(EPOLL_CLOEXEC);
        if (l->ep < 0 || pipe2(l->handoff, O_CLOEXEC | O_NONBLOCK) != 0) {
            perror("floor: epoll");
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        epoll_ctl(l->ep, EPOLL_CTL_ADD, l->handoff[0], &ev);
        if (url) {
            /* the server's defaults: one connection, its statement timeout */
            l->pipe = db_pipe_start(url, 1, 4096, 5000, 5, l->ep);
            if (!l->pipe) {
                fprintf(stderr, "floor: no statement pipe to %s\n", url);
                return 1;
            }
        }
        if (pthread_create(&l->thread, NULL, floor_loop_main, l) != 0) {
            perror("floor: thread");
            return 1;
        }
    }
    printf("floor: http://127.0.0.1:%d, %d threads, %s\n", port, nloops,
           url ? "product reads and pages on the statement pipe" : "HTTP alone");
    fflush(stdout);
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (unsigned next = 0;; next++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            /* out of descriptors: the backlog waits a moment rather than spinning */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                nanosleep(&pause, NULL);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct floor_loop *l = &loops[next % (unsigned)nloops];
        if (write(l->handoff[1], &fd, sizeof fd) != (ssize_t)sizeof fd)
            close(fd);
    }
}
