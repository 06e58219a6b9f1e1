/*
 * tests/fw.c: a scripted framework for integration tests. It subscribes,
 * launches INSTANCES copies of one task on the first offer (with any
 * extra task fields: health checks, limits, URIs, a user), prints every
 * STATUS_UPDATE line it receives exactly as it came, acknowledges each,
 * and exits 0 once every task reached a terminal state (1 on timeout).
 * Tests read its output to check that each update arrived once.
 *
 *   fw --master=HOST:PORT --command=CMD [--name=N] [--resources=R]
 *      [--instances=N] [--field=KEY=VALUE]... [--timeout=SECONDS]
 *      [--kill-after=MS]     (kill each task this long after it is RUNNING)
 *      [--message=DATA]...   (to the executor named by --field=executor_id=,
 *                             on the agent of the first TASK_RUNNING, in order)
 *      [--expect-messages=N] (also wait for N FRAMEWORK_MESSAGEs, printed as
 *                             they came)
 *      [--principal=P --secret=S] (authenticate in the handshake; SUBSCRIBE says P)
 *      [--framework_id=ID]   (subscribe as this framework: a failover)
 *      [--capabilities=LIST] (SUBSCRIBE's capabilities, e.g. PARTITION_AWARE)
 *      [--failover-timeout=S] (SUBSCRIBE's failover_timeout, default 0)
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "net.h"
#include "proto.h"
#include "xmem.h"

#define FIELDS_MAX 64
#define INSTANCES_MAX 256
#define LINE_MAX_BYTES (PROTO_LINE_MAX + 2)
#define READ_POLL_MS 200
#define DEFAULT_TIMEOUT_S 60
#define HOST_MAX 256
#define DEFAULT_PORT 5050
#define ERR_MAX 256
#define MS_PER_S 1000
#define US_PER_MS 1000
#define DEC_BASE 10
#define READ_CHUNK 4096

struct fw {
	int fd;
	struct proto_auth_client auth;
	const char *failover_id;
	const char *capabilities, *failover_timeout;
	struct buf in;
	char framework_id[HOST_MAX];
	const char *name, *command, *resources;
	const char *fields[FIELDS_MAX];
	size_t nfields;
	long instances;
	int launched;
	long kill_after_ms;              /* -1: never */
	int terminal[INSTANCES_MAX];
	int killed[INSTANCES_MAX];
	int64_t running_at[INSTANCES_MAX];
	long nterminal;
	const char *messages[FIELDS_MAX];
	size_t nmessages;
	int messages_sent;
	long expect_messages, got_messages;
};

static void
send_buf(struct fw *f, struct buf *b)
{
	size_t off = 0;

	if (proto_end(b) == -1) {
		fprintf(stderr, "fw: message too long\n");
		exit(2);
	}
	while (off < b->len) {
		ssize_t n = compat_send(f->fd, b->data + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "fw: send: %s\n", strerror(errno));
			exit(2);
		}
		off += (size_t)n;
	}
	buf_free(b);
}

static void
task_id(const struct fw *f, long i, char *out, size_t len)
{
	snprintf(out, len, "%s-%ld", f->name, i);
}

static long
task_index(const struct fw *f, const char *id)
{
	char want[HOST_MAX];

	for (long i = 0; i < f->instances; i++) {
		task_id(f, i, want, sizeof(want));
		if (strcmp(want, id) == 0)
			return i;
	}
	return -1;
}

static void
accept_offer(struct fw *f, const struct proto_msg *m)
{
	const char *offer = proto_get(m, "offer_id");
	struct buf b;

	buf_init(&b, 0);
	if (f->launched) {
		proto_begin(&b, "DECLINE");
		proto_add(&b, "offer_id", offer);
		proto_add(&b, "refuse_seconds", "3600");
		send_buf(f, &b);
		return;
	}
	f->launched = 1;
	proto_begin(&b, "ACCEPT");
	proto_add(&b, "offer_id", offer);
	proto_add(&b, "refuse_seconds", "3600");
	for (long i = 0; i < f->instances; i++) {
		char id[HOST_MAX];

		task_id(f, i, id, sizeof(id));
		proto_add(&b, "task_id", id);
		proto_add(&b, "name", f->name);
		proto_add(&b, "command", f->command);
		proto_add(&b, "resources", f->resources);
		for (size_t k = 0; k < f->nfields; k++) {
			const char *eq = strchr(f->fields[k], '=');
			char key[PROTO_KEY_MAX + 1];
			size_t klen = (size_t)(eq - f->fields[k]);

			if (klen > PROTO_KEY_MAX)
				klen = PROTO_KEY_MAX;
			memcpy(key, f->fields[k], klen);
			key[klen] = '\0';
			proto_add(&b, key, eq + 1);
		}
		printf("submitted %s\n", id);
	}
	fflush(stdout);
	send_buf(f, &b);
}

