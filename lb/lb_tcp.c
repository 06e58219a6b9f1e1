/*
 * lb_tcp.c: owns the service ports. Each service of the table has a
 * listener on its port; each connection accepted there goes to one of the
 * service's backends (lb_table_pick), and a connect that is refused or
 * slower than --connect_timeout ejects that backend and tries the next,
 * up to --retries more, so the client never sees a dead task. Then bytes
 * flow both ways until both sides have ended, read into lb->scratch and
 * written straight on (lb_side.c keeps what a slow reader does not take,
 * and the other side is not read meanwhile). A connection quiet for
 * --idle_timeout ends. The client connection count is capped: at the
 * cap, every listener pauses and the kernel's backlog holds the rest.
 *
 * With --workers above 1, a connection whose backend has answered moves
 * to a worker thread (lb_worker.c), whose loop runs the same byte pump;
 * its fds, sides, timer and pending byte counts are then the worker's
 * alone, while its service, backend and list links stay the main loop's.
 * The worker hands it back (DONE) when it ends; the main loop ends one
 * that runs there only by asking (KILL), detaching it at once.
 */
#include "lb/lb.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "xmem.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRIES_MAX 16    /* backends one connection may try, whatever --retries says */

struct tcp_conn {
	struct lb *lb;
	struct lb_service *svc;
	struct lb_backend *be;           /* the backend connected or being connected to */
	struct lb_link link;             /* in its backend's list */
	struct lb_link all;              /* in lb->conns */
	struct lb_side c;                /* the client */
	struct lb_side b;                /* the backend */
	struct lb_backend *tried[TRIES_MAX];
	size_t ntried;
	int connecting;
	int cev, bev;                    /* the events the loop watches on c and b now */
	uint64_t timer;                  /* the connect timeout, then the idle check */
	int64_t last_active;
	char peer[LB_ADDR_MAX];
	struct loop *loop;               /* the loop running it: lb's, or its worker's */
	char *scratch;                   /* that loop's read buffer */
	struct lb_worker *w;             /* set: a worker runs it, and owns the fields above */
	struct lb_link wlink;            /* in that worker's list */
	int killed;                      /* the main loop asked its worker to end it */
	int be_failed;                   /* the backend's side broke: counted by the main loop */
	uint64_t in, out;                /* bytes not yet added to the counters */
	char *why;                       /* why it ended, for the main loop's log (malloc'ed) */
};

static void tcp_update(struct tcp_conn *t);
static void try_connect(struct tcp_conn *t);

/* ---- the connection count and the listeners' pause ---------------------------------- */

static void
set_listeners(struct lb *lb, int events)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);) {
		struct lb_service *s = v;

		if (s->listen_fd >= 0)
			loop_set_events(lb->loop, s->listen_fd, events);
	}
	if (lb->http_fd >= 0)
		loop_set_events(lb->loop, lb->http_fd, events);
}

void
lb_tcp_accepting(struct lb *lb, int on)
{
	if (lb->accepting == on)
		return;
	lb->accepting = on;
	set_listeners(lb, on ? LOOP_READ : 0);
	if (!on)
		log_warnx("%lld connections open (--max_connections): not accepting more for now",
		    lb->open);
}

int
lb_conn_opened(struct lb *lb)
{
	if (lb->open >= lb->cfg.max_connections) {
		lb->refused++;
		lb_tcp_accepting(lb, 0);
		return -1;
	}
	lb->open++;
	if (lb->open >= lb->cfg.max_connections)
		lb_tcp_accepting(lb, 0);
	return 0;
}

void
lb_conn_closed(struct lb *lb)
{
	lb->open--;
	if (!lb->accepting && lb->open < lb->cfg.max_connections)
		lb_tcp_accepting(lb, 1);
}

/* ---- one proxied connection ---------------------------------------------------------- */

