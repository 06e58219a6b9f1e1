/*
 * lb_worker.c: owns mesos-lb's worker threads (--workers), each running
 * a loop of its own, and the mailboxes between them and the main loop.
 * The main loop keeps everything shared (Marathon, the table, listeners,
 * connects, stats); a service port's connection, once its backend has
 * answered, is handed to a worker that moves its bytes on another core,
 * and handed back when it ends (lb_tcp.c says what each side may touch).
 * A connection belongs to one thread at a time and changes hands only
 * through a mailbox (a mutex and a wake-up pipe), so nothing is shared
 * without the lock.
 */
#include "lb/lb.h"
#include "compat.h"
#include "log.h"
#include "loop.h"
#include "xmem.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Wake-up bytes drained per read: any number of them means "look at the list". */
#define WAKE_READ_BYTES 64

struct lb_mail {
	struct lb_mail *next;
	enum lb_mail_kind kind;
	void *item;
};

struct lb_mailbox {
	pthread_mutex_t lock;
	struct lb_mail *head, *tail;
	int wake[2];              /* a byte in it: the list is not empty */
};

struct lb_worker {
	struct lb *lb;
	struct loop *loop;
	pthread_t thread;
	int started;
	struct lb_mailbox in;     /* from the main loop */
	struct lb_link conns;     /* the connections it runs now */
	char scratch[LB_READ_BYTES];
};

static int
mailbox_init(struct lb_mailbox *m)
{
	m->head = m->tail = NULL;
	if (compat_pipe(m->wake) == -1)
		return -1;
	pthread_mutex_init(&m->lock, NULL);
	return 0;
}

static void
mailbox_free(struct lb_mailbox *m)
{
	struct lb_mail *x, *next;

	for (x = m->head; x != NULL; x = next) {
		next = x->next;
		free(x);
	}
	close(m->wake[0]);
	close(m->wake[1]);
	pthread_mutex_destroy(&m->lock);
}

static void
mailbox_post(struct lb_mailbox *m, enum lb_mail_kind kind, void *item)
{
	struct lb_mail *x = xmalloc(sizeof(*x));
	int was_empty;
	char byte = 0;

	x->next = NULL;
	x->kind = kind;
	x->item = item;
	pthread_mutex_lock(&m->lock);
	was_empty = m->head == NULL;
	if (m->tail != NULL)
		m->tail->next = x;
	else
		m->head = x;
	m->tail = x;
	pthread_mutex_unlock(&m->lock);
	/* A full pipe already holds a wake-up: losing this byte loses nothing. */
	if (was_empty && write(m->wake[1], &byte, 1) < 0 && errno != EAGAIN)
		log_warn("worker mailbox: wake-up");
}

/* The mails waiting, oldest first, taken out of m (after its wake-up bytes: none is lost). */
static struct lb_mail *
mailbox_take(struct lb_mailbox *m)
{
	char bytes[WAKE_READ_BYTES];
	struct lb_mail *list;

	while (read(m->wake[0], bytes, sizeof(bytes)) > 0)
		;
	pthread_mutex_lock(&m->lock);
	list = m->head;
	m->head = m->tail = NULL;
	pthread_mutex_unlock(&m->lock);
	return list;
}

/* ---- the worker's side ------------------------------------------------------------ */

static void
on_worker_mail(struct loop *loop, int fd, int events, void *arg)
{
	struct lb_worker *w = arg;
	struct lb_mail *x = mailbox_take(&w->in), *next;

	(void)fd;
	(void)events;
	for (; x != NULL; x = next) {
		next = x->next;
		if (x->kind == LB_MAIL_STOP) {
			while (w->conns.next != &w->conns)
				w->conns.next->kill(w->conns.next->owner, "shutting down");
			loop_stop(loop);
		} else {
			lb_tcp_worker_mail(w, x->kind, x->item);
		}
		free(x);
	}
}