static const char *
executor_id(const struct fw *f)
{
	for (size_t k = 0; k < f->nfields; k++)
		if (strncmp(f->fields[k], "executor_id=", strlen("executor_id=")) == 0)
			return f->fields[k] + strlen("executor_id=");
	return "";
}

static void
send_messages(struct fw *f, const char *agent)
{
	struct buf b;

	f->messages_sent = 1;
	for (size_t k = 0; k < f->nmessages; k++) {
		buf_init(&b, 0);
		proto_begin(&b, "FRAMEWORK_MESSAGE");
		proto_add(&b, "agent_id", agent);
		proto_add(&b, "executor_id", executor_id(f));
		proto_add(&b, "data", f->messages[k]);
		send_buf(f, &b);
	}
}

static void
on_update(struct fw *f, const struct proto_msg *m, const char *raw)
{
	const char *id = proto_get(m, "task_id"), *state = proto_get(m, "state");
	const char *uuid = proto_get(m, "uuid"), *agent = proto_get(m, "agent_id");
	long i = id ? task_index(f, id) : -1;
	struct buf b;

	printf("%s\n", raw);
	fflush(stdout);
	if (uuid != NULL && *uuid != '\0') {
		struct proto_ack ack = { NULL, id ? id : "", agent ? agent : "", uuid };

		buf_init(&b, 0);
		proto_ack_compose(&b, &ack);
		send_buf(f, &b);
	}
	if (i < 0 || state == NULL)
		return;
	if (strcmp(state, "TASK_RUNNING") == 0 && f->running_at[i] == 0)
		f->running_at[i] = compat_monotonic_ms();
	if (strcmp(state, "TASK_RUNNING") == 0 && !f->messages_sent && agent != NULL)
		send_messages(f, agent);
	if (proto_state_terminal(state) && !f->terminal[i]) {
		f->terminal[i] = 1;
		f->nterminal++;
	}
}

/* Kill each running task once its --kill-after has passed. */
static void
kill_due(struct fw *f)
{
	int64_t now = compat_monotonic_ms();
	char id[HOST_MAX];
	struct buf b;

	for (long i = 0; f->kill_after_ms >= 0 && i < f->instances; i++) {
		if (f->killed[i] || f->terminal[i] || f->running_at[i] == 0 ||
		    now - f->running_at[i] < f->kill_after_ms)
			continue;
		f->killed[i] = 1;
		task_id(f, i, id, sizeof(id));
		buf_init(&b, 0);
		proto_begin(&b, "KILL");
		proto_add(&b, "task_id", id);
		send_buf(f, &b);
	}
}

static void
on_line(struct fw *f, char *line, size_t len)
{
	char raw[LINE_MAX_BYTES], err[ERR_MAX];
	struct proto_msg m;
	struct buf b;

	memcpy(raw, line, len);
	raw[len] = '\0';
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, err, sizeof(err)) == -1) {
		fprintf(stderr, "fw: bad line: %s\n", err);
	} else if (strcmp(m.verb, "CHALLENGE") == 0) {
		buf_init(&b, 0);
		if (proto_auth_client_challenge(&f->auth, &m, &b, err, sizeof(err)) == -1) {
			fprintf(stderr, "fw: %s\n", err);
			exit(1);
		}
		send_buf(f, &b);
	} else if (strcmp(m.verb, "WELCOME") == 0) {
		if (proto_auth_client_welcome(&f->auth, &m, err, sizeof(err)) == -1) {
			fprintf(stderr, "fw: %s\n", err);
			exit(1);
		}
		buf_init(&b, 0);
		proto_begin(&b, "SUBSCRIBE");
		proto_add(&b, "name", f->name);
		if (f->auth.principal != NULL)
			proto_add(&b, "principal", f->auth.principal);
		if (f->failover_id != NULL)
			proto_add(&b, "framework_id", f->failover_id);
		proto_add(&b, "user", getenv("USER") ? getenv("USER") : "root");
		proto_add(&b, "failover_timeout", f->failover_timeout);
		if (f->capabilities != NULL)
			proto_add(&b, PROTO_CAPABILITIES_KEY, f->capabilities);
		send_buf(f, &b);
	} else if (strcmp(m.verb, "SUBSCRIBED") == 0) {
		snprintf(f->framework_id, sizeof(f->framework_id), "%s", proto_get(&m, "framework_id"));
	} else if (strcmp(m.verb, "OFFER") == 0) {
		accept_offer(f, &m);
	} else if (strcmp(m.verb, "STATUS_UPDATE") == 0) {
		on_update(f, &m, raw);
	} else if (strcmp(m.verb, "FRAMEWORK_MESSAGE") == 0) {
		printf("%s\n", raw);
		fflush(stdout);
		f->got_messages++;
	} else if (strcmp(m.verb, "PING") == 0) {
		buf_init(&b, 0);
		proto_begin(&b, "PONG");
		if (proto_get(&m, "seq"))
			proto_add(&b, "seq", proto_get(&m, "seq"));
		send_buf(f, &b);
	} else if (strcmp(m.verb, "ERROR") == 0) {
		fprintf(stderr, "fw: master: %s\n", proto_get(&m, "reason"));
		exit(1);
	}
	proto_msg_free(&m);
}

