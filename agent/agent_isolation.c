/*
 * agent_isolation.c: owns the agent's side of isolation once agentd.c has
 * chosen it: what each LAUNCH carries for it (the task's cgroup in each
 * hierarchy, named by its run, cpus, the cap, the machine's memory pace),
 * and the cgroups no supervisor looks after any more: those of a
 * supervisor that died, and, after a restart, those the checkpoint says
 * are ours but no running task holds (a live task's are found and left to
 * its supervisor). Such a cgroup's processes are killed and it is removed,
 * again a moment later if the kernel still holds it: agentd never waits.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"
#include "cgroup.h"
#include "log.h"
#include "loop.h"
#include "res.h"
#include "xmem.h"

#define REMOVE_RETRY_MS 50               /* a cgroup emptied by SIGKILL is let go of soon after */
#define REMOVE_TRIES 100
#define PROBE_PREFIX "probe-"            /* cgroup_base_find's own, never a run */

/* Cgroups to remove: their processes killed, then rmdir, until it works. */
struct agent_isolation_gone {
	struct agent_isolation_gone *next;
	char *dir;
	int tries;
};

static const char *
run_of(const char *meta)
{
	const char *slash = strrchr(meta, '/');

	return slash != NULL ? slash + 1 : meta;
}

/* The task's cgroup in ctrl's hierarchy, or NULL when cgroups do not hold that resource. */
static char *
task_cgroup(const struct agent *a, const struct agent_task *t, enum cgroup_ctrl c)
{
	if (!(a->isolation_cgroups & CGROUP_BIT(c)) || a->cgroups.dir[c] == NULL || t->meta == NULL)
		return NULL;
	return xstrfmt("%s/%s", a->cgroups.dir[c], run_of(t->meta));
}

void
agent_isolation_launch(struct agent *a, const struct agent_task *t, int64_t cpus_milli,
                       struct proto_launch *l)
{
	agent_isolation_launch_done(a);
	l->cgroup_memory = a->launch_cgroup[CGROUP_MEMORY] = task_cgroup(a, t, CGROUP_MEMORY);
	l->cgroup_cpu = a->launch_cgroup[CGROUP_CPU] = task_cgroup(a, t, CGROUP_CPU);
	l->cgroup_pids = a->launch_cgroup[CGROUP_PIDS] = task_cgroup(a, t, CGROUP_PIDS);
	l->cpus_milli = cpus_milli > 0 ? (uint64_t)cpus_milli : 0;
	l->cpu_cap = a->cfg.cgroups_enable_cfs;
	l->touch_bytes_per_ms = a->cfg.touch_rate;
}

void
agent_isolation_launch_done(struct agent *a)
{
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		free(a->launch_cgroup[c]);
		a->launch_cgroup[c] = NULL;
	}
}

static void on_remove_timer(struct loop *loop, void *arg);

/* One pass over what is to be removed: kill what is in each, rmdir it; 1 while some remain. */
static int
remove_pass(struct agent *a)
{
	struct agent_isolation_gone **pp = &a->cgroups_gone;

	while (*pp != NULL) {
		struct agent_isolation_gone *g = *pp;

		(void)cgroup_signal_all(g->dir, SIGKILL);
		if (cgroup_remove(g->dir) == 0 || ++g->tries >= REMOVE_TRIES) {
			if (g->tries >= REMOVE_TRIES)
				log_warnx("cannot remove cgroup %s: %s", g->dir, strerror(errno));
			else
				log_debug("removed cgroup %s", g->dir);
			*pp = g->next;
			free(g->dir);
			free(g);
			continue;
		}
		pp = &g->next;
	}
	return a->cgroups_gone != NULL;
}

static void
on_remove_timer(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	a->cgroups_timer = 0;
	if (remove_pass(a))
		a->cgroups_timer = loop_timer_add(loop, REMOVE_RETRY_MS, on_remove_timer, a);
}

static void
remove_later(struct agent *a, char *dir)
{
	struct agent_isolation_gone *g = xcalloc(1, sizeof(*g));

	g->dir = dir;
	g->next = a->cgroups_gone;
	a->cgroups_gone = g;
	if (a->cgroups_timer == 0)
		a->cgroups_timer = loop_timer_add(a->loop, 0, on_remove_timer, a);
}

