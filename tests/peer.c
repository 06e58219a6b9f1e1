/*
 * tests/peer.c: a misbehaving (or well-behaved) peer for integration tests.
 * It connects to HOST PORT, sends what it is told, and prints every line
 * it receives, so a shell test can check how the daemons answer garbage,
 * oversized lines, silence and peers that never read.
 *
 *   peer HOST PORT [--send LINE] [--send-raw STR] [--long N] [--flood LINE]
 *                  [--await PREFIX] [--timeout MS] [--wait-close] [--lines N]
 *                  [--auth KIND:PRINCIPAL:SECRET]
 *
 * --send-raw decodes \xHH, \n and \\ and adds no newline. --flood sends
 * LINE again and again without reading until the connection breaks.
 * --await PREFIX reads (and prints) lines until one starts with PREFIX; in
 * later --send lines, {key} becomes that line's value of key=, as sent.
 * --auth does the handshake of docs/PROTOCOL.md as KIND (agent, framework,
 * cli): HELLO with the principal, AUTHENTICATE after the CHALLENGE, and
 * the master's proof checked in its WELCOME (exit 1 if any step fails).
 * --wait-close reads until the server closes. --lines N stops after N lines.
 * Exit: 0 done (closed by the server when --wait-close/--flood), 1 timeout,
 * 2 usage or connect error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "net.h"
#include "proto.h"

#define READ_CHUNK 65536

static int
send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = compat_send(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static size_t
decode_raw(const char *s, char *out)
{
	size_t n = 0;
	while (*s) {
		if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = { s[2], s[3], 0 };
			out[n++] = (char)strtol(hex, NULL, 16);
			s += 4;
		} else if (s[0] == '\\' && s[1] == 'n') {
			out[n++] = '\n';
			s += 2;
		} else if (s[0] == '\\' && s[1] == '\\') {
			out[n++] = '\\';
			s += 2;
		} else {
			out[n++] = *s++;
		}
	}
	return n;
}

/* Lines received before the final read loop, kept for it. */
static char pending[READ_CHUNK];
static size_t npending;
static char awaited[READ_CHUNK];

/* Read until a line starting with prefix arrives (printing each); 0 or -1. */
static int
await_line(int fd, const char *prefix, long timeout_ms)
{
	int64_t deadline = compat_monotonic_ms() + timeout_ms;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		char *nl = memchr(pending, '\n', npending);
		if (nl) {
			size_t len = (size_t)(nl - pending);
			printf("%.*s\n", (int)len, pending);
			fflush(stdout);
			int match = strncmp(pending, prefix, strlen(prefix)) == 0;
			if (match) {
				memcpy(awaited, pending, len);
				awaited[len] = '\0';
			}
			memmove(pending, nl + 1, npending - len - 1);
			npending -= len + 1;
			if (match)
				return 0;
			continue;
		}
		if (npending == sizeof(pending) || compat_monotonic_ms() >= deadline)
			return -1;
		ssize_t n = recv(fd, pending + npending, sizeof(pending) - npending, 0);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			return -1;
		if (n > 0)
			npending += (size_t)n;
	}
}

/* line with every {key} replaced by key's value in the awaited line. */
static char *
substitute(const char *line)
{
	size_t cap = strlen(line) + sizeof(awaited) + 1;
	char *out = malloc(cap), *o = out;

	while (*line) {
		const char *close = line[0] == '{' ? strchr(line, '}') : NULL;
		if (close) {
			char key[128];
			size_t klen = (size_t)(close - line - 1);
			snprintf(key, sizeof(key), " %.*s=", (int)klen, line + 1);
			const char *v = strstr(awaited, key);
			if (v) {
				v += strlen(key);
				size_t vlen = strcspn(v, " ");
				memcpy(o, v, vlen);
				o += vlen;
			}
			line = close + 1;
			continue;
		}
		*o++ = *line++;
	}
	*o = '\0';
	return out;
}

