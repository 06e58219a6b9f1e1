/*
 * agent_spawner.c: agentd's side of the supervisor spawner (spawner.h).
 * It owns the spawner process: starting it with agentd, handing it one
 * supervisor to fork at a time from a bounded queue, and when it is gone,
 * starting the queued supervisors with exec and the spawner again after a
 * backoff. Without a spawner every supervisor starts with exec, as before.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"
#include "compat.h"
#include "sup/launcher.h"
#include "log.h"
#include "loop.h"
#include "sup/spawner.h"
#include "xmem.h"

#define SPAWN_QUEUE_MAX 256            /* launches waiting for the spawner; more go by exec */
#define SPAWNER_RESTART_INITIAL_MS 100
#define SPAWNER_RESTART_MAX_MS 30000
/*
 * A reply is read with the next launch, or at the latest this long after
 * its request, rather than waking the loop on its own: nearly every reply
 * says the supervisor was forked, which its own first line says again.
 */
#define SPAWNER_REPLY_LAZY_MS 50

struct spawn_request {
	struct spawn_request *next;
	char *key;                     /* the task's, to find it again for an exec instead */
	char *path;                    /* DIR/RUN, the supervisor's argument */
	int fd;                        /* the supervisor's end of its socketpair */
};

struct agent_spawner {
	pid_t pid;
	int fd;                        /* -1 while there is no spawner */
	struct spawn_request *head, *tail;
	size_t queued;
	int in_flight;                 /* head was sent; its reply is awaited */
	char reply[SPAWNER_REPLY_MAX];
	size_t reply_len;
	struct backoff restart;
	uint64_t restart_timer;
	uint64_t reply_timer;          /* the in-flight request's reply is read then, if not sooner */
};

static void spawner_start(struct agent *a);

static void
request_free(struct spawn_request *r)
{
	if (r->fd != -1)
		close(r->fd);
	free(r->key);
	free(r->path);
	free(r);
}

static struct spawn_request *
pop(struct agent_spawner *sp)
{
	struct spawn_request *r = sp->head;

	if (r == NULL)
		return NULL;
	sp->head = r->next;
	if (sp->head == NULL)
		sp->tail = NULL;
	sp->queued--;
	sp->in_flight = 0;
	return r;
}

/*
 * poll() watches the spawner's socket for its replies only when one is
 * awaited and something waits for it (a launch queued behind it, or its
 * lazy time up); for its end always.
 */
static void
update_watch(struct agent *a)
{
	struct agent_spawner *sp = a->spawner;

	if (sp->fd != -1)
		loop_set_events(a->loop, sp->fd,
		    sp->in_flight && (sp->reply_timer == 0 || sp->queued > 1) ? LOOP_READ : LOOP_HANGUP);
}

/* The spawner could not take it: exec the supervisor, if its task still wants one. */
static void
exec_instead(struct agent *a, struct spawn_request *r)
{
	struct agent_task *t = map_get(&a->tasks, r->key);
	int fd = r->fd;

	r->fd = -1;
	request_free(r);
	if (t == NULL || t->supervisor == NULL || t->child_pid > 0) {
		close(fd);
		return;
	}
	(void)agent_task_exec_supervisor(a, t, fd);
}

static void
on_restart_timer(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	(void)loop;
	a->spawner->restart_timer = 0;
	spawner_start(a);
}

/* The spawner is gone: whatever it had not taken starts with exec, and it comes back later. */
static void
lost(struct agent *a, const char *why)
{
	struct agent_spawner *sp = a->spawner;
	struct spawn_request *r;
	int64_t delay;

	if (sp->fd == -1)
		return;
	loop_unwatch(a->loop, sp->fd);
	close(sp->fd);
	sp->fd = -1;
	loop_timer_cancel(a->loop, sp->reply_timer);
	sp->reply_timer = 0;
	sp->pid = 0;
	sp->reply_len = 0;
	if (sp->in_flight) {
		/*
		 * Forked or not, nobody can say: its socket tells. A supervisor that was
		 * never forked closes it, and the task fails as one whose supervisor died.
		 */
		request_free(pop(sp));
	}
	while ((r = pop(sp)) != NULL)
		exec_instead(a, r);
	if (a->freeing || a->stopping)
		return;
	delay = backoff_next(&sp->restart);
	log_warnx("the supervisor spawner is gone (%s): supervisors start with exec; "
	    "starting it again in %lld ms", why, (long long)delay);
	sp->restart_timer = loop_timer_add(a->loop, delay, on_restart_timer, a);
}

static void on_readable(struct loop *loop, int fd, int events, void *arg);

static void
on_reply_timer(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	a->spawner->reply_timer = 0;
	on_readable(loop, a->spawner->fd, LOOP_READ, a);
	update_watch(a);
}

static void
send_next(struct agent *a)
{
	struct agent_spawner *sp = a->spawner;
	struct spawn_request *r = sp->head;
	char *line;
	ssize_t n;
	size_t len;

	if (sp->in_flight || r == NULL || sp->fd == -1)
		return;
	line = xstrfmt(SPAWNER_REQUEST "%s\n", r->path);
	len = strlen(line);
	n = spawner_send_fd(sp->fd, line, len, r->fd);
	free(line);
	if (n == (ssize_t)len) {
		sp->in_flight = 1;
		loop_timer_cancel(a->loop, sp->reply_timer);
		sp->reply_timer = loop_timer_add(a->loop, SPAWNER_REPLY_LAZY_MS, on_reply_timer, a);
		update_watch(a);
		return;
	}
	/* Nothing else is in the socket, so even a short write means it is broken. */
	if (n >= 0)
		lost(a, "a request did not fit in its socket");
	else
		lost(a, strerror(errno));
}

