/*
 * master_plugins.c: the master's plugin manager. It finds the framework
 * plugins (*.so in --plugins, in file-name order), runs each enabled one in
 * a mesos-plughost process of its own, fork+exec'ed with two socketpairs
 * (plugins/plughost_link.h): the protocol one goes to the master as a framework
 * peer, the control one stays here for heartbeats. A host that exits or misses
 * its heartbeats is restarted with backoff and fails over with the
 * framework ID it subscribed as, so its tasks survive; a plugin that
 * cannot run (ABI, load or configuration error) is marked failed and left
 * alone. Nothing a plugin does can stop the master: it only ever sees a
 * socket close and a child exit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "conn.h"
#include "id.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "net.h"
#include "master_plugins.h"
#include "plugins/plughost_link.h"
#include "proc.h"
#include "proto.h"
#include "xmem.h"

#define PLUGIN_REASON_MAX   512       /* bytes of a plugin's last exit reason */
#define PLUGIN_CTL_OUT_MAX  65536     /* unsent control bytes to one host */
#define PLUGIN_DRAIN_MS     1000      /* after a host exits, wait this long for its last lines */
#define PLUGIN_STOP_WAIT_MS 3000      /* at shutdown, TERM to KILL */
#define PLUGIN_STOP_POLL_NS 10000000L /* 10 ms between checks while stopping */
#define PLUGIN_ID_DIR       "plugins" /* under --work_dir: each plugin's framework ID */
#define PLUGIN_ID_SUFFIX    ".framework_id"
#define PLUGIN_HOST_ARGS    9
#define PLUGIN_CLOSE_ROUNDS 16        /* loop turns for the control conns' closes */
#define PLUGIN_ERR_MAX      256       /* bytes of a parse or ID error */

enum plugin_state {
	PLUGIN_STARTING, PLUGIN_RUNNING, PLUGIN_BACKING_OFF, PLUGIN_FAILED, PLUGIN_DISABLED,
	PLUGIN_STOPPED
};

static const char *const state_names[] = {
	"starting", "running", "backing-off", "failed", "disabled", "stopped",
};

struct plugin {
	struct master_plugins *ps;
	char *name;                 /* the file name without .so */
	char *path;
	char *conf_path;
	char *id_path;              /* where its framework ID is kept */
	enum plugin_state state;
	pid_t pid;                  /* 0 when no host runs */
	long long restarts;
	char reason[PLUGIN_REASON_MAX];   /* why it last ended, or cannot run */
	char *framework_id;
	struct conn *ctl;
	uint64_t ping_timer, restart_timer, drain_timer;
	long long ping_seq;
	int ping_outstanding;
	long long missed;
	int64_t started_ms, last_pong_ms;
	int exited, exit_status, refused, hung;
	int status_unknown;         /* reaped by someone else: no exit status */
	struct backoff backoff;
};

struct master_plugins {
	struct master *m;
	struct master_plugins_config cfg; /* the numbers; strings resolved below */
	char *dir;
	char *conf_dir;
	char *host;                 /* the mesos-plughost program */
	char *id_dir;
	struct plugin **list;
	size_t n;
	int stopping;
	int open_ctls;              /* control conns whose on_close has not run yet */
};

/*
 * The master runs one manager; master_http.c reaches it through here
 * because struct master (master.h) has no field for it.
 */
static struct master_plugins *plugin_manager;

static void spawn(struct plugin *p);

/* ---------------------------------------------------------------- small helpers */

