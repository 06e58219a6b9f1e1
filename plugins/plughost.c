/*
 * plughost.c: mesos-plughost, the process one framework plugin runs in.
 * It dlopen()s the plugin, checks its ABI version, reads its NAME.conf,
 * and speaks the framework side of the wire protocol for it: to the
 * master that forked it over an inherited socketpair
 * (plughost_link.h), or over TCP with --master, as any external
 * framework. The master's lines become the plugin's callbacks, through
 * one table of verbs; PINGs are answered on either link. What the plugin
 * calls, its driver, is plughost_driver.c's. Whatever the plugin does
 * wrong (a crash, an endless loop) ends this process only.
 *
 *   mesos-plughost --plugin=PATH [--conf=PATH] [--framework_id=ID]
 *                  [--master=HOST:PORT] [--name=NAME] [--log_level=LEVEL]
 *                  [--state_dir=DIR]
 *
 * --state_dir (mesosd gives WORK_DIR/NAME) is the plugin's conf state_dir
 * when its conf names none: a plugin that keeps state keeps it by default.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "flags.h"
#include "id.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "plughost_link.h"
#include "framework.h"
#include "plughost.h"
#include "proto.h"
#include "xmem.h"

#define HOST_OUT_MAX        (16u << 20)           /* unsent bytes to the master */
#define HOST_MSG_MAX        (2u * PROTO_LINE_MAX) /* one line being built */
#define HOST_SPLIT_MAX      HOST_OUT_MAX          /* a message to be cut into lines: it fits the output */
#define HOST_CONNECT_TIMEOUT_MS 10000             /* --master: connecting */
#define HOST_NAME_MAX_BYTES 64                    /* the plugin's name in log lines */
#define HOST_USER_MAX       256
#define HOST_EXIT_USAGE     2
#define HOST_EXIT_SIGNALLED 128                   /* + signal number, as shells report it */
#define HOST_CLOSE_ROUNDS   16                    /* loop turns for the conns' closes at exit */
#define HOST_READ_CHUNK     4096                  /* bytes read from NAME.conf at a time */
#define HOST_HOSTNAME_MAX   256                   /* bytes of --master's host */

/* ---------------------------------------------------------------- sending */

int
plughost_fail(struct plughost *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return -1;
}

void
plughost_msg_begin(struct plughost *h, const char *verb)
{
	buf_reset(&h->out);
	proto_begin(&h->out, verb);
}

static int
send_out(struct plughost *h, struct conn *c)
{
	if (c == NULL || conn_is_closing(c))
		return plughost_fail(h, "not connected to the master");
	if (conn_send(c, h->out.data, h->out.len) < 0)
		return plughost_fail(h, "the master is not reading: output buffer full");
	return 0;
}

int
plughost_msg_send(struct plughost *h, struct conn *c)
{
	if (proto_end(&h->out) < 0)
		return plughost_fail(h, "message over %d bytes or %d fields: send less at once",
		                     PROTO_LINE_MAX, PROTO_FIELDS_MAX);
	return send_out(h, c);
}

int
plughost_msg_send_split(struct plughost *h, struct conn *c, const char *record_key)
{
	if (proto_end_split(&h->out, record_key) < 0)
		return plughost_fail(h, "a record over %d bytes or %d fields, or a message over "
		                     "%u bytes: send less at once", PROTO_LINE_MAX, PROTO_FIELDS_MAX,
		                     HOST_SPLIT_MAX);
	return send_out(h, c);
}

/* ---------------------------------------------------------------- the master's lines */

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static const char *
field(const struct proto_msg *m, const char *key)
{
	return or_empty(proto_get(m, key));
}

/* PING on either link: PONG with its seq, on the same link. */
static void
pong(struct plughost *h, struct conn *c, const struct proto_msg *m)
{
	plughost_msg_begin(h, "PONG");
	if (proto_get(m, "seq") != NULL)
		proto_add(&h->out, "seq", proto_get(m, "seq"));
	plughost_msg_send(h, c);
}