/* On the main loop: the bytes and errors t has not counted yet go to its backend and service. */
static void
account(struct tcp_conn *t)
{
	if (t->be != NULL) {
		t->be->n.bytes_in += t->in;
		t->be->n.bytes_out += t->out;
		if (t->be_failed)
			t->be->n.errors++;
	}
	t->svc->n.bytes_in += t->in;
	t->svc->n.bytes_out += t->out;
	if (t->be_failed && t->be != NULL)
		t->svc->n.errors++;
	t->in = t->out = 0;
	t->be_failed = 0;
}

/* On the main loop, once t's fds are closed: its counts, links and memory. */
static void
tcp_finish(struct tcp_conn *t, const char *why)
{
	struct lb *lb = t->lb;

	log_debug("%s: %s: closed: %s", t->svc->key, t->peer, why);
	account(t);
	if (t->be != NULL)
		lb_table_detach(lb, t->be, &t->link);
	if (t->all.next != NULL)
		lb_link_remove(&t->all);
	lb_table_release(lb, t->svc);
	lb_conn_closed(lb);
	free(t);
}

static void
tcp_close(struct tcp_conn *t, const char *why)
{
	loop_timer_cancel(t->loop, t->timer);
	t->timer = 0;
	lb_side_close(t->loop, &t->c);
	lb_side_close(t->loop, &t->b);
	if (t->w == NULL) {
		tcp_finish(t, why);
		return;
	}
	/* On the worker: the rest is the main loop's, and t is no longer ours once posted. */
	lb_link_remove(&t->wlink);
	t->why = xstrdup(why);
	lb_main_post(t->lb, LB_MAIL_DONE, t);
}

/* The main loop ends t: at once if it runs it, else by asking t's worker. */
static void
tcp_kill(void *arg, const char *why)
{
	struct tcp_conn *t = arg;

	if (t->w == NULL) {
		tcp_close(t, why);
		return;
	}
	if (t->killed)
		return;
	t->killed = 1;
	/* kill() detaches: its callers loop until their list is empty. */
	if (t->be != NULL)
		lb_table_detach(t->lb, t->be, &t->link);
	t->be = NULL;
	lb_link_remove(&t->all);
	lb_worker_post(t->w, LB_MAIL_KILL, t);
}

/* On t's worker: the main loop's KILL or the worker's end. */
static void
tcp_worker_kill(void *t, const char *why)
{
	tcp_close(t, why);
}

/* A broken side: count it against the backend if it was the backend's. */
static void
tcp_fail(struct tcp_conn *t, const char *what, int err)
{
	char why[LB_ERR_MAX];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(err));
	if (strncmp(what, "backend", strlen("backend")) == 0)
		t->be_failed = 1;
	tcp_close(t, why);
}

static void
on_idle(struct loop *loop, void *arg)
{
	struct tcp_conn *t = arg;
	int64_t quiet = loop_now(loop) - t->last_active;

	t->timer = 0;
	if (quiet >= t->lb->cfg.idle_timeout_ms) {
		tcp_close(t, "idle timeout");
		return;
	}
	t->timer = loop_timer_add(loop, t->lb->cfg.idle_timeout_ms - quiet, on_idle, t);
}

/* Bytes from one side to the other: 0 to go on, -1 when t is gone. */
static int
pump(struct tcp_conn *t, struct lb_side *from, struct lb_side *to, uint64_t *bytes,
     const char *from_name, const char *to_name)
{
	ssize_t n = lb_side_read(from, t->scratch, LB_READ_BYTES);

	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		tcp_fail(t, from_name, errno);
		return -1;
	}
	t->last_active = loop_now(t->loop);
	if (n == 0) {
		lb_side_shut_when_flushed(to);
		return 0;
	}
	*bytes += (uint64_t)n;
	if (lb_side_send(to, t->scratch, (size_t)n) < 0) {
		tcp_fail(t, to_name, errno);
		return -1;
	}
	return 0;
}

