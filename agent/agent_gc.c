/*
 * agent_gc.c: owns the removal of completed sandboxes, as Mesos's agent
 * does it: each is due --gc_delay after its task was done with, and every
 * --disk_watch_interval the delay shrinks to
 *     gc_delay * max(0, 1 - gc_disk_headroom - disk usage)
 * so a filling disk is cleaned sooner. Trees are removed a bounded number
 * of entries per pass of the loop, so a huge sandbox never stalls it. At
 * start-up every sandbox no task owns is scheduled, aged by its mtime.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"
#include "compat.h"
#include "sup/sup.h"
#include "sup/launcher.h"
#include "log.h"
#include "loop.h"
#include "xmem.h"

#define REMOVE_BUDGET 256               /* entries removed per pass of the loop */
#define REMOVE_DEPTH_MAX 64             /* deeper trees are left for a later pass */
#define MS_PER_SECOND 1000.0
#define ITEMS_INITIAL 64
#define PERCENT 100.0
#define SCAN_LEVELS 4                   /* slaves/A frameworks/F executors/E runs/R */
/*
 * A forgotten task's RUN.status, which its supervisor writes only when it
 * could not hand the task's end over, goes within this: one look at the
 * directory for all the tasks forgotten meanwhile, not an unlink each
 * that nearly always finds nothing.
 */
#define STATUS_SWEEP_MS 1000

struct gc_item {
	char *path;
	double done_at;                     /* wall clock seconds */
};

/* A tree being removed: open directories from the root down, with their names. */
struct remover {
	char *root;
	DIR *dirs[REMOVE_DEPTH_MAX];
	char *names[REMOVE_DEPTH_MAX];
	size_t depth;
};

struct agent_gc {
	struct agent *a;
	struct gc_item *items;              /* by done_at, oldest first */
	size_t n, cap;
	char **doomed;                      /* due, waiting for the remover */
	size_t ndoomed, doomed_cap;
	struct remover *rm;
	uint64_t timer;
	uint64_t rm_timer;
	uint64_t status_timer;
	char *status_dir;                   /* the runs checkpoint directory to sweep */
};

static void check(struct agent_gc *g);

static void
on_timer(struct loop *loop, void *arg)
{
	struct agent_gc *g = arg;

	(void)loop;
	g->timer = 0;
	check(g);
}

/* Remove the sandbox's "latest" link if it points at it, and directories above that empty out. */
static void
tidy_above(const char *path)
{
	char *runs = xstrdup(path), *slash = strrchr(runs, '/');
	char link[LAUNCHER_RUN_ID_LEN + 2];
	char *latest;
	ssize_t n;

	if (slash == NULL) {
		free(runs);
		return;
	}
	*slash = '\0';
	latest = xstrfmt("%s/%s", runs, LAUNCHER_LATEST);
	n = readlink(latest, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (strcmp(link, slash + 1) == 0)
			unlink(latest);
	}
	free(latest);
	if (rmdir(runs) == 0 && (slash = strrchr(runs, '/')) != NULL) {
		*slash = '\0';
		(void)rmdir(runs);   /* executors/E above it, if that empties too */
	}
	free(runs);
}

static void
remover_free(struct remover *r)
{
	while (r->depth > 0) {
		r->depth--;
		closedir(r->dirs[r->depth]);
		free(r->names[r->depth]);
	}
	free(r->root);
	free(r);
}

static struct remover *
remover_new(const char *root)
{
	struct remover *r = xcalloc(1, sizeof(*r));
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	r->root = xstrdup(root);
	if (fd != -1 && (r->dirs[0] = fdopendir(fd)) != NULL) {
		r->names[0] = NULL;
		r->depth = 1;
	} else if (fd != -1) {
		close(fd);
	}
	return r;
}