/* Offers and tasks mean nothing until the framework is subscribed. */
static int
subscribed(struct plughost *h, const struct proto_msg *m)
{
	if (!h->subscribed)
		log_debug("ignoring %s before SUBSCRIBED", m->verb);
	return h->subscribed;
}

static void
send_subscribe(struct plughost *h)
{
	const struct framework_plugin *p = h->plugin;
	const char *name = h->d.conf(&h->d, "name");
	const char *user = h->d.conf(&h->d, "user");
	const char *role = h->d.conf(&h->d, "role");
	const char *principal = h->d.conf(&h->d, "principal");
	const char *failover = h->d.conf(&h->d, "failover_timeout");
	const char *checkpoint = h->d.conf(&h->d, "checkpoint");
	const char *weight = h->d.conf(&h->d, "weight");
	char login[HOST_USER_MAX];

	if (user == NULL || *user == '\0') {
		const char *env = getenv("USER");
		struct passwd *pw;

		if (env != NULL && *env)
			xstrlcpy(login, env, sizeof(login));
		else if ((pw = getpwuid(getuid())) != NULL)
			xstrlcpy(login, pw->pw_name, sizeof(login));
		else
			xstrlcpy(login, "nobody", sizeof(login));
		user = login;
	}
	plughost_msg_begin(h, "SUBSCRIBE");
	proto_add(&h->out, "name", name != NULL && *name ? name :
	                           p->name != NULL && *p->name ? p->name : h->name);
	proto_add(&h->out, "user", user);
	proto_add(&h->out, "role", role != NULL && *role ? role :
	                           p->role != NULL && *p->role ? p->role : "*");
	if (principal != NULL)
		proto_add(&h->out, "principal", principal);
	if (failover != NULL && *failover)
		proto_add(&h->out, "failover_timeout", failover);
	else
		proto_addf(&h->out, "failover_timeout", "%.0f", PLUGIN_DEFAULT_FAILOVER_S);
	/* On unless the conf says no: a plugin's tasks should outlive a restart of their agent. */
	proto_add_bool(&h->out, "checkpoint", checkpoint == NULL || *checkpoint == '\0' ||
	    (strcmp(checkpoint, "0") != 0 && strcmp(checkpoint, "false") != 0));
	if (p->flags & FRAMEWORK_PARTITION_AWARE)
		proto_add(&h->out, PROTO_CAPABILITIES_KEY, "PARTITION_AWARE");
	if (h->failover_id != NULL)
		proto_add(&h->out, "framework_id", h->failover_id);
	/* The role's weight, which the master takes from a plugin's conf (its operator's). */
	if (weight != NULL && *weight)
		proto_add(&h->out, "weight", weight);
	plughost_msg_send(h, h->conn);
}

static void
on_subscribed(struct plughost *h, const struct proto_msg *m)
{
	const char *id = proto_get(m, "framework_id");

	if (id == NULL || id_check("framework ID", id, h->err, sizeof(h->err)) < 0) {
		log_warnx("bad SUBSCRIBED from the master: %s", id == NULL ? "no framework_id" : h->err);
		conn_close(h->conn, "bad SUBSCRIBED");
		return;
	}
	int again = h->failover_id != NULL && strcmp(h->failover_id, id) == 0;
	free(h->framework_id);
	h->framework_id = xstrdup(id);
	h->subscribed = 1;
	log_info("%s as framework %s", again ? "registered again" : "registered", id);
	if (h->ctl != NULL) {
		plughost_msg_begin(h, "SUBSCRIBED");
		proto_add(&h->out, "framework_id", id);
		plughost_msg_send(h, h->ctl);
	}
	if (again) {
		/* Learn the state of every task we had before the plugin sees anything. */
		h->d.reconcile(&h->d, NULL, 0);
		if (h->plugin->reregistered != NULL)
			h->plugin->reregistered(&h->d, id);
	} else if (h->plugin->registered != NULL) {
		h->plugin->registered(&h->d, id);
	}
}

