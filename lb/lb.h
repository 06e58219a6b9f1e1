/*
 * lb.h: mesos-lb, the load balancer that follows Marathon; the contract
 * between its files, one per subsystem:
 *   lb.c          main: flags (MESOS_LB_*), start-up, signals
 *   lb_table.c    the backend table: services (an app's service port) and
 *                 their backends (its tasks), built from Marathon's apps,
 *                 changed by its events; picking a backend; ejections
 *   lb_follow.c   the Marathon follower: /v2/apps?embed=apps.tasks, then
 *                 /v2/events, reconnects with backoff, several URLs
 *   lb_side.c     one socket of a proxied connection: reads, writes and
 *                 the bytes the far side has not taken yet (bounded)
 *   lb_tcp.c      a listener per service port; each connection spliced to
 *                 a backend, with retries on a refused or slow connect
 *   lb_http.c     the shared HTTP port: virtual hosts by Host and path,
 *                 keep-alive with clients, X-Forwarded-For
 *   lb_stats.c    /_lb/stats and /_lb/health, on the stats port
 *   lb_haproxy.c  the same table as an HAProxy configuration, written and
 *                 reloaded when it changes (--haproxy_config)
 *   lb_worker.c   the worker threads (--workers) that move a service
 *                 port's bytes, and their mailboxes to and from the main loop
 * Names and labels follow marathon-lb's (HAPROXY_GROUP, HAPROXY_{n}_VHOST,
 * ...); timeouts default to the values of its HAProxy template.
 */
#ifndef LB_H
#define LB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conn.h"
#include "map.h"

struct loop;
struct json;
struct buf;
struct lb_follow;
struct lb_haproxy;
struct lb_worker;
struct lb_mailbox;

#define LB_DEFAULT_HTTP_PORT            80
#define LB_DEFAULT_STATS_PORT           9090    /* marathon-lb's stats port */
#define LB_DEFAULT_IP                   "0.0.0.0"
#define LB_DEFAULT_GROUP                "*"     /* every app */
#define LB_DEFAULT_MAX_CONNECTIONS      4096    /* client connections at once */
#define LB_DEFAULT_CONNECT_TIMEOUT_MS   3000    /* HAProxy template: timeout connect 3s */
#define LB_DEFAULT_IDLE_TIMEOUT_MS      30000   /* timeout client / server 30s */
#define LB_DEFAULT_REQUEST_TIMEOUT_MS   15000   /* timeout http-request 15s */
#define LB_DEFAULT_KEEPALIVE_TIMEOUT_MS 1000    /* timeout http-keep-alive 1s */
#define LB_DEFAULT_DRAIN_TIMEOUT_MS     30000   /* a gone backend's connections, at most */
#define LB_DEFAULT_EJECT_MS             10000   /* a backend that failed a connect rests */
#define LB_DEFAULT_RETRIES              3       /* other backends tried after a failed connect */
#define LB_DEFAULT_LOG_LEVEL            "info"
#define LB_WORKERS_MAX                  64      /* --workers: threads, at most */
#define LB_STR_(x)                      #x
#define LB_STR(x)                       LB_STR_(x)

/* Bytes read at once from a socket, and the most one side may hold unsent. */
#define LB_READ_BYTES                   16384
#define LB_PENDING_MAX                  (4 * LB_READ_BYTES)
#define LB_HEAD_MAX                     16384   /* an HTTP request's or response's head */
#define LB_ADDR_MAX                     64      /* "ip:port" of a peer */
#define LB_HOST_MAX                     256
#define LB_ERR_MAX                      512
#define LB_PORT_MAX                     65535
#define LB_MS_PER_S                     1000
/* Listeners that failed to bind are tried again this often. */
#define LB_RELISTEN_MS                  5000
/* Accepts per readable listener before the loop serves the others. */
#define LB_ACCEPT_BATCH                 64
/* Out of descriptors: accepting pauses this long (a close resumes it sooner). */
#define LB_ACCEPT_RETRY_MS              100

enum lb_balance { LB_BALANCE_ROUNDROBIN, LB_BALANCE_LEASTCONN, LB_BALANCE_SOURCE };
enum lb_mode { LB_MODE_TCP, LB_MODE_HTTP };

