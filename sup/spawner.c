/*
 * spawner.c: the supervisor spawner's loop (spawner.h), which
 * mesos-executor runs when started with --spawner, and the descriptor
 * passing that agentd's side (agent_spawner.c) uses to feed it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "spawner.h"

ssize_t
spawner_send_fd(int sock, const char *data, size_t len, int fd)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	union {
		const char *in;
		void *out;
	} base;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;

	memset(&control, 0, sizeof(control));
	memset(&msg, 0, sizeof(msg));
	base.in = data;   /* sendmsg reads it; its iovec just is not const */
	iov.iov_base = base.out;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.space;
	msg.msg_controllen = sizeof(control.space);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return compat_sendmsg(sock, &msg);
}

/* Whatever descriptors came with one recvmsg: the first is kept in *fd, the rest closed. */
static void
take_descriptors(struct msghdr *msg, int *fd)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		const unsigned char *data;
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		data = CMSG_DATA(cm);
		n = (cm->cmsg_len - (size_t)(data - (const unsigned char *)cm)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int one;

			memcpy(&one, data + i * sizeof(int), sizeof(int));
			if (*fd == -1)
				*fd = one;
			else
				close(one);
		}
	}
}

/*
 * One recvmsg of at most len bytes into buf, retried on EINTR, its
 * descriptors taken as take_descriptors does: as recvmsg(2).
 */
static ssize_t
recv_with_fd(int sock, void *buf, size_t len, int *fd)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	do {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.space;
		msg.msg_controllen = sizeof(control.space);
		n = recvmsg(sock, &msg, 0);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		take_descriptors(&msg, fd);
	return n;
}

/*
 * One request: bytes up to its newline (a stream may cut it anywhere) and
 * the descriptor that came with them. The length without the newline, 0
 * when agentd has closed its end, -1 on a socket error or a request too long.
 */
static ssize_t
recv_request(int sock, char *buf, size_t cap, int *fd)
{
	size_t have = 0;

	*fd = -1;
	while (have < cap) {
		ssize_t n = recv_with_fd(sock, buf + have, cap - have, fd);
		char *nl;

		if (n <= 0)
			break;
		nl = memchr(buf + have, '\n', (size_t)n);
		have += (size_t)n;
		if (nl != NULL) {
			*nl = '\0';
			return nl - buf;
		}
	}
	if (*fd != -1)
		close(*fd);
	*fd = -1;
	return have == 0 ? 0 : -1;
}

static void
reply(int sock, const char *line)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t n = compat_send(sock, line + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;   /* agentd is gone: the next read ends the loop */
		off += (size_t)n;
	}
}

/* An idle supervisor (spawner.h): its pid, the spawner's end of its socket, since when. */
struct idle {
	pid_t pid;
	int fd;
	int64_t since_ms;
};

struct pool {
	struct idle idle[SPAWNER_IDLE_MAX];   /* oldest first */
	size_t n;
};

static void
pool_drop_oldest(struct pool *p)
{
	close(p->idle[0].fd);
	memmove(p->idle, p->idle + 1, (p->n - 1) * sizeof(p->idle[0]));
	p->n--;
}

/* Every "IDLE <pid>" waiting on the shared socket (non-blocking) joins the pool, newest last. */
static void
pool_take_returns(struct pool *p, int returns)
{
	for (;;) {
		char text[SPAWNER_REPLY_MAX];
		long pid;
		char *end;
		int fd = -1;
		ssize_t n = recv_with_fd(returns, text, sizeof(text) - 1, &fd);

		if (n <= 0)
			return;
		if (fd == -1)
			continue;
		text[n] = '\0';
		if (strncmp(text, SPAWNER_IDLE, strlen(SPAWNER_IDLE)) != 0 ||
		    (pid = strtol(text + strlen(SPAWNER_IDLE), &end, 10)) <= 1 || *end != '\n') {
			close(fd);
			continue;
		}
		if (p->n == SPAWNER_IDLE_MAX)
			pool_drop_oldest(p);
		p->idle[p->n].pid = (pid_t)pid;
		p->idle[p->n].fd = fd;
		p->idle[p->n].since_ms = compat_monotonic_ms();
		p->n++;
	}
}

