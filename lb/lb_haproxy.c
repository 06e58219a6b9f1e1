/*
 * lb_haproxy.c: owns --haproxy_config, for sites that already run HAProxy:
 * the table written as HAProxy's configuration, as marathon-lb writes it
 * (a frontend per service port, the shared HTTP frontend routing by Host
 * and path, a backend per service with its usable tasks as servers, and
 * the same timeouts, retries and balance), instead of proxying. The file
 * is rewritten (temporary file, fsync, rename) only when its text
 * changes, and only then is --haproxy_reload run (sh -c, never waited
 * for: its end arrives as SIGCHLD; a change during a reload reloads again
 * after it).
 */
#include "lb/lb.h"
#include "buf.h"
#include "compat.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "xmem.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LB_HAPROXY_MODE 0644
#define LB_HAPROXY_FILE_MAX (64u << 20)
#define LB_HAPROXY_NAME_MAX 256
#define LB_HAPROXY_EXIT_MAX 128
#define LB_SHELL "/bin/sh"

struct lb_haproxy {
	struct lb *lb;
	char *written;      /* the text last written (or found at start) */
	pid_t reload_pid;   /* a reload running, 0 when none */
	int reload_again;
};

static const char *const balance_names[] = { "roundrobin", "leastconn", "source" };