/*
 * A proxied connection as its backend knows it: draining a backend ends
 * its connections through kill() when the drain timeout passes.
 */
struct lb_link {
	struct lb_link *prev, *next;
	void (*kill)(void *owner, const char *why);   /* ends the connection, detaching it */
	void *owner;
};

struct lb_counters {
	long long open;           /* connections now */
	long long total;          /* connections ever */
	long long errors;         /* failed connects, resets, bad responses */
	long long ejections;
	uint64_t bytes_in;        /* client to backend */
	uint64_t bytes_out;       /* backend to client */
};

struct lb_service;

struct lb_backend {
	struct lb_service *svc;
	char *task_id;
	char *host;               /* as Marathon names it */
	char addr[LB_HOST_MAX];   /* numeric, resolved once */
	int port;
	int running;              /* TASK_RUNNING (or LOST/UNREACHABLE, as marathon-lb) */
	int healthy;              /* its health checks pass (1 when the app has none) */
	int draining;             /* gone or being killed: no new connections */
	int64_t drain_deadline;   /* monotonic ms: its connections end by then */
	int64_t ejected_until;    /* monotonic ms: passive health, no connections before */
	int seen;                 /* mark for a table sync */
	struct lb_counters n;
	struct lb_link conns;     /* its connections (a list head) */
};

struct lb_service {
	struct lb *lb;
	char *key;                /* "APP_ID:INDEX" */
	char *app_id;
	int index;                /* the port index n of HAPROXY_{n}_* */
	int port;                 /* the service port (HAPROXY_{n}_PORT overrides it) */
	char *bind_addr;          /* HAPROXY_{n}_BIND_ADDR, else --ip */
	enum lb_mode mode;
	enum lb_balance balance;
	char **vhosts;            /* HAPROXY_{n}_VHOST, lower case */
	size_t nvhosts;
	char **paths;             /* HAPROXY_{n}_PATH prefixes */
	size_t npaths;
	int has_health;           /* the app has health checks: only healthy tasks serve */
	struct lb_backend **b;    /* live backends, in Marathon's order */
	size_t nb;
	size_t rr;                /* round-robin cursor */
	int seen;
	int removed;              /* no longer Marathon's: freed with its last connection */
	int listen_fd;            /* lb_tcp's listener, -1 when none */
	int listen_port;          /* what it is bound to */
	char *listen_addr;
	long long no_backend;     /* connections that found no backend */
	struct lb_counters n;
};

struct lb_config {
	char *marathon;           /* URL[,URL...] */
	char *marathon_credentials; /* user:password for Marathon's http_credentials, or NULL */
	char *group;              /* NAME[,NAME...] or * */
	char *ip;
	long long http_port;      /* -1: none */
	long long stats_port;     /* -1: none */
	long long max_connections;
	int64_t connect_timeout_ms;
	int64_t idle_timeout_ms;
	int64_t request_timeout_ms;
	int64_t keepalive_timeout_ms;
	int64_t drain_timeout_ms;
	int64_t eject_ms;
	long long retries;
	char *haproxy_config;     /* set: write HAProxy's configuration instead of proxying */
	char *haproxy_reload;
	long long workers;        /* loops moving bytes: 1 = the main loop alone */
};

struct lb {
	struct lb_config cfg;
	struct loop *loop;
	struct map services;      /* key -> struct lb_service */
	struct map resolved;      /* host -> its numeric address (malloc'ed) */
	struct lb_backend **gone; /* drained backends whose connections still run */
	size_t ngone;
	struct lb_service **gone_svcs;  /* removed services whose connections still run */
	size_t ngone_svcs;
	struct lb_link conns;     /* every client connection (a list head), ended at shutdown */
	struct lb_follow *follow;
	struct lb_haproxy *haproxy;
	int http_fd;              /* the shared HTTP port's listener, -1 when none */
	int stats_fd;
	long long open;           /* client connections now, all kinds */
	long long refused;        /* turned away at --max_connections */
	int accepting;            /* listeners watched (not paused at the cap) */
	int synced;               /* the table has been read from Marathon once */
	uint64_t relisten_timer;
	uint64_t accept_retry_timer;  /* accepting paused: out of descriptors */
	int fd_starved;           /* out of descriptors since the last connection that got its own: said once */
	uint64_t drain_timer;
	int64_t started_ms;
	struct lb_worker **workers;   /* --workers > 1: the threads, else none */
	size_t nworkers, next_worker;
	struct lb_mailbox *mail;      /* from the workers to the main loop */
	char scratch[LB_READ_BYTES];  /* every read lands here first */
};

