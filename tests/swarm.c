/*
 * tests/swarm.c: many connections at once, for the connection limits'
 * tests: a slowloris crowd, a crowd over a cap, a daemon out of
 * descriptors.
 *
 *   swarm HOST PORT N [--trickle MS] [--for MS]
 *
 * Opens N connections and keeps them for --for MS (default 3000). With
 * --trickle, each sends one byte (never a newline) every MS, as a slow
 * client that never finishes its first line. Then prints
 *   opened O closed C refused R
 * (C: closed by the server; R: of them, those whose first line was an
 * ERROR) and, when there was one, "first: LINE" for the first ERROR.
 * Exit 0; 2 on usage errors or when not even one connection opened.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "net.h"

#define SWARM_CONNECT_TIMEOUT_MS 2000
#define SWARM_STEP_MS 20             /* between passes over the connections */
#define SWARM_LINE_MAX 512

struct peer {
	int fd;
	int closed;
	int refused;
	size_t have;
	char line[SWARM_LINE_MAX];
};

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Read what the server sent; note an ERROR first line and a close. */
static void
drain(struct peer *p)
{
	char buf[SWARM_LINE_MAX];

	for (;;) {
		ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			size_t room = sizeof(p->line) - 1 - p->have;
			size_t take = (size_t)n < room ? (size_t)n : room;
			memcpy(p->line + p->have, buf, take);
			p->have += take;
			p->line[p->have] = '\0';
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		p->closed = 1;
		p->line[strcspn(p->line, "\n")] = '\0';
		p->refused = strncmp(p->line, "ERROR", 5) == 0;
		close(p->fd);
		p->fd = -1;
		return;
	}
}

int
main(int argc, char **argv)
{
	long n, trickle_ms = 0, for_ms = 3000, opened = 0, closed = 0, refused = 0;
	const char *first = NULL;
	char err[256];

	if (argc < 4 || (n = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: swarm HOST PORT N [--trickle MS] [--for MS]\n");
		return 2;
	}
	for (int i = 4; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--trickle") == 0)
			trickle_ms = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--for") == 0)
			for_ms = atol(argv[i + 1]);
	}
	struct peer *peers = calloc((size_t)n, sizeof(*peers));
	for (long i = 0; i < n; i++) {
		peers[i].fd = net_connect_blocking(argv[1], atoi(argv[2]), SWARM_CONNECT_TIMEOUT_MS,
		                                   err, sizeof(err));
		if (peers[i].fd < 0) {
			fprintf(stderr, "swarm: connection %ld: %s\n", i + 1, err);
			peers[i].closed = -1;
			continue;
		}
		opened++;
	}
	if (opened == 0)
		return 2;
	int64_t start = compat_monotonic_ms(), next_byte = start;
	while (compat_monotonic_ms() - start < for_ms) {
		int send_now = trickle_ms > 0 && compat_monotonic_ms() >= next_byte;
		if (send_now)
			next_byte += trickle_ms;
		for (long i = 0; i < n; i++) {
			if (peers[i].fd < 0)
				continue;
			if (send_now)
				compat_send(peers[i].fd, "x", 1);
			drain(&peers[i]);
		}
		nap_ms(SWARM_STEP_MS);
	}
	for (long i = 0; i < n; i++) {
		if (peers[i].closed == 1) {
			closed++;
			if (peers[i].refused) {
				refused++;
				if (first == NULL)
					first = peers[i].line;
			}
		}
	}
	printf("opened %ld closed %ld refused %ld\n", opened, closed, refused);
	if (first != NULL)
		printf("first: %s\n", first);
	for (long i = 0; i < n; i++)
		if (peers[i].fd >= 0)
			close(peers[i].fd);
	free(peers);
	return 0;
}