static void
on_status(struct plughost *h, const struct proto_msg *m)
{
	struct framework_status s;
	struct proto_status ps;

	if (!subscribed(h, m))
		return;
	if (proto_status_parse(m, &ps, h->err, sizeof(h->err)) < 0) {
		log_warnx("ignoring a STATUS_UPDATE from the master: %s", h->err);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.task_id = ps.task_id;
	s.agent_id = or_empty(ps.agent_id);
	s.state = ps.state;
	s.source = or_empty(ps.source);
	s.reason = or_empty(ps.reason);
	s.message = or_empty(ps.message);
	s.uuid = or_empty(ps.uuid);
	s.healthy = ps.healthy;
	s.timestamp = ps.timestamp;
	if (h->plugin->status_update != NULL)
		h->plugin->status_update(&h->d, &s);
	if (!(h->plugin->flags & FRAMEWORK_EXPLICIT_ACKS) && *s.uuid && h->subscribed &&
	    !h->stopping)
		h->d.acknowledge(&h->d, &s);
}

/* The data may hold any byte, NUL included: it goes to the plugin with its length. */
static void
on_framework_message(struct plughost *h, const struct proto_msg *m)
{
	const struct proto_field *data = NULL;

	if (!subscribed(h, m))
		return;
	for (size_t i = 0; i < m->nfields && data == NULL; i++)
		if (strcmp(m->fields[i].key, "data") == 0)
			data = &m->fields[i];
	if (h->plugin->framework_message != NULL)
		h->plugin->framework_message(&h->d, field(m, "agent_id"), field(m, "executor_id"),
		    data != NULL ? data->val : "", data != NULL ? data->vlen : 0);
}

static void
on_ping(struct plughost *h, const struct proto_msg *m)
{
	pong(h, h->conn, m);
}

/* A PONG asks nothing of a framework; before SUBSCRIBED it is ignored as any line is. */
static void
on_pong(struct plughost *h, const struct proto_msg *m)
{
	(void)subscribed(h, m);
}

static void
on_welcome(struct plughost *h, const struct proto_msg *m)
{
	if (proto_auth_client_welcome(&h->auth, m, h->err, sizeof(h->err)) < 0) {
		log_warnx("%s", h->err);
		conn_close(h->conn, h->err);
		return;
	}
	send_subscribe(h);
}

/* The master wants the conf's credential: principal and secret. */
static void
on_challenge(struct plughost *h, const struct proto_msg *m)
{
	buf_reset(&h->out);
	if (proto_auth_client_challenge(&h->auth, m, &h->out, h->err, sizeof(h->err)) < 0) {
		log_warnx("%s", h->err);
		conn_close(h->conn, h->err);
		return;
	}
	plughost_msg_send(h, h->conn);
}

static void
on_error(struct plughost *h, const struct proto_msg *m)
{
	log_warnx("the master says: %s", field(m, "reason"));
	if (h->plugin->error != NULL)
		h->plugin->error(&h->d, field(m, "reason"));
}

static void
on_offer(struct plughost *h, const struct proto_msg *m)
{
	struct framework_offer o = { field(m, "offer_id"), field(m, "agent_id"),
	                             field(m, "hostname"), field(m, "resources"),
	                             field(m, "attributes") };

	if (!subscribed(h, m))
		return;
	if (h->plugin->offers != NULL)
		h->plugin->offers(&h->d, &o, 1);
	else
		h->d.decline(&h->d, o.id, -1);
}

static void
on_rescind(struct plughost *h, const struct proto_msg *m)
{
	if (subscribed(h, m) && h->plugin->offer_rescinded != NULL)
		h->plugin->offer_rescinded(&h->d, field(m, "offer_id"));
}

static void
on_agent_lost(struct plughost *h, const struct proto_msg *m)
{
	if (subscribed(h, m) && h->plugin->agent_lost != NULL)
		h->plugin->agent_lost(&h->d, field(m, "agent_id"));
}

/* One verb a link may carry; tables end with a NULL verb. */
struct host_verb {
	const char *verb;
	void (*fn)(struct plughost *h, const struct proto_msg *m);
};

/* The master's verbs to a framework (docs/PROTOCOL.md), each to the plugin's callback. */
static const struct host_verb master_verbs[] = {
	{ "PING", on_ping },
	{ "PONG", on_pong },
	{ "WELCOME", on_welcome },
	{ "CHALLENGE", on_challenge },
	{ "SUBSCRIBED", on_subscribed },
	{ "ERROR", on_error },
	{ "OFFER", on_offer },
	{ "RESCIND", on_rescind },
	{ "STATUS_UPDATE", on_status },
	{ "AGENT_LOST", on_agent_lost },
	{ "FRAMEWORK_MESSAGE", on_framework_message },
	{ NULL, NULL },
};

/* m to its handler in table; -1 if the verb is not there. */
static int
dispatch(const struct host_verb *table, struct plughost *h, const struct proto_msg *m)
{
	for (const struct host_verb *v = table; v->verb != NULL; v++)
		if (strcmp(v->verb, m->verb) == 0) {
			v->fn(h, m);
			return 0;
		}
	return -1;
}

static void
master_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct plughost *h = arg;
	struct proto_msg m;

	if (h->stopping)
		return;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, h->err, sizeof(h->err)) < 0) {
		log_warnx("bad line from the master: %s", h->err);
		conn_close(c, "bad line from the master");
	} else if (dispatch(master_verbs, h, &m) == -1 && subscribed(h, &m)) {
		log_debug("ignoring %s from the master", m.verb);
	}
	proto_msg_free(&m);
}