static void *
worker_main(void *arg)
{
	struct lb_worker *w = arg;

	loop_run(w->loop);
	return NULL;
}

struct loop *
lb_worker_loop(struct lb_worker *w)
{
	return w->loop;
}

char *
lb_worker_scratch(struct lb_worker *w)
{
	return w->scratch;
}

struct lb_link *
lb_worker_conns(struct lb_worker *w)
{
	return &w->conns;
}

void
lb_worker_post(struct lb_worker *w, enum lb_mail_kind kind, void *item)
{
	mailbox_post(&w->in, kind, item);
}

/* ---- the main loop's side --------------------------------------------------------- */

static void
main_mail(struct lb *lb)
{
	struct lb_mail *x = mailbox_take(lb->mail), *next;

	for (; x != NULL; x = next) {
		next = x->next;
		lb_tcp_main_mail(lb, x->kind, x->item);
		free(x);
	}
}

static void
on_main_mail(struct loop *loop, int fd, int events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	main_mail(arg);
}

void
lb_main_post(struct lb *lb, enum lb_mail_kind kind, void *item)
{
	mailbox_post(lb->mail, kind, item);
}

struct lb_worker *
lb_worker_next(struct lb *lb)
{
	if (lb->nworkers == 0)
		return NULL;
	lb->next_worker = (lb->next_worker + 1) % lb->nworkers;
	return lb->workers[lb->next_worker];
}

int
lb_workers_start(struct lb *lb, char *err, size_t errlen)
{
	sigset_t all, old;

	if (lb->cfg.workers <= 1)
		return 0;
	lb->mail = xcalloc(1, sizeof(*lb->mail));
	if (mailbox_init(lb->mail) < 0) {
		snprintf(err, errlen, "workers: pipe: %s", strerror(errno));
		free(lb->mail);
		lb->mail = NULL;
		return -1;
	}
	loop_watch(lb->loop, lb->mail->wake[0], LOOP_READ, on_main_mail, lb);
	lb->workers = xcalloc((size_t)lb->cfg.workers, sizeof(*lb->workers));
	/* Signals are the main loop's: the workers never take one. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (long long i = 0; i < lb->cfg.workers; i++) {
		struct lb_worker *w = xcalloc(1, sizeof(*w));
		int rc;

		w->lb = lb;
		lb_link_init(&w->conns);
		lb->workers[lb->nworkers++] = w;
		if (mailbox_init(&w->in) < 0) {
			snprintf(err, errlen, "workers: pipe: %s", strerror(errno));
			lb->nworkers--;
			free(w);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return -1;
		}
		w->loop = loop_new();
		loop_watch(w->loop, w->in.wake[0], LOOP_READ, on_worker_mail, w);
		rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc != 0) {
			snprintf(err, errlen, "workers: a thread: %s", strerror(rc));
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return -1;
		}
		w->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_info("%zu worker threads move the service ports' bytes", lb->nworkers);
	return 0;
}

void
lb_workers_stop(struct lb *lb)
{
	for (size_t i = 0; i < lb->nworkers; i++) {
		struct lb_worker *w = lb->workers[i];

		if (w->started) {
			mailbox_post(&w->in, LB_MAIL_STOP, NULL);
			pthread_join(w->thread, NULL);
		}
	}
	/* What the workers handed back on their way out ends here, before the table goes. */
	if (lb->mail != NULL)
		main_mail(lb);
	for (size_t i = 0; i < lb->nworkers; i++) {
		struct lb_worker *w = lb->workers[i];

		loop_free(w->loop);
		mailbox_free(&w->in);
		free(w);
	}
	free(lb->workers);
	lb->workers = NULL;
	lb->nworkers = 0;
	if (lb->mail != NULL) {
		loop_unwatch(lb->loop, lb->mail->wake[0]);
		mailbox_free(lb->mail);
		free(lb->mail);
		lb->mail = NULL;
	}
}
