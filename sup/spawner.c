/*
 * spawner.c: the supervisor spawner's loop (spawner.h), which
 * mesos-executor runs when started with --spawner, and the descriptor
 * passing that agentd's side (agent_spawner.c) uses to feed it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
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
		union {
			struct cmsghdr hdr;
			char space[CMSG_SPACE(sizeof(int) * 4)];
		} control;
		struct msghdr msg;
		struct iovec iov;
		char *nl;
		ssize_t n;

		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf + have;
		iov.iov_len = cap - have;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.space;
		msg.msg_controllen = sizeof(control.space);
		n = recvmsg(sock, &msg, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		take_descriptors(&msg, fd);
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

int
spawner_serve(int sock, int child_fd, int (*run)(const char *path))
{
	char request[SPAWNER_REQUEST_MAX + 1];
	char answer[SPAWNER_REPLY_MAX];
	struct sigaction sa;
	/*
	 * The allocator sets itself up on its first call: here, once, rather than
	 * in every supervisor forked (volatile, or the pair is optimised away).
	 */
	void *volatile warm = malloc(1);

	free(warm);
	/* Ignored SIGCHLD: the kernel reaps our children, none lingers as a zombie. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGCHLD, &sa, NULL);
	for (;;) {
		const char *path;
		pid_t pid;
		int fd;
		ssize_t n = recv_request(sock, request, sizeof(request) - 1, &fd);

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
		pid = fork();
		if (pid == 0) {
			sa.sa_handler = SIG_DFL;
			(void)sigaction(SIGCHLD, &sa, NULL);
			if (fd != child_fd && (dup2(fd, child_fd) == -1 || close(fd) == -1))
				_exit(EXIT_FAILURE);
			if (sock != child_fd)
				close(sock);
			exit(run(path));
		}
		if (pid == -1)
			snprintf(answer, sizeof(answer), SPAWNER_FAILED "fork: %s\n", strerror(errno));
		else
			snprintf(answer, sizeof(answer), SPAWNER_SPAWNED "%ld\n", (long)pid);
		close(fd);
		reply(sock, answer);
	}
}