static void
on_io(struct loop *loop, int fd, int events, void *arg)
{
	struct tcp_conn *t = arg;
	int client = fd == t->c.fd;
	struct lb_side *me = client ? &t->c : &t->b, *other = client ? &t->b : &t->c;
	const char *me_name = client ? "client" : "backend";
	const char *other_name = client ? "backend" : "client";

	(void)loop;
	if ((events & (LOOP_WRITE | LOOP_ERROR)) && lb_side_pending(me) > 0 &&
	    lb_side_flush(me) < 0) {
		tcp_fail(t, me_name, errno);
		return;
	}
	if ((events & (LOOP_READ | LOOP_ERROR)) && !me->eof && lb_side_pending(other) == 0 &&
	    pump(t, me, other, client ? &t->in : &t->out, me_name, other_name) < 0)
		return;
	/* A worker's connection is counted when it ends: the counters are the main loop's. */
	if (t->w == NULL)
		account(t);
	if (t->c.eof && t->b.eof && lb_side_pending(&t->c) == 0 && lb_side_pending(&t->b) == 0) {
		tcp_close(t, "both sides ended");
		return;
	}
	tcp_update(t);
}

static int
side_events(const struct lb_side *me, const struct lb_side *other)
{
	return (!me->eof && lb_side_pending(other) == 0 ? LOOP_READ : 0) |
	       (lb_side_pending(me) > 0 ? LOOP_WRITE : 0);
}

/*
 * Tell the loop only what changed: a kept-alive connection mostly reads
 * both sides turn after turn, and this runs after every one.
 */
static void
tcp_update(struct tcp_conn *t)
{
	int cev = side_events(&t->c, &t->b), bev = side_events(&t->b, &t->c);

	if (cev != t->cev)
		loop_set_events(t->loop, t->c.fd, cev);
	if (bev != t->bev)
		loop_set_events(t->loop, t->b.fd, bev);
	t->cev = cev;
	t->bev = bev;
}

/* Bytes start to flow, on whichever loop runs t. */
static void
start_moving(struct tcp_conn *t)
{
	t->last_active = loop_now(t->loop);
	t->timer = loop_timer_add(t->loop, t->lb->cfg.idle_timeout_ms, on_idle, t);
	loop_watch(t->loop, t->c.fd, 0, on_io, t);
	loop_watch(t->loop, t->b.fd, 0, on_io, t);
	t->cev = t->bev = 0;
	tcp_update(t);
}

static void
connected(struct tcp_conn *t)
{
	struct lb *lb = t->lb;
	struct lb_worker *w = lb_worker_next(lb);

	t->connecting = 0;
	loop_timer_cancel(lb->loop, t->timer);
	t->timer = 0;
	if (w == NULL) {
		start_moving(t);
		return;
	}
	loop_unwatch(lb->loop, t->b.fd);
	t->w = w;
	lb_worker_post(w, LB_MAIL_ADOPT, t);
}

void
lb_tcp_worker_mail(struct lb_worker *w, enum lb_mail_kind kind, void *item)
{
	struct lb_link *conns = lb_worker_conns(w);
	struct tcp_conn *t = item;

	if (kind == LB_MAIL_ADOPT) {
		t->loop = lb_worker_loop(w);
		t->scratch = lb_worker_scratch(w);
		t->wlink.kill = tcp_worker_kill;
		t->wlink.owner = t;
		lb_link_insert(conns, &t->wlink);
		start_moving(t);
		return;
	}
	/* A KILL may cross the connection's DONE: only one still here is ended (and read). */
	for (struct lb_link *l = conns->next; kind == LB_MAIL_KILL && l != conns; l = l->next)
		if (l->owner == item) {
			tcp_close(t, "ended by the main loop (drain timeout or shutdown)");
			return;
		}
}

void
lb_tcp_main_mail(struct lb *lb, enum lb_mail_kind kind, void *item)
{
	struct tcp_conn *t = item;

	(void)lb;
	if (kind == LB_MAIL_DONE) {
		char *why = t->why;

		tcp_finish(t, why);
		free(why);
	}
}

/* The connect to t->be failed: rest it, and try another one. */
static void
connect_failed(struct tcp_conn *t, const char *why)
{
	struct lb *lb = t->lb;

	loop_timer_cancel(lb->loop, t->timer);
	t->timer = 0;
	lb_table_eject(lb, t->be, why);
	lb_table_detach(lb, t->be, &t->link);
	t->be = NULL;
	lb_side_close(lb->loop, &t->b);
	try_connect(t);
}