static void
say_hello(struct plughost *h)
{
	buf_reset(&h->out);
	proto_auth_client_hello(&h->auth, &h->out);
	plughost_msg_send(h, h->conn);
}

static void
master_on_connect(struct conn *c, void *arg)
{
	(void)c;
	say_hello(arg);
}

static void
master_on_close(struct conn *c, const char *reason, void *arg)
{
	struct plughost *h = arg;

	(void)c;
	h->conn = NULL;
	if (!h->stopping) {
		log_info("connection to the master closed: %s", reason);
		h->exit_code = PLUGIN_EXIT_LOST;
	}
	h->subscribed = 0;
	if (!h->said_disconnected && h->exit_code == PLUGIN_EXIT_LOST) {
		h->said_disconnected = 1;
		if (h->plugin->disconnected != NULL)
			h->plugin->disconnected(&h->d);
	}
	h->stopping = 1;
	loop_stop(h->loop);
}

static const struct conn_ops master_ops = {
	.on_line = master_on_line,
	.on_connect = master_on_connect,
	.on_close = master_on_close,
};

/* ---------------------------------------------------------------- the manager's lines */

static void
on_ctl_ping(struct plughost *h, const struct proto_msg *m)
{
	pong(h, h->ctl, m);
}

/* The manager only checks that the host is alive. */
static const struct host_verb ctl_verbs[] = {
	{ "PING", on_ctl_ping },
	{ NULL, NULL },
};

static void
ctl_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct plughost *h = arg;
	struct proto_msg m;

	(void)c;
	proto_msg_init(&m);
	if (proto_parse(line, len, &m, h->err, sizeof(h->err)) == 0)
		(void)dispatch(ctl_verbs, h, &m);   /* the rest is not for a plugin host */
	proto_msg_free(&m);
}

static void
ctl_on_close(struct conn *c, const char *reason, void *arg)
{
	struct plughost *h = arg;

	(void)c;
	h->ctl = NULL;
	/* The manager is gone, so is the master: nothing to serve. */
	if (!h->stopping) {
		log_info("control connection closed: %s", reason);
		h->exit_code = PLUGIN_EXIT_LOST;
		if (h->conn != NULL)
			conn_close(h->conn, "the master's control connection closed");
		else
			loop_stop(h->loop);
	}
}

static const struct conn_ops ctl_ops = {
	.on_line = ctl_on_line,
	.on_close = ctl_on_close,
};

/* ---------------------------------------------------------------- start-up */

static void
on_signal(struct loop *loop, int signo, void *arg)
{
	struct plughost *h = arg;

	log_info("received signal %d, stopping", signo);
	if (h->stopping)
		return;
	h->stopping = 1;
	h->exit_code = HOST_EXIT_SIGNALLED + signo;
	loop_stop(loop);
}