static int
is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* name is in the comma list (an empty list holds every name). */
static int
listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	if (list == NULL || *list == '\0')
		return 1;
	for (const char *s = list; *s;) {
		size_t n = strcspn(s, ",");
		if (n == len && strncmp(s, name, n) == 0)
			return 1;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static const char *
level_name(void)
{
	switch (log_get_level()) {
	case LOG_LEVEL_ERROR: return "error";
	case LOG_LEVEL_WARN: return "warning";
	case LOG_LEVEL_DEBUG: return "debug";
	default: return "info";
	}
}

/* ---------------------------------------------------------------- framework IDs on disk */

static void
load_framework_id(struct plugin *p)
{
	char text[ID_MAX + 2], err[PLUGIN_ERR_MAX];
	int fd = open(p->id_path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (id_check("framework ID", text, err, sizeof(err)) < 0) {
		log_warnx("plugin %s: ignoring %s: %s", p->name, p->id_path, err);
		return;
	}
	p->framework_id = xstrdup(text);
}

/* Written to a temporary file and renamed, so a crash leaves the old ID or the new one. */
static void
save_framework_id(struct plugin *p)
{
	char *tmp = xstrfmt("%s.tmp", p->id_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t len = strlen(p->framework_id);

	if (fd < 0 || write(fd, p->framework_id, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    close(fd) < 0 || rename(tmp, p->id_path) < 0) {
		log_warn("plugin %s: cannot keep its framework ID in %s", p->name, p->id_path);
		if (fd >= 0)
			unlink(tmp);
	}
	free(tmp);
}

static void
forget_framework_id(struct plugin *p)
{
	if (unlink(p->id_path) < 0 && errno != ENOENT)
		log_warn("plugin %s: cannot remove %s", p->name, p->id_path);
}

static int
framework_removed(const struct plugin *p)
{
	struct master *m = p->ps->m;
	return p->framework_id != NULL && map_get(&m->frameworks, p->framework_id) == NULL &&
	       master_framework_was_removed(m, p->framework_id);
}

/* ---------------------------------------------------------------- exits and restarts */

static void
restart_fired(struct loop *loop, void *arg)
{
	struct plugin *p = arg;

	(void)loop;
	p->restart_timer = 0;
	p->restarts++;
	spawn(p);
}

static void
schedule_restart(struct plugin *p, int asked)
{
	struct loop *loop = p->ps->m->loop;

	if (loop_now(loop) - p->started_ms >= MASTER_PLUGINS_STABLE_MS)
		backoff_reset(&p->backoff);
	int64_t delay = backoff_next(&p->backoff);
	p->state = PLUGIN_BACKING_OFF;
	p->restart_timer = loop_timer_add(loop, delay, restart_fired, p);
	if (asked)
		log_info("plugin %s asked to fail over; starting it again in %lld ms", p->name,
		         (long long)delay);
	else
		log_warnx("plugin %s %s; restarting it in %lld ms", p->name, p->reason,
		          (long long)delay);
}

/* The host is gone and its last control lines are read: say why, and decide what next. */
static void
finish(struct plugin *p)
{
	struct loop *loop = p->ps->m->loop;
	int st = p->exit_status;

	loop_timer_cancel(loop, p->drain_timer);
	loop_timer_cancel(loop, p->ping_timer);
	p->drain_timer = p->ping_timer = 0;
	if (p->ctl != NULL) {
		conn_close(p->ctl, "the plugin host ended");
		p->ctl = NULL;
	}
	p->pid = 0;
	if (p->status_unknown)
		snprintf(p->reason, sizeof(p->reason), "ended (its exit status was taken elsewhere)");
	else if (!p->hung && !(p->refused && WIFEXITED(st) && WEXITSTATUS(st) == PLUGIN_EXIT_REFUSED))
		proc_describe_exit(st, p->reason, sizeof(p->reason));
	if (p->ps->stopping)
		return;

	if (p->status_unknown || p->hung) {
		schedule_restart(p, 0);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == PLUGIN_EXIT_REFUSED) {
		p->state = PLUGIN_FAILED;
		if (!p->refused)
			snprintf(p->reason, sizeof(p->reason), "refused to start (no reason given)");
		log_warnx("plugin %s cannot run: %s; not restarting it", p->name, p->reason);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == PLUGIN_EXIT_EXEC) {
		p->state = PLUGIN_FAILED;
		snprintf(p->reason, sizeof(p->reason), "cannot execute %.400s", p->ps->host);
		log_warnx("plugin %s: %s; not restarting it", p->name, p->reason);
	} else if (framework_removed(p)) {
		p->state = PLUGIN_STOPPED;
		snprintf(p->reason, sizeof(p->reason), "its framework %s was removed", p->framework_id);
		log_info("plugin %s stopped: %s", p->name, p->reason);
		forget_framework_id(p);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == PLUGIN_EXIT_STOPPED) {
		p->state = PLUGIN_STOPPED;
		snprintf(p->reason, sizeof(p->reason), "the plugin stopped");
		log_info("plugin %s stopped", p->name);
	} else {
		schedule_restart(p, WIFEXITED(st) && WEXITSTATUS(st) == PLUGIN_EXIT_RESTART);
	}
}

static void
drain_fired(struct loop *loop, void *arg)
{
	struct plugin *p = arg;

	(void)loop;
	p->drain_timer = 0;
	finish(p);
}

static void
reap(struct plugin *p, int status, int known)
{
	p->exited = 1;
	p->exit_status = status;
	p->status_unknown = !known;
	loop_timer_cancel(p->ps->m->loop, p->ping_timer);
	p->ping_timer = 0;
	if (p->ctl == NULL)
		finish(p);
	else
		p->drain_timer = loop_timer_add(p->ps->m->loop, PLUGIN_DRAIN_MS, drain_fired, p);
}

static void
on_sigchld(struct loop *loop, int signo, void *arg)
{
	struct master_plugins *ps = arg;

	(void)loop;
	(void)signo;
	for (size_t i = 0; i < ps->n; i++) {
		struct plugin *p = ps->list[i];
		int status = 0;
		pid_t r;

		if (p->pid <= 0 || p->exited)
			continue;
		while ((r = waitpid(p->pid, &status, WNOHANG)) < 0 && errno == EINTR)
			;
		if (r == p->pid)
			reap(p, status, 1);
		else if (r < 0)
			reap(p, 0, 0);
	}
}

/* ---------------------------------------------------------------- heartbeats */

static void
ping_tick(struct loop *loop, void *arg)
{
	struct plugin *p = arg;
	const struct master_plugins_config *cfg = &p->ps->cfg;

	p->ping_timer = 0;
	if (p->pid <= 0 || p->exited)
		return;
	if (p->ping_outstanding && ++p->missed >= cfg->max_missed_pings) {
		long long silent = (long long)(loop_now(loop) - p->last_pong_ms);
		snprintf(p->reason, sizeof(p->reason), "hung: no PONG for %lld ms", silent);
		log_warnx("plugin %s (pid %ld) is %s; killing it", p->name, (long)p->pid, p->reason);
		p->hung = 1;
		kill(p->pid, SIGKILL);
		return;
	}
	if (p->ctl != NULL) {
		struct buf b;
		buf_init(&b, 0);
		proto_begin(&b, "PING");
		proto_add_int(&b, "seq", ++p->ping_seq);
		if (proto_end(&b) == 0)
			conn_send(p->ctl, b.data, b.len);
		buf_free(&b);
		p->ping_outstanding = 1;
	}
	p->ping_timer = loop_timer_add(loop, cfg->ping_interval_ms, ping_tick, p);
}

static void
ctl_pong(struct plugin *p, const struct proto_msg *msg)
{
	(void)msg;
	p->ping_outstanding = 0;
	p->missed = 0;
	p->last_pong_ms = loop_now(p->ps->m->loop);
}

/* The host tells which framework ID its plugin subscribed as: kept for its next failover. */
static void
ctl_subscribed(struct plugin *p, const struct proto_msg *msg)
{
	const char *id = proto_get(msg, "framework_id");
	char err[PLUGIN_ERR_MAX];

	if (id == NULL || id_check("framework ID", id, err, sizeof(err)) < 0) {
		log_debug("plugin %s: ignoring a SUBSCRIBED without a good framework ID", p->name);
		return;
	}
	if (p->framework_id == NULL || strcmp(p->framework_id, id) != 0) {
		free(p->framework_id);
		p->framework_id = xstrdup(id);
		save_framework_id(p);
	}
	p->state = PLUGIN_RUNNING;
	log_info("plugin %s (pid %ld) runs as framework %s", p->name, (long)p->pid, id);
}

static void
ctl_failed(struct plugin *p, const struct proto_msg *msg)
{
	p->refused = 1;
	snprintf(p->reason, sizeof(p->reason), "%s",
	         proto_get(msg, "reason") ? proto_get(msg, "reason") : "no reason given");
}

/* The control link's verbs (plugins/plughost_link.h). */
static const struct {
	const char *verb;
	void (*fn)(struct plugin *p, const struct proto_msg *msg);
} ctl_verbs[] = {
	{ "PONG", ctl_pong },
	{ "SUBSCRIBED", ctl_subscribed },
	{ "FAILED", ctl_failed },
};

static void
ctl_on_line(struct conn *c, char *line, size_t len, void *arg)
{
	struct plugin *p = arg;
	struct proto_msg msg;
	char err[PLUGIN_ERR_MAX];
	size_t i;

	(void)c;
	proto_msg_init(&msg);
	if (proto_parse(line, len, &msg, err, sizeof(err)) < 0) {
		log_warnx("plugin %s: bad control line: %s", p->name, err);
		proto_msg_free(&msg);
		return;
	}
	for (i = 0; i < sizeof(ctl_verbs) / sizeof(ctl_verbs[0]); i++)
		if (strcmp(ctl_verbs[i].verb, msg.verb) == 0)
			break;
	if (i < sizeof(ctl_verbs) / sizeof(ctl_verbs[0]))
		ctl_verbs[i].fn(p, &msg);
	else
		log_debug("plugin %s: ignoring control line %s", p->name, msg.verb);
	proto_msg_free(&msg);
}

static void
ctl_on_close(struct conn *c, const char *reason, void *arg)
{
	struct plugin *p = arg;

	(void)reason;
	p->ps->open_ctls--;
	if (p->ctl != c)
		return;      /* an earlier host's, closed by finish() */
	p->ctl = NULL;
	if (p->pid > 0 && p->exited)
		finish(p);
}

static const struct conn_ops ctl_ops = {
	.on_line = ctl_on_line,
	.on_close = ctl_on_close,
};

/* ---------------------------------------------------------------- starting a host */

static void
spawn_failed(struct plugin *p, const char *what)
{
	snprintf(p->reason, sizeof(p->reason), "%s: %s", what, strerror(errno));
	p->started_ms = loop_now(p->ps->m->loop);
	schedule_restart(p, 0);
}

static void
spawn(struct plugin *p)
{
	struct master_plugins *ps = p->ps;
	struct master *m = ps->m;
	int proto[2], ctl[2];
	char *argv[PLUGIN_HOST_ARGS];
	size_t argc = 0;

	if (framework_removed(p)) {
		log_info("plugin %s: framework %s was removed; starting as a new one", p->name,
		         p->framework_id);
		forget_framework_id(p);
		free(p->framework_id);
		p->framework_id = NULL;
	}
	if (compat_socketpair(proto) < 0) {
		spawn_failed(p, "socketpair");
		return;
	}
	if (compat_socketpair(ctl) < 0) {
		close(proto[0]);
		close(proto[1]);
		spawn_failed(p, "socketpair");
		return;
	}
	argv[argc++] = ps->host;
	argv[argc++] = xstrfmt("--plugin=%s", p->path);
	argv[argc++] = xstrfmt("--conf=%s", p->conf_path);
	argv[argc++] = xstrfmt("--name=%s", p->name);
	argv[argc++] = xstrfmt("--log_level=%s", level_name());
	if (p->framework_id != NULL)
		argv[argc++] = xstrfmt("--framework_id=%s", p->framework_id);
	/* A plugin's state by default: WORK_DIR/NAME (its conf's state_dir wins). */
	argv[argc++] = xstrfmt("--state_dir=%s/%s", m->cfg.work_dir, p->name);
	argv[argc] = NULL;

	pid_t pid = fork();
	if (pid == 0) {
		/* The child: the two ends at the known numbers, nothing else of the master's. */
		int a = fcntl(proto[1], F_DUPFD, PLUGIN_CONTROL_FD + 1);
		int b = fcntl(ctl[1], F_DUPFD, PLUGIN_CONTROL_FD + 1);
		if (a < 0 || b < 0 || dup2(a, PLUGIN_PROTO_FD) < 0 || dup2(b, PLUGIN_CONTROL_FD) < 0)
			_exit(PLUGIN_EXIT_EXEC);
		/* The terminal's input is the master's; stdout and stderr go to its log. */
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		compat_closefrom(PLUGIN_CONTROL_FD + 1);
		setsid();   /* a terminal's Ctrl-C is the master's to handle, not the plugin's */
		execv(argv[0], argv);
		_exit(PLUGIN_EXIT_EXEC);
	}
	for (size_t i = 1; i < argc; i++)
		free(argv[i]);
	close(proto[1]);
	close(ctl[1]);
	if (pid < 0) {
		close(proto[0]);
		close(ctl[0]);
		spawn_failed(p, "fork");
		return;
	}
	p->pid = pid;
	p->state = PLUGIN_STARTING;
	p->exited = p->refused = p->hung = p->status_unknown = 0;
	p->exit_status = 0;
	p->ping_outstanding = 0;
	p->missed = 0;
	p->started_ms = p->last_pong_ms = loop_now(m->loop);

	char origin[PATH_MAX];
	snprintf(origin, sizeof(origin), "plugin %s", p->name);
	compat_set_nonblock(proto[0], 1);
	compat_set_nonblock(ctl[0], 1);
	master_adopt_fd(m, proto[0], origin)->plugin = 1;
	p->ctl = conn_new(m->loop, ctl[0], &ctl_ops, p, PROTO_LINE_MAX, PLUGIN_CTL_OUT_MAX);
	conn_set_peer(p->ctl, origin);
	ps->open_ctls++;
	p->ping_timer = loop_timer_add(m->loop, ps->cfg.ping_interval_ms, ping_tick, p);
	if (p->framework_id != NULL)
		log_info("plugin %s started as pid %ld, to fail over as framework %s", p->name,
		         (long)pid, p->framework_id);
	else
		log_info("plugin %s started as pid %ld", p->name, (long)pid);
}

/* ---------------------------------------------------------------- start and stop */

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The default directory: plugins/ next to mesosd (a build tree), else the installed one. */
static char *
default_dir(const char *self)
{
	char *dir = xstrfmt("%s/plugins", self);

	if (is_dir(dir))
		return dir;
	free(dir);
	return xstrfmt("%s/../lib/mesos/plugins", self);
}

static struct plugin *
plugin_new(struct master_plugins *ps, const char *file)
{
	struct plugin *p = xcalloc(1, sizeof(*p));
	size_t stem = strlen(file) - strlen(PLUGIN_SO_SUFFIX);

	p->ps = ps;
	p->name = xstrndup(file, stem);
	p->path = xstrfmt("%s/%s", ps->dir, file);
	p->conf_path = xstrfmt("%s/%s%s", ps->conf_dir, p->name, PLUGIN_CONF_SUFFIX);
	p->id_path = xstrfmt("%s/%s%s", ps->id_dir, p->name, PLUGIN_ID_SUFFIX);
	backoff_init(&p->backoff, ps->cfg.backoff_ms, ps->cfg.backoff_max_ms);
	return p;
}

static void
plugin_free(struct plugin *p)
{
	free(p->name);
	free(p->path);
	free(p->conf_path);
	free(p->id_path);
	free(p->framework_id);
	free(p);
}

static void
free_manager(struct master_plugins *ps)
{
	free(ps->list);
	free(ps->dir);
	free(ps->conf_dir);
	free(ps->host);
	free(ps->id_dir);
	free(ps);
}

struct master_plugins *
master_plugins_start(struct master *m, const struct master_plugins_config *cfg, char *err,
                     size_t errlen)
{
	struct master_plugins *ps = xcalloc(1, sizeof(*ps));
	char self[PATH_MAX] = "";
	char **files = NULL;
	size_t nfiles = 0;
	DIR *d;
	int explicit_dir = cfg->dir != NULL && *cfg->dir;

	ps->m = m;
	ps->cfg = *cfg;
	ps->cfg.dir = ps->cfg.conf_dir = ps->cfg.enabled = ps->cfg.host = NULL;
	if (compat_self_dir(self, sizeof(self)) < 0)
		xstrlcpy(self, ".", sizeof(self));
	ps->dir = explicit_dir ? xstrdup(cfg->dir) : default_dir(self);
	ps->conf_dir = xstrdup(cfg->conf_dir != NULL && *cfg->conf_dir ? cfg->conf_dir : ps->dir);
	ps->host = cfg->host != NULL && *cfg->host ? xstrdup(cfg->host) :
	           xstrfmt("%s/%s", self, PLUGIN_HOST_NAME);
	ps->id_dir = xstrfmt("%s/%s", m->cfg.work_dir, PLUGIN_ID_DIR);

	if ((d = opendir(ps->dir)) == NULL) {
		if (explicit_dir) {
			snprintf(err, errlen, "--plugins: cannot read %s: %s", ps->dir, strerror(errno));
			free_manager(ps);
			return NULL;
		}
		log_debug("no plugin directory (%s): no plugins", ps->dir);
	} else {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || !ends_with(e->d_name, PLUGIN_SO_SUFFIX))
				continue;
			files = xreallocarray(files, nfiles + 1, sizeof(*files));
			files[nfiles++] = xstrdup(e->d_name);
		}
		closedir(d);
		if (nfiles > 1)
			qsort(files, nfiles, sizeof(*files), cmp_names);
	}
	if (nfiles > 0 && mkdir(ps->id_dir, 0755) < 0 && errno != EEXIST)
		log_warn("cannot create %s: plugins will not keep their framework IDs", ps->id_dir);

	ps->list = xcalloc(nfiles ? nfiles : 1, sizeof(*ps->list));
	for (size_t i = 0; i < nfiles; i++) {
		struct plugin *p = plugin_new(ps, files[i]);
		ps->list[ps->n++] = p;
		free(files[i]);
		if (!listed(cfg->enabled, p->name)) {
			p->state = PLUGIN_DISABLED;
			snprintf(p->reason, sizeof(p->reason), "not in --plugins_enabled");
			log_info("plugin %s is not enabled", p->name);
		}
	}
	free(files);
	for (const char *s = cfg->enabled; s != NULL && *s;) {
		size_t n = strcspn(s, ",");
		int found = 0;
		for (size_t i = 0; i < ps->n; i++)
			if (strlen(ps->list[i]->name) == n && strncmp(ps->list[i]->name, s, n) == 0)
				found = 1;
		if (!found && n > 0)
			log_warnx("--plugins_enabled names '%.*s', which is not in %s", (int)n, s, ps->dir);
		s += n;
		if (*s == ',')
			s++;
	}

	loop_signal(m->loop, SIGCHLD, on_sigchld, ps);
	plugin_manager = ps;
	int runnable = access(ps->host, X_OK) == 0, access_errno = errno;
	for (size_t i = 0; i < ps->n; i++) {
		struct plugin *p = ps->list[i];
		if (p->state == PLUGIN_DISABLED)
			continue;
		if (!runnable) {
			p->state = PLUGIN_FAILED;
			snprintf(p->reason, sizeof(p->reason), "cannot execute %.400s: %s", ps->host,
			         strerror(access_errno));
			log_warnx("plugin %s: %s", p->name, p->reason);
			continue;
		}
		load_framework_id(p);
		spawn(p);
	}
	if (ps->n > 0)
		log_info("%zu plugin(s) in %s", ps->n, ps->dir);
	return ps;
}

void
master_plugins_stop(struct master_plugins *ps)
{
	struct loop *loop;
	int64_t deadline;
	int left;

	if (ps == NULL)
		return;
	loop = ps->m->loop;
	ps->stopping = 1;
	for (size_t i = 0; i < ps->n; i++) {
		struct plugin *p = ps->list[i];
		loop_timer_cancel(loop, p->ping_timer);
		loop_timer_cancel(loop, p->restart_timer);
		loop_timer_cancel(loop, p->drain_timer);
		p->ping_timer = p->restart_timer = p->drain_timer = 0;
		if (p->pid > 0 && !p->exited)
			kill(p->pid, SIGTERM);
	}
	/* Shutting down: a short bounded wait is better than leaving hosts behind. */
	deadline = compat_monotonic_ms() + PLUGIN_STOP_WAIT_MS;
	do {
		left = 0;
		for (size_t i = 0; i < ps->n; i++) {
			struct plugin *p = ps->list[i];
			int status;
			if (p->pid <= 0 || p->exited)
				continue;
			pid_t r = waitpid(p->pid, &status, WNOHANG);
			if (r == p->pid || (r < 0 && errno != EINTR))
				p->exited = 1;
			else
				left++;
		}
		if (left > 0) {
			struct timespec ts = { 0, PLUGIN_STOP_POLL_NS };
			nanosleep(&ts, NULL);
		}
	} while (left > 0 && compat_monotonic_ms() < deadline);
	for (size_t i = 0; i < ps->n; i++) {
		struct plugin *p = ps->list[i];
		if (p->pid > 0 && !p->exited) {
			log_warnx("plugin %s (pid %ld) ignored SIGTERM; killing it", p->name, (long)p->pid);
			kill(p->pid, SIGKILL);
			while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		p->pid = 0;
		if (p->ctl != NULL)
			conn_close(p->ctl, "the master is shutting down");
	}
	/* Run the loop until every control conn, closed here or earlier, is gone. */
	for (int round = 0; round < PLUGIN_CLOSE_ROUNDS && ps->open_ctls > 0; round++)
		loop_run_once(loop, 0);
	for (size_t i = 0; i < ps->n; i++)
		plugin_free(ps->list[i]);
	if (plugin_manager == ps)
		plugin_manager = NULL;
	free_manager(ps);
}

/* ---------------------------------------------------------------- state */

static void
write_plugin(struct json_w *w, const struct plugin *p, int full)
{
	json_obj_begin(w);
	json_kstr(w, "name", p->name);
	json_kint(w, "pid", (long long)p->pid);
	json_kstr(w, "state", state_names[p->state]);
	json_kint(w, "restarts", p->restarts);
	json_kstr(w, "reason", p->reason);
	if (full) {
		json_kstr(w, "path", p->path);
		json_kstr(w, "framework_id", p->framework_id != NULL ? p->framework_id : "");
	}
	json_obj_end(w);
}

void
master_plugins_state_json(const struct master *m, struct json_w *w)
{
	const struct master_plugins *ps = plugin_manager;

	json_key(w, "plugins");
	json_arr_begin(w);
	for (size_t i = 0; ps != NULL && ps->m == m && i < ps->n; i++)
		write_plugin(w, ps->list[i], 1);
	json_arr_end(w);
}

void
master_plugins_framework_json(const struct master *m, const char *framework_id,
                              struct json_w *w)
{
	const struct master_plugins *ps = plugin_manager;

	for (size_t i = 0; ps != NULL && ps->m == m && i < ps->n; i++) {
		const struct plugin *p = ps->list[i];
		if (p->framework_id != NULL && strcmp(p->framework_id, framework_id) == 0) {
			json_key(w, "plugin");
			write_plugin(w, p, 0);
			return;
		}
	}
}