/* lb_table.c */
void lb_table_init(struct lb *lb);
void lb_table_free(struct lb *lb);
/*
 * Replace the table with Marathon's apps (the body of /v2/apps?embed=
 * apps.tasks): services and backends that stay keep their counters and
 * connections; backends that went away drain. 0, or -1 with err.
 */
int lb_table_sync(struct lb *lb, const struct json *apps, char *err, size_t errlen);
/*
 * A status_update_event or health_status_changed_event applied at once.
 * Returns 1 when the table cannot tell what it means (an unknown app or a
 * new task): the caller reads /v2/apps again.
 */
int lb_table_event(struct lb *lb, const char *type, const struct json *ev);
/*
 * The backend a new connection of s goes to, skipping those in tried
 * (n of them): usable ones not ejected by the service's balance, else
 * (every one ejected) usable ones anyway. NULL when there is none.
 */
struct lb_backend *lb_table_pick(struct lb *lb, struct lb_service *s, struct lb_backend **tried,
                                 size_t ntried, uint32_t client_hash);
/* A connect to b failed: count it, and rest b for --eject_time. */
void lb_table_eject(struct lb *lb, struct lb_backend *b, const char *why);
/*
 * A client connection of s starts and ends: a removed service lives on
 * until its last one ends. Between them, a connection attaches to the
 * backend it proxies to and detaches from it (a drained backend lives on
 * until its last one detaches).
 */
void lb_table_hold(struct lb *lb, struct lb_service *s);
void lb_table_release(struct lb *lb, struct lb_service *s);
void lb_table_attach(struct lb *lb, struct lb_backend *b, struct lb_link *l);
void lb_table_detach(struct lb *lb, struct lb_backend *b, struct lb_link *l);
/* A list of links: init a head, insert after it, remove from wherever. */
void lb_link_init(struct lb_link *head);
void lb_link_insert(struct lb_link *head, struct lb_link *l);
void lb_link_remove(struct lb_link *l);
/* Usable: running, healthy, not draining. */
int lb_table_usable(const struct lb_backend *b);
/* The service on this listener fd, or the vhost route for host and path; NULL if none. */
struct lb_service *lb_table_by_fd(struct lb *lb, int fd);
struct lb_service *lb_table_route(struct lb *lb, const char *host, size_t host_len,
                                  const char *path, size_t path_len);
/* Services in key order, for stable output (stats, HAProxy); the array is malloc'ed. */
struct lb_service **lb_table_sorted(struct lb *lb, size_t *n);
/* The hash of a peer's address ("ip:port"), for balance source. */
uint32_t lb_table_hash_peer(const char *peer);

/* lb_side.c */
struct lb_side {
	int fd;
	char *pending;            /* bytes not yet written to fd; NULL when none */
	size_t poff, plen;
	int eof;                  /* its input has ended */
	int want_shut;            /* shut our output once nothing is kept */
	int shut;                 /* our output to it is shut */
};
void lb_side_init(struct lb_side *s, int fd);
/* Write now; what fd does not take is kept (at most LB_PENDING_MAX). 0, or -1 with errno. */
int lb_side_send(struct lb_side *s, const char *data, size_t len);
/* Write what is kept; 0 (some may be left), or -1 with errno. */
int lb_side_flush(struct lb_side *s);
size_t lb_side_pending(const struct lb_side *s);
/* Read: > 0 bytes, 0 at the end of input (eof set), -1 with errno (EAGAIN: nothing now). */
ssize_t lb_side_read(struct lb_side *s, char *buf, size_t cap);
/* Shut our output once nothing is kept (the far side's input ended). */
void lb_side_shut_when_flushed(struct lb_side *s);
/* Unwatch and close fd, free what is kept. */
void lb_side_close(struct loop *loop, struct lb_side *s);

/* lb_follow.c */
struct lb_follow *lb_follow_start(struct lb *lb, char *err, size_t errlen);
void lb_follow_stop(struct lb_follow *f);
/* "connected", "connecting", "backing off": for /_lb/health and stats. */
const char *lb_follow_state(const struct lb_follow *f);
const char *lb_follow_url(const struct lb_follow *f);