/* Read NAME.conf: key=value lines, '#' comments, blanks; a key set twice is an error. */
static int
read_conf(struct plughost *h, const char *path, int must_exist)
{
	struct buf text;
	char chunk[HOST_READ_CHUNK];
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return plughost_fail(h, "cannot read %s: %s", path, strerror(errno));
	}
	buf_init(&text, PLUGIN_CONF_MAX);
	int rc = 0;
	while (rc == 0) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = plughost_fail(h, "cannot read %s: %s", path, strerror(errno));
		else if (n == 0)
			break;
		else if (buf_append(&text, chunk, (size_t)n) < 0)
			rc = plughost_fail(h, "%s is over %d bytes", path, PLUGIN_CONF_MAX);
	}
	close(fd);
	if (rc < 0) {
		buf_free(&text);
		return -1;
	}
	char *s = text.data != NULL ? text.data : "";
	int lineno = 0;
	while (*s && rc == 0) {
		char *end = strchr(s, '\n'), *next = end != NULL ? end + 1 : s + strlen(s);
		if (end != NULL)
			*end = '\0';
		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
			s[--n] = '\0';
		if (*s && *s != '#') {
			char *eq = strchr(s, '=');
			char *k = s, *v;
			if (eq == NULL) {
				rc = plughost_fail(h, "%s line %d: expected key=value",
				                   path, lineno);
				break;
			}
			*eq = '\0';
			v = eq + 1;
			for (n = strlen(k); n > 0 && (k[n - 1] == ' ' || k[n - 1] == '\t'); n--)
				k[n - 1] = '\0';
			while (*v == ' ' || *v == '\t')
				v++;
			if (*k == '\0') {
				rc = plughost_fail(h, "%s line %d: empty key", path, lineno);
				break;
			}
			int twice = 0;
			for (size_t i = 0; i < h->nconf && !twice; i++)
				twice = strcmp(h->conf_keys[i], k) == 0;
			if (twice) {
				rc = plughost_fail(h, "%s line %d: '%.64s' is set twice",
				                   path, lineno, k);
				break;
			}
			h->conf_keys = xreallocarray(h->conf_keys, h->nconf + 1, sizeof(char *));
			h->conf_vals = xreallocarray(h->conf_vals, h->nconf + 1, sizeof(char *));
			h->conf_keys[h->nconf] = xstrdup(k);
			h->conf_vals[h->nconf] = xstrdup(v);
			h->nconf++;
		}
		s = next;
	}
	buf_free(&text);
	return rc;
}

/* dlopen the plugin, find its descriptor and check the ABI it was built for. */
static int
load_plugin(struct plughost *h, const char *path)
{
	const struct framework_plugin *p;
	const char *e;

	h->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h->dl == NULL) {
		e = dlerror();
		return plughost_fail(h, "cannot load %s: %s",
		                     path, e != NULL ? e : "dlopen failed");
	}
	dlerror();
	p = dlsym(h->dl, FRAMEWORK_PLUGIN_SYMBOL);
	if (p == NULL)
		return plughost_fail(h, "%s exports no '%s': not a framework plugin",
		                     path, FRAMEWORK_PLUGIN_SYMBOL);
	if (p->abi_version != FRAMEWORK_ABI_VERSION)
		return plughost_fail(h, "%s was built for framework ABI version %d; this master "
		                     "speaks version %d", path, p->abi_version, FRAMEWORK_ABI_VERSION);
	h->plugin = p;
	return 0;
}