/* Up to budget entries; 1 when the whole tree is gone. */
static int
remover_step(struct remover *r, size_t budget)
{
	while (r->depth > 0 && budget > 0) {
		DIR *top = r->dirs[r->depth - 1];
		struct dirent *de = readdir(top);
		struct stat st;
		int fd;

		if (de == NULL) {
			char *name = r->names[r->depth - 1];
			closedir(top);
			r->depth--;
			if (r->depth > 0)
				(void)unlinkat(dirfd(r->dirs[r->depth - 1]), name, AT_REMOVEDIR);
			free(name);
			budget--;
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		budget--;
		if (fstatat(dirfd(top), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (!S_ISDIR(st.st_mode) || r->depth == REMOVE_DEPTH_MAX) {
			(void)unlinkat(dirfd(top), de->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
			continue;
		}
		fd = openat(dirfd(top), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;
		if ((r->dirs[r->depth] = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		r->names[r->depth] = xstrdup(de->d_name);
		r->depth++;
	}
	if (r->depth > 0)
		return 0;
	(void)rmdir(r->root);
	return 1;
}

static void
on_remove(struct loop *loop, void *arg)
{
	struct agent_gc *g = arg;

	(void)loop;
	g->rm_timer = 0;
	if (g->rm == NULL && g->ndoomed > 0) {
		g->rm = remover_new(g->doomed[0]);
		free(g->doomed[0]);
		memmove(g->doomed, g->doomed + 1, (g->ndoomed - 1) * sizeof(*g->doomed));
		g->ndoomed--;
	}
	if (g->rm == NULL)
		return;
	if (remover_step(g->rm, REMOVE_BUDGET)) {
		log_info("removed sandbox %s", g->rm->root);
		tidy_above(g->rm->root);
		remover_free(g->rm);
		g->rm = NULL;
	}
	if (g->rm != NULL || g->ndoomed > 0)
		g->rm_timer = loop_timer_add(g->a->loop, 0, on_remove, g);
}

static double
disk_usage(const char *dir)
{
	struct statvfs vfs;

	/* As Mesos's fs::usage: blocks in use, the root-reserved free ones not counted as used. */
	if (statvfs(dir, &vfs) == -1 || vfs.f_blocks == 0)
		return 0;
	return (double)(vfs.f_blocks - vfs.f_bfree) / (double)vfs.f_blocks;
}

static void
check(struct agent_gc *g)
{
	const struct agent_config *c = &g->a->cfg;
	double now = compat_wall_time(), usage = disk_usage(g->a->work_dir);
	double factor = 1.0 - c->gc_disk_headroom - usage;
	double max_age = (double)c->gc_delay_ms / MS_PER_SECOND * (factor > 0 ? factor : 0);
	int64_t next_ms = c->disk_watch_ms;
	size_t due = 0;

	while (due < g->n && now - g->items[due].done_at >= max_age)
		due++;
	for (size_t i = 0; i < due; i++) {
		if (g->ndoomed == g->doomed_cap) {
			g->doomed_cap = g->doomed_cap ? g->doomed_cap * 2 : ITEMS_INITIAL;
			g->doomed = xreallocarray(g->doomed, g->doomed_cap, sizeof(*g->doomed));
		}
		g->doomed[g->ndoomed++] = g->items[i].path;
	}
	if (due > 0) {
		memmove(g->items, g->items + due, (g->n - due) * sizeof(*g->items));
		g->n -= due;
		log_debug("gc: %zu sandbox(es) due (max age %.0f s, disk %.0f%% used)", due, max_age,
		    usage * PERCENT);
		if (g->rm_timer == 0)
			g->rm_timer = loop_timer_add(g->a->loop, 0, on_remove, g);
	}
	if (g->n > 0) {
		double wait_ms = (g->items[0].done_at + max_age - now) * MS_PER_SECOND;
		if (wait_ms < (double)next_ms)
			next_ms = wait_ms < 1 ? 1 : (int64_t)wait_ms;
	}
	loop_timer_cancel(g->a->loop, g->timer);
	g->timer = loop_timer_add(g->a->loop, next_ms, on_timer, g);
}

struct agent_gc *
agent_gc_new(struct agent *a)
{
	struct agent_gc *g = xcalloc(1, sizeof(*g));

	g->a = a;
	g->timer = loop_timer_add(a->loop, a->cfg.disk_watch_ms, on_timer, g);
	return g;
}

void
agent_gc_schedule(struct agent_gc *g, const char *sandbox, double done_at)
{
	size_t i;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : ITEMS_INITIAL;
		g->items = xreallocarray(g->items, g->cap, sizeof(*g->items));
	}
	/* Nearly always the newest: insert from the back. */
	for (i = g->n; i > 0 && g->items[i - 1].done_at > done_at; i--)
		g->items[i] = g->items[i - 1];
	g->items[i].path = xstrdup(sandbox);
	g->items[i].done_at = done_at;
	g->n++;
	if (i == 0)
		check(g);
}

static int
owned(struct agent *a, const char *path, size_t len)
{
	const char *key;
	void *val;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		if ((t->sandbox != NULL && strlen(t->sandbox) == len && strncmp(t->sandbox, path, len) == 0) ||
		    (t->meta != NULL && strlen(t->meta) == len && strncmp(t->meta, path, len) == 0))
			return 1;
	}
	return 0;
}

/* The ends of tasks forgotten by an agentd that died before it could remove them. */
static void
drop_stale_status(struct agent_gc *g, const char *dir)
{
	size_t suffix = strlen(SUP_STATUS_SUFFIX);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *path;

		if (n <= suffix || strcmp(de->d_name + n - suffix, SUP_STATUS_SUFFIX) != 0)
			continue;
		path = xstrfmt("%s/%s", dir, de->d_name);
		if (!owned(g->a, path, strlen(path) - suffix))
			(void)unlinkat(dirfd(d), de->d_name, 0);
		free(path);
	}
	closedir(d);
}

/* The entries of dir that are directories nobody owns go on the schedule. */
static void
scan_runs(struct agent_gc *g, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *path;
		struct stat st;

		if (de->d_name[0] == '.' || strcmp(de->d_name, LAUNCHER_LATEST) == 0)
			continue;
		path = xstrfmt("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && !owned(g->a, path, strlen(path)))
			agent_gc_schedule(g, path, (double)st.st_mtime);
		free(path);
	}
	closedir(d);
}

/*
 * slaves/A/frameworks/F/executors/E/runs/R (levels 0-3): descend,
 * schedule each R.
 */
static void
scan_level(struct agent_gc *g, const char *dir, int level)
{
	static const char *const sub[SCAN_LEVELS] = { "frameworks", "executors", "runs", NULL };
	DIR *d;
	struct dirent *de;

	if (level == SCAN_LEVELS - 1) {
		scan_runs(g, dir);
		return;
	}
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *path;

		if (de->d_name[0] == '.' || strcmp(de->d_name, LAUNCHER_LATEST) == 0)
			continue;
		path = xstrfmt("%s/%s/%s", dir, de->d_name, sub[level]);
		scan_level(g, path, level + 1);
		free(path);
	}
	closedir(d);
}

void
agent_gc_scan(struct agent_gc *g)
{
	char *slaves = xstrfmt("%s/slaves", g->a->work_dir);
	char *meta = xstrfmt("%s/meta/slaves", g->a->work_dir);
	DIR *d;
	struct dirent *de;

	scan_level(g, slaves, 0);
	if ((d = opendir(meta)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *runs;
			if (de->d_name[0] == '.' || strcmp(de->d_name, LAUNCHER_LATEST) == 0)
				continue;
			runs = xstrfmt("%s/%s/runs", meta, de->d_name);
			drop_stale_status(g, runs);
			free(runs);
		}
		closedir(d);
	}
	free(meta);
	free(slaves);
	if (g->n > 0)
		log_info("gc: %zu old sandbox(es) scheduled for removal", g->n);
	check(g);
}

static void
on_status_sweep(struct loop *loop, void *arg)
{
	struct agent_gc *g = arg;

	(void)loop;
	g->status_timer = 0;
	drop_stale_status(g, g->status_dir);
	free(g->status_dir);
	g->status_dir = NULL;
}

void
agent_gc_drop_status_soon(struct agent_gc *g, const char *meta)
{
	const char *slash = strrchr(meta, '/');
	char *dir;

	if (slash == NULL || slash == meta)
		return;
	dir = xstrndup(meta, (size_t)(slash - meta));
	if (g->status_dir != NULL && strcmp(g->status_dir, dir) == 0) {
		free(dir);
		return;   /* the sweep under way takes it */
	}
	if (g->status_dir != NULL) {
		/* Another agent ID's directory: the old one's sweep is done now. */
		loop_timer_cancel(g->a->loop, g->status_timer);
		on_status_sweep(g->a->loop, g);
	}
	g->status_dir = dir;
	g->status_timer = loop_timer_add(g->a->loop, STATUS_SWEEP_MS, on_status_sweep, g);
}

void
agent_gc_free(struct agent_gc *g)
{
	if (g == NULL)
		return;
	loop_timer_cancel(g->a->loop, g->timer);
	loop_timer_cancel(g->a->loop, g->rm_timer);
	/* A sweep not done is the next agentd's: its start-up scan drops what nobody owns. */
	loop_timer_cancel(g->a->loop, g->status_timer);
	free(g->status_dir);
	for (size_t i = 0; i < g->n; i++)
		free(g->items[i].path);
	free(g->items);
	for (size_t i = 0; i < g->ndoomed; i++)
		free(g->doomed[i]);
	free(g->doomed);
	if (g->rm != NULL)
		remover_free(g->rm);
	free(g);
}