/* Whether dir exists (a cgroup not yet removed). */
static int
exists(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0;
}

void
agent_isolation_cleanup(struct agent *a, const struct agent_task *t)
{
	if (t->meta == NULL)
		return;
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		char *dir = a->cgroups.dir[c] != NULL ? xstrfmt("%s/%s", a->cgroups.dir[c], run_of(t->meta))
		                                      : NULL;
		if (dir != NULL && exists(dir)) {
			log_info("task %s: its supervisor is gone: removing its cgroup %s", t->key, dir);
			remove_later(a, dir);
		} else {
			free(dir);
		}
	}
}

/* The task of this agent whose run is run, or NULL. */
static struct agent_task *
task_of_run(struct agent *a, const char *run)
{
	const char *key;
	void *val;

	for (size_t i = 0; map_next(&a->tasks, &i, &key, &val);) {
		struct agent_task *t = val;
		if (t->meta != NULL && strcmp(run_of(t->meta), run) == 0)
			return t;
	}
	return NULL;
}

/* Whether run was one of ours: the checkpoint has a directory for it, under any agent ID we had. */
static int
ours(struct agent *a, const char *run)
{
	char *slaves = agent_journal_meta_path(a, "slaves");
	DIR *d = opendir(slaves);
	struct dirent *de;
	int found = 0;

	while (d != NULL && !found && (de = readdir(d)) != NULL) {
		char *dir;
		if (de->d_name[0] == '.' || strcmp(de->d_name, "latest") == 0)
			continue;
		dir = xstrfmt("%s/%s/runs/%s", slaves, de->d_name, run);
		found = exists(dir);
		free(dir);
	}
	if (d != NULL)
		closedir(d);
	free(slaves);
	return found;
}

void
agent_isolation_recover(struct agent *a)
{
	size_t found = 0, orphans = 0;

	for (int c = 0; c < CGROUP_CTRLS; c++)
		if (a->isolation_cgroups & CGROUP_BIT(c))
			log_info("tasks' %s cgroups go under %s (cgroup v%d)",
			    cgroup_ctrl_name((enum cgroup_ctrl)c), a->cgroups.dir[c], a->cgroups.version[c]);

	for (int c = 0; c < CGROUP_CTRLS; c++) {
		DIR *d;
		struct dirent *de;

		if (a->cgroups.dir[c] == NULL || (d = opendir(a->cgroups.dir[c])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			struct agent_task *t;
			char *dir;

			if (de->d_name[0] == '.' || strncmp(de->d_name, PROBE_PREFIX, strlen(PROBE_PREFIX)) == 0)
				continue;
			dir = xstrfmt("%s/%s", a->cgroups.dir[c], de->d_name);
			/* Other agents started in the same cgroup share the base: theirs are not ours to touch. */
			if ((t = task_of_run(a, de->d_name)) != NULL && t->live) {
				log_info("task %s: found its %s cgroup %s", t->key,
				    cgroup_ctrl_name((enum cgroup_ctrl)c), dir);
				found++;
				free(dir);
			} else if (t != NULL || ours(a, de->d_name)) {
				log_info("cgroup %s: no running task holds it: killing what is in it, removing it",
				    dir);
				orphans++;
				remove_later(a, dir);
			} else {
				free(dir);
			}
		}
		closedir(d);
	}
	if (found > 0 || orphans > 0)
		log_info("recovered %zu task cgroup(s); %zu left by tasks no longer running", found, orphans);
}

void
agent_isolation_free(struct agent *a)
{
	loop_timer_cancel(a->loop, a->cgroups_timer);
	a->cgroups_timer = 0;
	/* A last try for what is still to go: the kernel may have let go of it by now. */
	(void)remove_pass(a);
	while (a->cgroups_gone != NULL) {
		struct agent_isolation_gone *g = a->cgroups_gone;
		a->cgroups_gone = g->next;
		free(g->dir);
		free(g);
	}
	agent_isolation_launch_done(a);
	cgroup_base_free(&a->cgroups);
}