/* An HAProxy section or server name: the app id without its leading '/', other bytes '_'. */
static void
name_of(char *out, size_t len, const char *id, int port)
{
	size_t n = 0;

	for (const char *p = id + (*id == '/'); *p != '\0' && n + 1 < len; p++)
		out[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		           (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ? *p : '_';
	out[n] = '\0';
	if (port > 0)
		snprintf(out + n, len - n, "_%d", port);
}

static void
head(struct buf *b, const struct lb *lb)
{
	const struct lb_config *c = &lb->cfg;

	buf_printf(b, "# Written by mesos-lb from Marathon (%s); rewritten when its apps change.\n",
	    c->marathon);
	buf_printf(b, "global\n  maxconn %lld\n\n", c->max_connections);
	buf_printf(b, "defaults\n  retries %lld\n  option redispatch\n  option dontlognull\n",
	    c->retries);
	buf_printf(b, "  timeout connect %lldms\n  timeout client %lldms\n  timeout server %lldms\n",
	    (long long)c->connect_timeout_ms, (long long)c->idle_timeout_ms,
	    (long long)c->idle_timeout_ms);
	buf_printf(b, "  timeout http-request %lldms\n  timeout http-keep-alive %lldms\n\n",
	    (long long)c->request_timeout_ms, (long long)c->keepalive_timeout_ms);
}

/* The shared HTTP frontend: path rules first (longest first, as mesos-lb routes), then hosts. */
static void
http_frontend(struct buf *b, const struct lb *lb, struct lb_service **v, size_t n)
{
	int any = 0;

	for (size_t i = 0; i < n; i++)
		any |= v[i]->nvhosts > 0;
	if (!any || lb->cfg.http_port < 0)
		return;
	buf_printf(b, "frontend marathon_http_in\n  bind %s:%lld\n  mode http\n"
	    "  option http-server-close\n  option forwardfor\n", lb->cfg.ip, lb->cfg.http_port);
	for (int with_path = 1; with_path >= 0; with_path--) {
		for (size_t i = 0; i < n; i++) {
			char name[LB_HAPROXY_NAME_MAX];

			if (v[i]->nvhosts == 0 || (v[i]->npaths > 0) != with_path)
				continue;
			name_of(name, sizeof(name), v[i]->app_id, v[i]->port);
			buf_printf(b, "  acl host_%s hdr(host),field(1,:) -i", name);
			for (size_t j = 0; j < v[i]->nvhosts; j++)
				buf_printf(b, " %s", v[i]->vhosts[j]);
			buf_puts(b, "\n");
			if (with_path) {
				buf_printf(b, "  acl path_%s path_beg", name);
				for (size_t j = 0; j < v[i]->npaths; j++)
					buf_printf(b, " %s", v[i]->paths[j]);
				buf_printf(b, "\n  use_backend %s_vhost if host_%s path_%s\n", name, name,
				    name);
			} else {
				buf_printf(b, "  use_backend %s_vhost if host_%s\n", name, name);
			}
		}
	}
	buf_puts(b, "\n");
}

/* One backend section: the service's tasks as servers. */
static void
backend(struct buf *b, const struct lb_service *s, const char *name, int http)
{
	buf_printf(b, "backend %s\n  balance %s\n  mode %s\n", name, balance_names[s->balance],
	    http ? "http" : "tcp");
	if (http)
		buf_puts(b, "  option http-server-close\n  option forwardfor\n");
	for (size_t i = 0; i < s->nb; i++) {
		char server[LB_HAPROXY_NAME_MAX];

		if (!lb_table_usable(s->b[i]))
			continue;
		name_of(server, sizeof(server), s->b[i]->task_id, 0);
		buf_printf(b, "  server %s %s:%d\n", server, s->b[i]->addr, s->b[i]->port);
	}
	buf_puts(b, "\n");
}

/* A service port's frontend and backend; a virtual host gets an HTTP backend of its own. */
static void
service(struct buf *b, const struct lb_service *s)
{
	char name[LB_HAPROXY_NAME_MAX], vhost[LB_HAPROXY_NAME_MAX + 8];

	name_of(name, sizeof(name), s->app_id, s->port);
	buf_printf(b, "frontend %s\n  bind %s:%d\n  mode %s\n  use_backend %s\n\n", name,
	    s->bind_addr, s->port, s->mode == LB_MODE_HTTP ? "http" : "tcp", name);
	backend(b, s, name, s->mode == LB_MODE_HTTP);
	if (s->nvhosts > 0) {
		snprintf(vhost, sizeof(vhost), "%s_vhost", name);
		backend(b, s, vhost, 1);
	}
}

/* write-to-temp, fsync, rename: a crash leaves the old file or the new one, whole. */
static int
write_file(const char *path, const char *text, size_t len)
{
	char *tmp = xstrfmt("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, LB_HAPROXY_MODE), rc = -1;

	if (fd >= 0 && compat_write_all(fd, text, len) == 0 && fsync(fd) == 0) {
		close(fd);
		fd = -1;
		rc = rename(tmp, path);
	}
	if (rc < 0)
		log_warn("cannot write %s", path);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static void
reload_child(void *arg)
{
	char *argv[] = { LB_SHELL, "-c", arg, NULL };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(LB_SHELL, argv);
}

static void
reload(struct lb_haproxy *h)
{
	if (h->lb->cfg.haproxy_reload == NULL)
		return;
	if (h->reload_pid > 0) {
		h->reload_again = 1;
		return;
	}
	h->reload_again = 0;
	h->reload_pid = compat_fork_child(reload_child, h->lb->cfg.haproxy_reload, 0);
	if (h->reload_pid < 0) {
		log_warn("cannot run --haproxy_reload");
		h->reload_pid = 0;
	}
}

static void
on_child(struct loop *loop, int signo, void *arg)
{
	struct lb_haproxy *h = arg;
	int status;
	pid_t pid;

	(void)loop;
	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char why[LB_HAPROXY_EXIT_MAX];

		if (pid != h->reload_pid)
			continue;
		h->reload_pid = 0;
		proc_describe_exit(status, why, sizeof(why));
		if (proc_exit_ok(status))
			log_info("HAProxy reloaded (%s)", h->lb->cfg.haproxy_reload);
		else
			log_warnx("--haproxy_reload '%s' failed: %s", h->lb->cfg.haproxy_reload, why);
		if (h->reload_again)
			reload(h);
	}
}

void
lb_haproxy_update(struct lb *lb)
{
	struct lb_haproxy *h = lb->haproxy;
	struct buf b;
	size_t n;
	struct lb_service **v;

	if (!lb->synced)
		return;
	v = lb_table_sorted(lb, &n);
	buf_init(&b, 0);
	head(&b, lb);
	http_frontend(&b, lb, v, n);
	for (size_t i = 0; i < n; i++)
		service(&b, v[i]);
	free(v);
	if (h->written != NULL && strcmp(h->written, b.data) == 0) {
		buf_free(&b);
		return;
	}
	if (write_file(lb->cfg.haproxy_config, b.data, b.len) == 0) {
		log_info("wrote %s (%zu services)", lb->cfg.haproxy_config, n);
		free(h->written);
		h->written = buf_detach(&b);
		reload(h);
	}
	buf_free(&b);
}

struct lb_haproxy *
lb_haproxy_new(struct lb *lb)
{
	struct lb_haproxy *h = xcalloc(1, sizeof(*h));
	FILE *f;

	h->lb = lb;
	/* What is there already: a restart with the same apps neither writes nor reloads. */
	f = fopen(lb->cfg.haproxy_config, "r");
	if (f != NULL) {
		struct buf b;
		char chunk[LB_READ_BYTES];
		size_t k;

		buf_init(&b, LB_HAPROXY_FILE_MAX);
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
			if (buf_append(&b, chunk, k) < 0)
				break;
		fclose(f);
		h->written = b.data != NULL ? buf_detach(&b) : NULL;
		buf_free(&b);
	}
	loop_signal(lb->loop, SIGCHLD, on_child, h);
	return h;
}

void
lb_haproxy_free(struct lb_haproxy *h)
{
	if (h == NULL)
		return;
	free(h->written);
	free(h);
}