static void
pool_expire(struct pool *p, int64_t now_ms)
{
	while (p->n > 0 && now_ms - p->idle[0].since_ms >= SPAWNER_IDLE_MS)
		pool_drop_oldest(p);
}

/* The newest idle supervisor that takes the request: its pid, or 0 when none would. */
static pid_t
pool_hand(struct pool *p, const char *path, int fd)
{
	char line[SPAWNER_REQUEST_MAX + sizeof(SPAWNER_REQUEST) + 2];
	size_t len;

	snprintf(line, sizeof(line), SPAWNER_REQUEST "%s\n", path);
	len = strlen(line);
	while (p->n > 0) {
		struct idle one = p->idle[--p->n];
		ssize_t n = spawner_send_fd(one.fd, line, len, fd);

		close(one.fd);
		if (n == (ssize_t)len)
			return one.pid;
		/* Gone (killed while idle): the next one. */
	}
	return 0;
}

/*
 * fd moved to target, close-on-exec there (spawner.h: what a supervisor is
 * handed): where target is free, one F_DUPFD_CLOEXEC. 0, or -1.
 */
static int
move_fd(int fd, int target)
{
	int got;

	if (fd == target)
		return fcntl(target, F_SETFD, FD_CLOEXEC) == -1 ? -1 : 0;
	got = fcntl(fd, F_DUPFD_CLOEXEC, target);
	if (got == target)
		return close(fd);
	if (got != -1)
		close(got);
	if (dup2(fd, target) == -1 || close(fd) == -1)
		return -1;
	return fcntl(target, F_SETFD, FD_CLOEXEC) == -1 ? -1 : 0;
}

/* As move_fd where target is known to be taken (dup2 replaces it). */
static int
replace_fd(int fd, int target)
{
	if (fd != target && (dup2(fd, target) == -1 || close(fd) == -1))
		return -1;
	return fcntl(target, F_SETFD, FD_CLOEXEC) == -1 ? -1 : 0;
}

/*
 * A child's life: run the first path, then, while run says so, offer this
 * process to the spawner and run whatever path it hands over. The request
 * buffer is the caller's, so that nothing here allocates.
 */
static int
serve_child(int child_fd, int returns, const char *path, char *request, size_t cap,
    int (*run)(const char *path, int *again))
{
	long self = (long)getpid();   /* once: the same for every task this process serves */

	for (int runs = 1;; runs++) {
		char idle[SPAWNER_REPLY_MAX];
		int again = 0, rc = run(path, &again), pair[2], fd;
		size_t len;
		ssize_t n;

		if (!again || runs >= SPAWNER_RUNS_MAX || compat_socketpair(pair) == -1)
			return rc;
		snprintf(idle, sizeof(idle), SPAWNER_IDLE "%ld\n", self);
		len = strlen(idle);
		n = spawner_send_fd(returns, idle, len, pair[1]);
		close(pair[1]);
		if (n != (ssize_t)len) {
			close(pair[0]);   /* the spawner is gone, or too busy to hear: done */
			return rc;
		}
		n = recv_request(pair[0], request, cap, &fd);
		close(pair[0]);
		if (n <= 0 || fd == -1 || strncmp(request, SPAWNER_REQUEST, strlen(SPAWNER_REQUEST)) != 0 ||
		    request[strlen(SPAWNER_REQUEST)] == '\0') {
			if (fd != -1)
				close(fd);
			return 0;   /* dropped by the spawner */
		}
		if (move_fd(fd, child_fd) == -1)
			_exit(EXIT_FAILURE);
		path = request + strlen(SPAWNER_REQUEST);
	}
}