static void
on_connect(struct loop *loop, int fd, int events, void *arg)
{
	struct tcp_conn *t = arg;
	char why[LB_ERR_MAX];

	(void)loop;
	(void)events;
	if (net_connect_result(fd, why, sizeof(why)) < 0) {
		connect_failed(t, why);
		return;
	}
	connected(t);
}

static void
on_connect_timeout(struct loop *loop, void *arg)
{
	struct tcp_conn *t = arg;

	(void)loop;
	t->timer = 0;
	connect_failed(t, "connect timed out");
}

static void
resume_accept(struct loop *loop, void *arg)
{
	struct lb *lb = arg;

	(void)loop;
	lb->accept_retry_timer = 0;
	if (lb->open < lb->cfg.max_connections)
		lb_tcp_accepting(lb, 1);
}

/*
 * Out of descriptors (EMFILE, ENFILE) or memory, in an accept or in the
 * connect of a connection just accepted: a listener's backlog stays
 * readable, so accepting again at once would spin (taking the last
 * descriptor, then failing the connect). Accepting pauses instead, until
 * LB_ACCEPT_RETRY_MS pass or a connection closes. Said once per shortage:
 * it may last, and each retry would say it again.
 */
static void
starved(struct lb *lb, const char *who, const char *what)
{
	if (!lb->fd_starved)
		log_warn("%s: %s (accepting pauses for %d ms at a time until it works)", who, what,
		         LB_ACCEPT_RETRY_MS);
	lb->fd_starved = 1;
	lb->accepting = 0;
	set_listeners(lb, 0);
	if (lb->accept_retry_timer == 0)
		lb->accept_retry_timer = loop_timer_add(lb->loop, LB_ACCEPT_RETRY_MS, resume_accept, lb);
}

/* A connection got the descriptors it needs: a shortage, if any, is over. */
static void
fed(struct lb *lb)
{
	if (!lb->fd_starved)
		return;
	log_info("descriptors are to be had again");
	lb->fd_starved = 0;
}

int
lb_tcp_connect_next(struct lb *lb, struct lb_service *s, const char *peer,
                    struct lb_backend **tried, size_t *ntried, size_t tries_max,
                    struct lb_link *link, struct lb_backend **be, const char **why)
{
	char err[LB_ERR_MAX];

	for (;;) {
		struct lb_backend *b;
		int fd, saved;

		if (*ntried > 0 && ((long long)*ntried > lb->cfg.retries || *ntried >= tries_max)) {
			*why = "no backend answered";
			return -1;
		}
		b = lb_table_pick(lb, s, tried, *ntried, lb_table_hash_peer(peer));
		if (b == NULL) {
			if (*ntried == 0)
				s->no_backend++;
			*why = *ntried == 0 ? "no backend" : "no backend answered";
			return -1;
		}
		tried[(*ntried)++] = b;
		lb_table_attach(lb, b, link);
		fd = net_connect(b->addr, b->port, err, sizeof(err));
		if (fd >= 0) {
			fed(lb);
			*be = b;
			return fd;
		}
		saved = errno;
		lb_table_detach(lb, b, link);
		/* Our own shortage, not the backend's fault: no ejection, no other backend. */
		if (saved == EMFILE || saved == ENFILE) {
			errno = saved;
			starved(lb, s->key, "connect");
			*why = "out of descriptors";
			return -1;
		}
		lb_table_eject(lb, b, err);
	}
}

static void
try_connect(struct tcp_conn *t)
{
	struct lb *lb = t->lb;
	const char *why;
	int fd = lb_tcp_connect_next(lb, t->svc, t->peer, t->tried, &t->ntried, TRIES_MAX, &t->link,
	    &t->be, &why);

	if (fd < 0) {
		t->be = NULL;
		tcp_close(t, why);
		return;
	}
	lb_side_init(&t->b, fd);
	t->connecting = 1;
	loop_watch(lb->loop, fd, LOOP_WRITE, on_connect, t);
	t->timer = loop_timer_add(lb->loop, lb->cfg.connect_timeout_ms, on_connect_timeout, t);
}