/* --auth KIND:PRINCIPAL:SECRET: the whole handshake; 0, or -1 having said why. */
static int
authenticate(int fd, const char *spec, long timeout_ms)
{
	char who[512], err[256];
	char *principal, *secret;
	struct proto_auth_client a;
	struct proto_msg m;
	struct buf b;
	int rc = -1;

	snprintf(who, sizeof(who), "%s", spec);
	principal = strchr(who, ':');
	secret = principal ? strchr(principal + 1, ':') : NULL;
	if (!secret) {
		printf("peer: --auth wants KIND:PRINCIPAL:SECRET\n");
		return -1;
	}
	*principal++ = '\0';
	*secret++ = '\0';
	proto_auth_client_init(&a, proto_kind_parse(who), principal, secret);
	buf_init(&b, 0);
	proto_auth_client_hello(&a, &b);
	proto_msg_init(&m);
	if (proto_end(&b) < 0 || send_all(fd, b.data, b.len) < 0 ||
	    await_line(fd, "CHALLENGE", timeout_ms) < 0 ||
	    proto_parse(awaited, strlen(awaited), &m, err, sizeof(err)) < 0) {
		printf("peer: no CHALLENGE\n");
		goto out;
	}
	b.len = 0;
	if (proto_auth_client_challenge(&a, &m, &b, err, sizeof(err)) < 0 || proto_end(&b) < 0 ||
	    send_all(fd, b.data, b.len) < 0) {
		printf("peer: %s\n", err);
		goto out;
	}
	proto_msg_free(&m);
	proto_msg_init(&m);
	if (await_line(fd, "WELCOME", timeout_ms) < 0 ||
	    proto_parse(awaited, strlen(awaited), &m, err, sizeof(err)) < 0 ||
	    proto_auth_client_welcome(&a, &m, err, sizeof(err)) < 0) {
		printf("peer: not welcomed\n");
		goto out;
	}
	rc = 0;
out:
	proto_msg_free(&m);
	buf_free(&b);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: peer HOST PORT [--send LINE] [--send-raw STR] [--long N] "
	        "[--flood LINE] [--timeout MS] [--wait-close] [--lines N] "
	        "[--auth KIND:PRINCIPAL:SECRET]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	long timeout_ms = 5000, max_lines = -1;
	int wait_close = 0;
	const char *flood = NULL;
	char err[256];

	if (argc < 3)
		usage();
	int fd = net_connect_blocking(argv[1], atoi(argv[2]), 5000, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "peer: %s\n", err);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		const char *opt = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(opt, "--wait-close") == 0) {
			wait_close = 1;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (strcmp(opt, "--send") == 0) {
			char *line = substitute(val);
			if (send_all(fd, line, strlen(line)) < 0 || send_all(fd, "\n", 1) < 0)
				fprintf(stderr, "peer: send: %s\n", strerror(errno));
			free(line);
		} else if (strcmp(opt, "--auth") == 0) {
			if (authenticate(fd, val, timeout_ms) < 0) {
				close(fd);
				return 1;
			}
		} else if (strcmp(opt, "--await") == 0) {
			if (await_line(fd, val, timeout_ms) < 0) {
				printf("peer: no line starting with '%s'\n", val);
				close(fd);
				return 1;
			}
		} else if (strcmp(opt, "--send-raw") == 0) {
			char *buf = malloc(strlen(val) + 1);
			size_t n = decode_raw(val, buf);
			if (send_all(fd, buf, n) < 0)
				fprintf(stderr, "peer: send: %s\n", strerror(errno));
			free(buf);
		} else if (strcmp(opt, "--long") == 0) {
			size_t n = (size_t)atol(val);
			char *buf = malloc(n + 1);
			memset(buf, 'a', n);
			buf[n] = '\n';
			if (send_all(fd, buf, n + 1) < 0)
				fprintf(stderr, "peer: send: %s\n", strerror(errno));
			free(buf);
		} else if (strcmp(opt, "--flood") == 0) {
			flood = val;
		} else if (strcmp(opt, "--timeout") == 0) {
			timeout_ms = atol(val);
		} else if (strcmp(opt, "--lines") == 0) {
			max_lines = atol(val);
		} else {
			usage();
		}
	}

	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	if (flood) {
		size_t len = strlen(flood);
		char *line = malloc(len + 2);
		memcpy(line, flood, len);
		line[len] = '\n';
		int64_t deadline = compat_monotonic_ms() + timeout_ms;
		while (compat_monotonic_ms() < deadline) {
			if (send_all(fd, line, len + 1) < 0) {
				int e = errno;
				free(line);
				close(fd);
				if (e == EAGAIN || e == EWOULDBLOCK) {
					printf("peer: send timed out\n");
					return 1;
				}
				printf("peer: connection broken while flooding: %s\n", strerror(e));
				return 0;
			}
		}
		free(line);
		close(fd);
		printf("peer: still connected after %ld ms of flooding\n", timeout_ms);
		return 1;
	}

	char *buf = malloc(READ_CHUNK + 1);
	size_t have = npending;
	memcpy(buf, pending, npending);
	long lines = 0;
	int rc = wait_close ? 1 : 0;
	int64_t deadline = compat_monotonic_ms() + timeout_ms;
	for (;;) {
		if (max_lines >= 0 && lines >= max_lines)
			break;
		if (compat_monotonic_ms() >= deadline) {
			rc = wait_close ? 1 : 0;
			break;
		}
		ssize_t n = recv(fd, buf + have, READ_CHUNK - have, 0);
		if (n == 0) {
			if (have)
				printf("%.*s\n", (int)have, buf);
			printf("peer: closed by server\n");
			rc = 0;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				rc = wait_close ? 1 : 0;
				if (wait_close)
					printf("peer: timeout, still connected\n");
				break;
			}
			printf("peer: closed by server (%s)\n", strerror(errno));
			rc = 0;
			break;
		}
		have += (size_t)n;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			printf("%.*s\n", (int)(nl - start), start);
			fflush(stdout);
			lines++;
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == READ_CHUNK)
			have = 0;
	}
	free(buf);
	close(fd);
	return rc;
}