/* Before the loop runs: a blocking write of FAILED on the control descriptor. */
static void
report_failed(struct plughost *h)
{
	if (h->ctl == NULL && fcntl(PLUGIN_CONTROL_FD, F_GETFD) < 0) {
		log_warnx("%s", h->err);
		return;
	}
	struct buf b;
	buf_init(&b, HOST_MSG_MAX);
	proto_begin(&b, "FAILED");
	proto_add(&b, "reason", h->err);
	if (proto_end(&b) == 0) {
		size_t off = 0;
		while (off < b.len) {
			ssize_t n = write(PLUGIN_CONTROL_FD, b.data + off, b.len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	buf_free(&b);
}

static void
host_free(struct plughost *h)
{
	plughost_driver_free(h);
	for (size_t i = 0; i < h->nconf; i++) {
		free(h->conf_keys[i]);
		free(h->conf_vals[i]);
	}
	free(h->conf_keys);
	free(h->conf_vals);
	free(h->framework_id);
	buf_free(&h->out);
}

/* Adopt an inherited descriptor as a conn: non-blocking, and not passed on to what the plugin runs. */
static struct conn *
adopt(struct plughost *h, int fd, const struct conn_ops *ops, const char *what)
{
	struct conn *c;

	if (compat_set_nonblock(fd, 1) < 0 || compat_set_cloexec(fd) < 0)
		return NULL;
	c = conn_new(h->loop, fd, ops, h, PROTO_LINE_MAX, HOST_OUT_MAX);
	conn_set_peer(c, what);
	return c;
}

int
main(int argc, char **argv)
{
	static char progname[HOST_NAME_MAX_BYTES + 8];
	struct plughost h;
	char *plugin_path = NULL, *conf_path = NULL, *framework_id = NULL, *master = NULL;
	char *name = NULL, *log_level = NULL, *state_dir = NULL;
	int help = 0, first = 0, hosted, level;
	char err[PLUGHOST_ERR_MAX];
	struct flag flags[] = {
		{ "plugin", FLAG_STRING, &plugin_path, "the plugin (.so) to run", 0 },
		{ "conf", FLAG_STRING, &conf_path, "its key=value configuration file", 0 },
		{ "framework_id", FLAG_STRING, &framework_id, "fail over as this framework", 0 },
		{ "master", FLAG_STRING, &master,
		  "HOST:PORT: run as an external framework over TCP (else the master's fds 3, 4)", 0 },
		{ "name", FLAG_STRING, &name, "the plugin's name in log lines", 0 },
		{ "log_level", FLAG_STRING, &log_level, "error, warning, info or debug", 0 },
		{ "state_dir", FLAG_STRING, &state_dir, "its state_dir when its conf names none", 0 },
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);

	memset(&h, 0, sizeof(h));
	log_level = xstrdup("info");
	log_init(PLUGIN_HOST_NAME, LOG_LEVEL_INFO);
	if (flags_parse(flags, nflags, argc, argv, NULL, &first, &help, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s (see --help)\n", PLUGIN_HOST_NAME, err);
		flags_free(flags, nflags);
		return HOST_EXIT_USAGE;
	}
	if (help) {
		flags_usage(flags, nflags, PLUGIN_HOST_NAME, "--plugin=PATH [--flag=value ...]");
		flags_free(flags, nflags);
		return 0;
	}
	level = log_level_parse(log_level);
	if (plugin_path == NULL || *plugin_path == '\0' || first < argc || level < 0) {
		fprintf(stderr, "%s: %s (see --help)\n", PLUGIN_HOST_NAME,
		        level < 0 ? "bad --log_level" : first < argc ? "unexpected argument" :
		        "--plugin=PATH is required");
		flags_free(flags, nflags);
		return HOST_EXIT_USAGE;
	}
	hosted = master == NULL || *master == '\0';
	if (hosted && (fcntl(PLUGIN_PROTO_FD, F_GETFD) < 0 || fcntl(PLUGIN_CONTROL_FD, F_GETFD) < 0)) {
		fprintf(stderr, "%s: no --master and no descriptors %d and %d: mesosd starts this "
		        "program, or give --master=HOST:PORT\n", PLUGIN_HOST_NAME, PLUGIN_PROTO_FD,
		        PLUGIN_CONTROL_FD);
		flags_free(flags, nflags);
		return HOST_EXIT_USAGE;
	}
	if (name == NULL || *name == '\0') {
		const char *base = strrchr(plugin_path, '/');
		free(name);
		name = xstrdup(base != NULL ? base + 1 : plugin_path);
		size_t n = strlen(name), sl = strlen(PLUGIN_SO_SUFFIX);
		if (n > sl && strcmp(name + n - sl, PLUGIN_SO_SUFFIX) == 0)
			name[n - sl] = '\0';
	}
	snprintf(progname, sizeof(progname), "plugin %.*s", HOST_NAME_MAX_BYTES, name);
	log_init(progname, (enum log_level)level);

	h.name = name;
	h.exit_code = PLUGIN_EXIT_LOST;
	h.failover_id = framework_id != NULL && *framework_id ? framework_id : NULL;
	h.default_state_dir = state_dir != NULL && *state_dir ? state_dir : NULL;
	buf_init(&h.out, HOST_SPLIT_MAX);
	plughost_driver_init(&h);
	h.loop = loop_new();
	loop_signal(h.loop, SIGTERM, on_signal, &h);
	loop_signal(h.loop, SIGINT, on_signal, &h);

	if ((h.failover_id != NULL &&
	     id_check("framework ID", h.failover_id, h.err, sizeof(h.err)) < 0) ||
	    load_plugin(&h, plugin_path) < 0 ||
	    (conf_path != NULL && *conf_path && read_conf(&h, conf_path, !hosted) < 0) ||
	    (h.plugin->init != NULL && h.plugin->init(&h.d, h.err, sizeof(h.err)) < 0)) {
		if (h.plugin != NULL && h.plugin->init != NULL && h.err[0] == '\0')
			snprintf(h.err, sizeof(h.err), "the plugin's init() refused to start");
		if (hosted)
			report_failed(&h);
		else
			log_warnx("%s", h.err);
		h.exit_code = PLUGIN_EXIT_REFUSED;
		goto out;
	}
	proto_auth_client_init(&h.auth, PROTO_KIND_FRAMEWORK, h.d.conf(&h.d, "principal"),
	                       h.d.conf(&h.d, "secret"));
	if (hosted) {
		h.ctl = adopt(&h, PLUGIN_CONTROL_FD, &ctl_ops, "mesosd control");
		h.conn = adopt(&h, PLUGIN_PROTO_FD, &master_ops, "mesosd");
		if (h.ctl == NULL || h.conn == NULL) {
			log_warn("cannot use the master's descriptors");
			h.exit_code = PLUGIN_EXIT_LOST;
			goto out_fini;
		}
		say_hello(&h);
	} else {
		char mhost[HOST_HOSTNAME_MAX];
		int mport;
		if (net_parse_hostport(master, 0, mhost, sizeof(mhost), &mport, err,
		                       sizeof(err)) < 0 || mport == 0) {
			log_warnx("bad --master '%s': %s", master, mport == 0 ? "no port" : err);
			h.exit_code = HOST_EXIT_USAGE;
			goto out_fini;
		}
		/* Resolved once, at start (as agentd does): the loop never waits on DNS. */
		char mname[HOST_HOSTNAME_MAX];
		xstrlcpy(mname, mhost, sizeof(mname));
		if (net_resolve(mname, mhost, sizeof(mhost), err, sizeof(err)) < 0) {
			log_warnx("bad --master '%s': %s", master, err);
			h.exit_code = HOST_EXIT_USAGE;
			goto out_fini;
		}
		h.conn = conn_connect(h.loop, mhost, mport, HOST_CONNECT_TIMEOUT_MS, &master_ops, &h,
		                      PROTO_LINE_MAX, HOST_OUT_MAX, err, sizeof(err));
		if (h.conn == NULL) {
			log_warnx("%s", err);
			goto out_fini;
		}
	}
	loop_run(h.loop);

out_fini:
	h.stopping = 1;
	if (h.conn != NULL)
		conn_close(h.conn, "the host is ending");
	if (h.ctl != NULL)
		conn_close(h.ctl, "the host is ending");
	/* Let the closes run (the conns are freed from the loop). */
	for (int i = 0; i < HOST_CLOSE_ROUNDS && (h.conn != NULL || h.ctl != NULL); i++)
		loop_run_once(h.loop, 0);
	if (h.plugin->fini != NULL)
		h.plugin->fini(&h.d);
out:
	host_free(&h);
	loop_free(h.loop);
	if (h.dl != NULL)
		dlclose(h.dl);
	flags_free(flags, nflags);   /* name and framework_id too: they are flag values */
	return h.exit_code;
}