void
lb_tcp_accepted(struct lb *lb, struct lb_service *s, int fd, const char *peer)
{
	struct tcp_conn *t = xcalloc(1, sizeof(*t));

	t->lb = lb;
	t->svc = s;
	t->link.kill = t->all.kill = tcp_kill;
	t->link.owner = t->all.owner = t;
	lb_link_insert(&lb->conns, &t->all);
	lb_side_init(&t->c, fd);
	lb_side_init(&t->b, -1);
	t->loop = lb->loop;
	t->scratch = lb->scratch;
	xstrlcpy(t->peer, peer, sizeof(t->peer));
	lb_table_hold(lb, s);
	try_connect(t);
}

/* ---- listeners ---------------------------------------------------------------------- */


void
lb_tcp_accept(struct lb *lb, int lfd, struct lb_service *s, int http)
{
	char peer[LB_ADDR_MAX];

	for (int i = 0; i < LB_ACCEPT_BATCH && lb->accepting; i++) {
		int fd = net_accept(lfd, peer, sizeof(peer));

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			starved(lb, s != NULL ? s->key : "HTTP port", "accept");
			return;
		}
		/* The HTTP port's connections connect later: their accept ends a shortage. */
		if (s == NULL)
			fed(lb);
		if (lb_conn_opened(lb) < 0) {
			close(fd);
			return;
		}
		if (http)
			lb_http_accepted(lb, s, fd, peer);
		else
			lb_tcp_accepted(lb, s, fd, peer);
	}
}

static void
on_accept(struct loop *loop, int lfd, int events, void *arg)
{
	struct lb_service *s = arg;

	(void)loop;
	(void)events;
	lb_tcp_accept(s->lb, lfd, s, s->mode == LB_MODE_HTTP);
}

void
lb_tcp_unlisten(struct lb *lb, struct lb_service *s)
{
	if (s->listen_fd < 0)
		return;
	loop_unwatch(lb->loop, s->listen_fd);
	close(s->listen_fd);
	s->listen_fd = -1;
	free(s->listen_addr);
	s->listen_addr = NULL;
}

static void
on_relisten(struct loop *loop, void *arg)
{
	struct lb *lb = arg;

	(void)loop;
	lb->relisten_timer = 0;
	lb_tcp_reconcile(lb);
}

void
lb_tcp_reconcile(struct lb *lb)
{
	int failed = 0;
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);) {
		struct lb_service *s = v;
		char err[LB_ERR_MAX];

		if (s->listen_fd >= 0 && (s->listen_port != s->port ||
		    strcmp(s->listen_addr, s->bind_addr) != 0))
			lb_tcp_unlisten(lb, s);
		if (s->listen_fd >= 0)
			continue;
		s->listen_fd = net_listen(s->bind_addr, s->port, err, sizeof(err));
		if (s->listen_fd < 0) {
			log_warnx("%s: cannot listen on service port %d: %s (trying again)", s->key,
			    s->port, err);
			failed = 1;
			continue;
		}
		s->listen_port = s->port;
		s->listen_addr = xstrdup(s->bind_addr);
		loop_watch(lb->loop, s->listen_fd, lb->accepting ? LOOP_READ : 0, on_accept, s);
		log_info("%s: listening on %s:%d (%s)", s->key, s->bind_addr, s->port,
		    s->mode == LB_MODE_HTTP ? "http" : "tcp");
	}
	if (failed && lb->relisten_timer == 0)
		lb->relisten_timer = loop_timer_add(lb->loop, LB_RELISTEN_MS, on_relisten, lb);
}

void
lb_tcp_close_all(struct lb *lb)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&lb->services, &i, &k, &v);)
		lb_tcp_unlisten(lb, v);
	loop_timer_cancel(lb->loop, lb->relisten_timer);
	lb->relisten_timer = 0;
	loop_timer_cancel(lb->loop, lb->accept_retry_timer);
	lb->accept_retry_timer = 0;
}