static void
handle_reply(struct agent *a, const char *line)
{
	struct agent_spawner *sp = a->spawner;
	struct spawn_request *r;

	if (!sp->in_flight) {
		lost(a, "it answered a request it was not sent");
		return;
	}
	r = pop(sp);
	if (strncmp(line, SPAWNER_SPAWNED, strlen(SPAWNER_SPAWNED)) == 0) {
		log_debug("task %s: supervisor %s forked by the spawner", r->key,
		    line + strlen(SPAWNER_SPAWNED));
		backoff_reset(&sp->restart);
		request_free(r);
	} else {
		const char *why = strncmp(line, SPAWNER_FAILED, strlen(SPAWNER_FAILED)) == 0
		                      ? line + strlen(SPAWNER_FAILED)
		                      : line;

		log_warnx("task %s: the spawner could not start its supervisor (%s): starting it with exec",
		    r->key, why);
		exec_instead(a, r);
	}
	send_next(a);
}

static void
on_readable(struct loop *loop, int fd, int events, void *arg)
{
	struct agent *a = arg;
	struct agent_spawner *sp = a->spawner;
	ssize_t n;
	char *nl;

	(void)loop;
	(void)events;
	n = read(fd, sp->reply + sp->reply_len, sizeof(sp->reply) - 1 - sp->reply_len);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		lost(a, n == 0 ? "it exited" : strerror(errno));
		return;
	}
	sp->reply_len += (size_t)n;
	sp->reply[sp->reply_len] = '\0';
	while (sp->fd != -1 && (nl = memchr(sp->reply, '\n', sp->reply_len)) != NULL) {
		size_t used = (size_t)(nl - sp->reply) + 1;

		*nl = '\0';
		handle_reply(a, sp->reply);
		memmove(sp->reply, sp->reply + used, sp->reply_len - used);
		sp->reply_len -= used;
	}
	if (sp->fd != -1 && sp->reply_len == sizeof(sp->reply) - 1)
		lost(a, "a reply line too long");
}

static void
spawner_start(struct agent *a)
{
	struct agent_spawner *sp = a->spawner;
	const char *argv[] = { a->supervisor_path, SPAWNER_FLAG, a->work_dir, NULL };
	char err[AGENT_ERR_MAX];
	int sv[2];
	pid_t pid;

	if (compat_socketpair(sv) == -1) {
		log_warnx("cannot start the supervisor spawner: socketpair: %s", strerror(errno));
		return;
	}
	pid = launcher_spawn_argv(a->supervisor_path, argv, sv[1], err, sizeof(err));
	close(sv[1]);
	if (pid == -1) {
		close(sv[0]);
		log_warnx("cannot start the supervisor spawner: %s", err);
		sp->restart_timer = loop_timer_add(a->loop, backoff_next(&sp->restart), on_restart_timer, a);
		return;
	}
	sp->pid = pid;
	sp->fd = sv[0];
	/* Its replies are also read when no poll() said so: never block on it. */
	compat_set_nonblock(sp->fd, 1);
	loop_watch(a->loop, sp->fd, LOOP_READ, on_readable, a);
	log_debug("supervisor spawner started as pid %ld", (long)pid);
	send_next(a);
}

void
agent_spawner_start(struct agent *a)
{
	struct agent_spawner *sp = xcalloc(1, sizeof(*sp));

	sp->fd = -1;
	backoff_init(&sp->restart, SPAWNER_RESTART_INITIAL_MS, SPAWNER_RESTART_MAX_MS);
	a->spawner = sp;
	spawner_start(a);
}

int
agent_spawner_launch(struct agent *a, const char *key, const char *path, int fd)
{
	struct agent_spawner *sp = a->spawner;
	struct spawn_request *r;

	if (sp != NULL && sp->fd != -1 && sp->in_flight)
		on_readable(a->loop, sp->fd, LOOP_READ, a);   /* the last reply, if it came: the queue moves */
	if (sp == NULL || sp->fd == -1 || sp->queued >= SPAWN_QUEUE_MAX)
		return -1;
	r = xcalloc(1, sizeof(*r));
	r->key = xstrdup(key);
	r->path = xstrdup(path);
	r->fd = fd;
	if (sp->tail != NULL)
		sp->tail->next = r;
	else
		sp->head = r;
	sp->tail = r;
	sp->queued++;
	send_next(a);
	update_watch(a);
	return 0;
}

void
agent_spawner_free(struct agent *a)
{
	struct agent_spawner *sp = a->spawner;
	struct spawn_request *r;

	if (sp == NULL)
		return;
	loop_timer_cancel(a->loop, sp->restart_timer);
	loop_timer_cancel(a->loop, sp->reply_timer);
	if (sp->fd != -1) {
		/* It reads what it was sent, then our end's close: it leaves, its supervisors stay. */
		loop_unwatch(a->loop, sp->fd);
		close(sp->fd);
	}
	if (sp->in_flight)
		request_free(pop(sp));
	/* Tasks in the journal as launched get their supervisors, even as we leave. */
	while ((r = pop(sp)) != NULL)
		exec_instead(a, r);
	free(sp);
	a->spawner = NULL;
}