int
spawner_serve(int sock, int child_fd, int (*run)(const char *path, int *again))
{
	char request[SPAWNER_REQUEST_MAX + 1];
	char answer[SPAWNER_REPLY_MAX];
	struct sigaction sa;
	struct pool pool;
	int returns[2];
	int64_t drain_at = -1;       /* when the returns socket is read without a request */
	/*
	 * The allocator sets itself up on its first call: here, once, rather than
	 * in every supervisor forked (volatile, or the pair is optimised away).
	 */
	void *volatile warm = malloc(1);

	free(warm);
	pool.n = 0;
	/* Without it every supervisor serves one task, as a fresh process. */
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, returns) == -1 || compat_set_cloexec(returns[0]) == -1 ||
	    compat_set_cloexec(returns[1]) == -1 || compat_set_nonblock(returns[0], 1) == -1 ||
	    compat_set_nonblock(returns[1], 1) == -1)
		returns[0] = returns[1] = -1;
	/* Ignored SIGCHLD: the kernel reaps our children, none lingers as a zombie. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGCHLD, &sa, NULL);
	/* An idle supervisor killed: its socket's EPIPE, not our end. */
	(void)sigaction(SIGPIPE, &sa, NULL);
	for (;;) {
		struct pollfd pfd;
		const char *path;
		pid_t pid;
		int fd, wait_ms = -1;
		int64_t now = compat_monotonic_ms(), due = -1;
		ssize_t n;

		if (pool.n > 0)
			due = pool.idle[0].since_ms + SPAWNER_IDLE_MS;
		if (drain_at != -1 && (due == -1 || drain_at < due))
			due = drain_at;
		if (due != -1)
			wait_ms = due <= now ? 0 : (int)(due - now);
		pfd.fd = sock;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, wait_ms) == -1 && errno != EINTR)
			return 1;
		/*
		 * Returning supervisors are taken in when a request wants one, or
		 * at the drain time after one was handed out, not each as it
		 * comes: a wakeup per task saved, on a VM where a wakeup costs
		 * more than the rest of a hand-over.
		 */
		if (returns[0] != -1 &&
		    (pfd.revents != 0 || (drain_at != -1 && compat_monotonic_ms() >= drain_at))) {
			pool_take_returns(&pool, returns[0]);
			drain_at = -1;
		}
		pool_expire(&pool, compat_monotonic_ms());
		if (pfd.revents == 0)
			continue;
		n = recv_request(sock, request, sizeof(request) - 1, &fd);
		if (n == 0)
			return 0;
		if (n == -1)
			return 1;
		if (strncmp(request, SPAWNER_REQUEST, strlen(SPAWNER_REQUEST)) != 0 || fd == -1 ||
		    request[strlen(SPAWNER_REQUEST)] == '\0') {
			reply(sock, fd == -1 ? SPAWNER_FAILED "a request without its descriptor\n"
			                     : SPAWNER_FAILED "a request other than SPAWN <path>\n");
			if (fd != -1)
				close(fd);
			continue;
		}
		path = request + strlen(SPAWNER_REQUEST);
		pid = pool_hand(&pool, path, fd);
		if (pid == 0)
			pid = fork();
		if (pid == 0) {
			sa.sa_handler = SIG_DFL;
			(void)sigaction(SIGCHLD, &sa, NULL);
			/* Another child's socket held here would keep it from hearing its end. */
			for (size_t i = 0; i < pool.n; i++)
				close(pool.idle[i].fd);
			if (returns[0] != -1)
				close(returns[0]);
			if (replace_fd(fd, child_fd) == -1)
				_exit(EXIT_FAILURE);
			if (sock != child_fd)
				close(sock);
			exit(serve_child(child_fd, returns[1], path, request, sizeof(request) - 1, run));
		}
		/* It, or one forked, comes back idle when its task ends: taken in by then at the latest. */
		if (returns[0] != -1)
			drain_at = compat_monotonic_ms() + SPAWNER_DRAIN_MS;
		if (pid == -1)
			snprintf(answer, sizeof(answer), SPAWNER_FAILED "fork: %s\n", strerror(errno));
		else
			snprintf(answer, sizeof(answer), SPAWNER_SPAWNED "%ld\n", (long)pid);
		close(fd);
		reply(sock, answer);
	}
}