/* lb_tcp.c: listeners follow the table after each change. */
void lb_tcp_reconcile(struct lb *lb);
void lb_tcp_unlisten(struct lb *lb, struct lb_service *s);
void lb_tcp_close_all(struct lb *lb);
/* Start proxying the accepted fd of service s (also lb_http's service ports in HTTP mode). */
void lb_tcp_accepted(struct lb *lb, struct lb_service *s, int fd, const char *peer);
/*
 * Accept what waits on lfd (up to LB_ACCEPT_BATCH, while below the cap)
 * and hand each to lb_http_accepted (http, or s in HTTP mode) or
 * lb_tcp_accepted.
 */
void lb_tcp_accept(struct lb *lb, int lfd, struct lb_service *s, int http);
/*
 * The next backend of s for a connection (peer, the backends in tried,
 * *ntried of them, added to), attached through link, and a connect to it
 * under way: its fd, *be set. -1 when there is none to try any more:
 * *why says "no backend" (none at all, counted in s->no_backend) or "no
 * backend answered" (--retries used up).
 */
int lb_tcp_connect_next(struct lb *lb, struct lb_service *s, const char *peer,
                        struct lb_backend **tried, size_t *ntried, size_t tries_max,
                        struct lb_link *link, struct lb_backend **be, const char **why);
/* Pause or resume every listener (the --max_connections cap). */
void lb_tcp_accepting(struct lb *lb, int on);
/* One client connection ended: resume listeners below the cap. */
void lb_conn_closed(struct lb *lb);
/* A client connection may start: counts it, pauses listeners at the cap. 0, or -1 (refused). */
int lb_conn_opened(struct lb *lb);

/* lb_http.c */
int lb_http_listen(struct lb *lb, char *err, size_t errlen);
void lb_http_close(struct lb *lb);
/* Serve the accepted fd as HTTP; svc NULL: route by Host and path. */
void lb_http_accepted(struct lb *lb, struct lb_service *svc, int fd, const char *peer);

/* lb_stats.c */
int lb_stats_listen(struct lb *lb, char *err, size_t errlen);
void lb_stats_close(struct lb *lb);
/* The body of path (/_lb/stats, /_lb/health) into out: its status, or 404. */
int lb_stats_render(struct lb *lb, const char *path, struct buf *out);

/* lb_haproxy.c */
struct lb_haproxy *lb_haproxy_new(struct lb *lb);
void lb_haproxy_free(struct lb_haproxy *h);
/* The table changed: write the configuration if it differs, then reload. */
void lb_haproxy_update(struct lb *lb);

/* lb_worker.c */
enum lb_mail_kind {
	LB_MAIL_ADOPT,            /* to a worker: run this connection */
	LB_MAIL_KILL,             /* to a worker: end it (if it still runs it) */
	LB_MAIL_STOP,             /* to a worker: end them all, and the thread */
	LB_MAIL_DONE              /* to the main loop: this connection ended */
};
/* Start --workers threads (none when it is 1). 0, or -1 with err. */
int lb_workers_start(struct lb *lb, char *err, size_t errlen);
/* End every worker's connections and threads; their DONE mails are handled before it returns. */
void lb_workers_stop(struct lb *lb);
/* The worker the next connection goes to (round robin), NULL without workers. */
struct lb_worker *lb_worker_next(struct lb *lb);
void lb_worker_post(struct lb_worker *w, enum lb_mail_kind kind, void *item);
void lb_main_post(struct lb *lb, enum lb_mail_kind kind, void *item);
struct loop *lb_worker_loop(struct lb_worker *w);
char *lb_worker_scratch(struct lb_worker *w);
/* The connections w runs (a list head; each link's kill ends one on w's thread). */
struct lb_link *lb_worker_conns(struct lb_worker *w);
/* lb_tcp.c: a mail, on the worker's thread or on the main loop. */
void lb_tcp_worker_mail(struct lb_worker *w, enum lb_mail_kind kind, void *item);
void lb_tcp_main_mail(struct lb *lb, enum lb_mail_kind kind, void *item);

/* lb.c: every change of the table ends here (listeners, HAProxy). */
void lb_changed(struct lb *lb);

#endif