static const char *
arg_value(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

int
main(int argc, char **argv)
{
	struct fw f;
	char host[HOST_MAX], err[ERR_MAX];
	const char *master = NULL, *v, *principal = NULL, *secret = NULL;
	long timeout_s = DEFAULT_TIMEOUT_S;
	int port;
	time_t deadline;
	struct timeval tv;
	struct buf b;

	memset(&f, 0, sizeof(f));
	f.name = "fw";
	f.resources = "cpus:0.1;mem:32";
	f.instances = 1;
	f.kill_after_ms = -1;
	f.failover_timeout = "0";
	for (int i = 1; i < argc; i++) {
		if ((v = arg_value(argv[i], "--master")) != NULL)
			master = v;
		else if ((v = arg_value(argv[i], "--name")) != NULL)
			f.name = v;
		else if ((v = arg_value(argv[i], "--command")) != NULL)
			f.command = v;
		else if ((v = arg_value(argv[i], "--resources")) != NULL)
			f.resources = v;
		else if ((v = arg_value(argv[i], "--instances")) != NULL)
			f.instances = strtol(v, NULL, DEC_BASE);
		else if ((v = arg_value(argv[i], "--timeout")) != NULL)
			timeout_s = strtol(v, NULL, DEC_BASE);
		else if ((v = arg_value(argv[i], "--field")) != NULL && strchr(v, '=') != NULL &&
		         f.nfields < FIELDS_MAX)
			f.fields[f.nfields++] = v;
		else if ((v = arg_value(argv[i], "--kill-after")) != NULL)
			f.kill_after_ms = strtol(v, NULL, DEC_BASE);
		else if ((v = arg_value(argv[i], "--message")) != NULL && f.nmessages < FIELDS_MAX)
			f.messages[f.nmessages++] = v;
		else if ((v = arg_value(argv[i], "--expect-messages")) != NULL)
			f.expect_messages = strtol(v, NULL, DEC_BASE);
		else if ((v = arg_value(argv[i], "--principal")) != NULL)
			principal = v;
		else if ((v = arg_value(argv[i], "--secret")) != NULL)
			secret = v;
		else if ((v = arg_value(argv[i], "--capabilities")) != NULL)
			f.capabilities = v;
		else if ((v = arg_value(argv[i], "--failover-timeout")) != NULL)
			f.failover_timeout = v;
		else if ((v = arg_value(argv[i], "--framework_id")) != NULL)
			f.failover_id = v;
		else {
			fprintf(stderr, "fw: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (master == NULL || f.command == NULL || f.instances < 1 || f.instances > INSTANCES_MAX ||
	    net_parse_hostport(master, DEFAULT_PORT, host, sizeof(host), &port, err, sizeof(err)) == -1) {
		fprintf(stderr, "usage: fw --master=HOST:PORT --command=CMD [--name=N] [--resources=R] "
		    "[--instances=N] [--field=K=V]... [--timeout=S] [--kill-after=MS] [--message=DATA]... "
		    "[--expect-messages=N]\n");
		return 2;
	}
	f.fd = net_connect_blocking(host, port, (int)(timeout_s * MS_PER_S), err, sizeof(err));
	if (f.fd == -1) {
		fprintf(stderr, "fw: %s\n", err);
		return 2;
	}
	tv.tv_sec = 0;
	tv.tv_usec = READ_POLL_MS * US_PER_MS;
	setsockopt(f.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	buf_init(&f.in, 0);
	buf_init(&b, 0);
	proto_auth_client_init(&f.auth, PROTO_KIND_FRAMEWORK, principal, secret);
	proto_auth_client_hello(&f.auth, &b);
	send_buf(&f, &b);
	deadline = time(NULL) + timeout_s;
	while (f.nterminal < f.instances || f.got_messages < f.expect_messages) {
		char chunk[READ_CHUNK];
		ssize_t n;
		char *nl;

		if (time(NULL) > deadline) {
			fprintf(stderr, "fw: timed out with %ld of %ld tasks ended, %ld of %ld messages\n",
			    f.nterminal, f.instances, f.got_messages, f.expect_messages);
			return 1;
		}
		kill_due(&f);
		n = read(f.fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (n <= 0) {
			fprintf(stderr, "fw: the master closed the connection\n");
			return 1;
		}
		buf_append(&f.in, chunk, (size_t)n);
		while ((nl = memchr(f.in.data, '\n', f.in.len)) != NULL) {
			size_t len = (size_t)(nl - f.in.data);
			*nl = '\0';
			if (len < LINE_MAX_BYTES - 1)
				on_line(&f, f.in.data, len);
			buf_consume(&f.in, len + 1);
		}
	}
	buf_init(&b, 0);
	proto_begin(&b, "TEARDOWN");
	send_buf(&f, &b);
	buf_free(&f.in);
	close(f.fd);
	return 0;
}
