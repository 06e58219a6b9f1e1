/*
 * launch.c: offers for the runs' tasks. An offer is used for every task
 * of every run it fits (cpus, mem, disk, the run's placement constraints,
 * at most `parallelism` tasks of a run at once); what it cannot be used
 * for goes back at once with the master's refusal filter, and while no
 * run has a task to launch offers are suppressed, so a parallel run
 * takes what it can use while it has work and services get the cluster
 * back as its tasks end. New tasks are on disk before they are launched.
 * Each task's environment tells it its job, its run and its index
 * (JOB_COMPLETION_INDEX, as Kubernetes' indexed Jobs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jb.h"
#include "attrs.h"
#include "buf.h"
#include "xmem.h"

#define DECLINE_IDLE_S 120.0            /* nothing to launch: Marathon's --decline_offer_duration */
#define DECLINE_BUSY_S -1.0             /* the host's default filter (5 s): some run waits */
#define LAUNCH_REFUSE_S -1.0            /* what a launch leaves and no run can use, the same */
#define LAUNCH_MORE_S 0.0               /* what it leaves when one message could not carry all */
#define OFFER_TASKS_MAX 100             /* tasks launched from one offer (one protocol line) */
#define ENV_FIXED 4                     /* METRONOME_JOB_ID, METRONOME_RUN_ID, JOB_COMPLETION_* */

static int
any_launchable(struct jb *jb)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);)
		for (const struct jb_run *r = ((struct jb_job *)v)->runs; r != NULL; r = r->next)
			if (run_launchable(r) > 0)
				return 1;
	return 0;
}

void
launch_wanted(struct jb *jb)
{
	int want;

	if (!jb->registered)
		return;
	want = any_launchable(jb);
	/* suppressed is -1 after (re)registering: the master's view is not known yet. */
	if (want && jb->suppressed != 0) {
		jb->suppressed = 0;
		if (jb->d->revive(jb->d) == -1)
			jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "revive: %s", jb->d->last_error(jb->d));
	} else if (!want && jb->suppressed != 1) {
		jb->suppressed = 1;
		if (jb->d->suppress(jb->d) == -1)
			jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "suppress: %s", jb->d->last_error(jb->d));
	}
}

/* The first pending slot of r (there is one when it is launchable). */
static long long
next_pending(struct jb_run *r)
{
	while (r->next_slot < r->spec->completions && r->slots[r->next_slot] != JB_SLOT_PENDING)
		r->next_slot++;
	return r->next_slot;
}

/* 1 if an offer from hostname with attrs passes r's constraints, given its live tasks. */
static int
placeable(const struct jb_run *r, const char *hostname, const struct attrs *attrs)
{
	char buf[PC_PLACE_VALUE_MAX];
	const char **placed;
	size_t n = 0;
	int ok = 1;

	if (r->spec->nconstraints == 0)
		return 1;
	placed = xcalloc(r->ntasks + 1, sizeof(*placed));
	for (size_t i = 0; ok && i < r->spec->nconstraints; i++) {
		n = r->ntasks;
		/* Live tasks count; the list is newest first, placed[] oldest first. */
		for (const struct jb_task *t = r->tasks; t != NULL; t = t->next)
			if (t->completed_at == 0 && i < t->ncvals)
				placed[--n] = t->cvals[i];
		ok = pc_place_match(&r->spec->constraints[i], pc_place_value(r->spec->constraints[i].field,
		                    hostname, attrs, buf, sizeof(buf)), placed + n, r->ntasks - n);
	}
	free(placed);
	return ok;
}

static void
task_values(const struct jb_spec *s, struct jb_task *t, const char *hostname,
            const struct attrs *attrs)
{
	char buf[PC_PLACE_VALUE_MAX];

	if (s->nconstraints == 0)
		return;
	t->cvals = xcalloc(s->nconstraints, sizeof(*t->cvals));
	t->ncvals = s->nconstraints;
	for (size_t i = 0; i < s->nconstraints; i++) {
		const char *v = pc_place_value(s->constraints[i].field, hostname, attrs, buf, sizeof(buf));

		t->cvals[i] = v != NULL ? xstrdup(v) : NULL;
	}
}

/* What launch() needs for one task, owned here until the launch call returns. */
struct launching {
	struct framework_task ft;
	char **env;
	size_t nenv;
	char **uris;
	size_t nuris;
	char *command;
	char *resources;
};

static void
build(struct launching *l, const struct jb_task *t)
{
	const struct jb_run *r = t->run;
	const struct jb_spec *s = r->spec;

	memset(l, 0, sizeof(*l));
	l->env = xcalloc(s->nenv + ENV_FIXED, sizeof(*l->env));
	for (size_t i = 0; i < s->nenv; i++)
		l->env[l->nenv++] = xstrfmt("%s=%s", s->env[i].key, s->env[i].value);
	l->env[l->nenv++] = xstrfmt("METRONOME_JOB_ID=%s", r->job->id);
	l->env[l->nenv++] = xstrfmt("METRONOME_RUN_ID=%s", r->id);
	l->env[l->nenv++] = xstrfmt("JOB_COMPLETION_INDEX=%lld", t->index);
	l->env[l->nenv++] = xstrfmt("JOB_COMPLETIONS=%lld", s->completions);
	/* The agent's fetcher reads the options after the URI (sup/fetch.h). */
	l->uris = xcalloc(s->nartifacts + 1, sizeof(*l->uris));
	for (size_t i = 0; i < s->nartifacts; i++)
		l->uris[l->nuris++] = xstrfmt("%s%s%s%s", s->artifacts[i].uri,
		                              s->artifacts[i].extract ? "" : ";extract=0",
		                              s->artifacts[i].executable ? ";executable=1" : "",
		                              s->artifacts[i].cache ? ";cache=1" : "");
	l->command = s->cmd != NULL ? xstrdup(s->cmd) : pc_offer_shell_join(s->args, s->nargs);
	l->resources = pc_offer_resources(s->cpus, s->mem, s->disk, NULL, 0);
	l->ft.task_id = t->id;
	l->ft.command = l->command;
	l->ft.resources = l->resources;
	l->ft.env = (const char *const *)l->env;
	l->ft.nenv = l->nenv;
	l->ft.uris = (const char *const *)l->uris;
	l->ft.nuris = l->nuris;
	l->ft.user = s->user;
	l->ft.kill_grace_ms = s->kill_grace_s >= 0 ? s->kill_grace_s * JB_MS_PER_S : 0;
}

static void
unbuild(struct launching *l)
{
	pc_json_strings_free(l->env, l->nenv);
	pc_json_strings_free(l->uris, l->nuris);
	free(l->command);
	free(l->resources);
}

/*
 * Launch made[0..n) on offer of: saved first, then as many as one message
 * carries; what the offer has left is refused for refuse seconds.
 */
static void
launch(struct jb *jb, const struct framework_offer *of, struct jb_task **made, size_t n,
       double refuse)
{
	struct launching *ls = xcalloc(n, sizeof(*ls));
	struct framework_task *fts = xcalloc(n, sizeof(*fts));
	size_t fitting;

	/* Known before launched: a crash from here on finds them on disk. */
	for (size_t i = 0; i < n; i++)
		if (i == 0 || made[i]->run->job != made[i - 1]->run->job)
			jobs_save(jb, made[i]->run->job);
	for (size_t i = 0; i < n; i++) {
		build(&ls[i], made[i]);
		fts[i] = ls[i].ft;
	}
	/* Too much for one message (long envs): halve until it fits; the rest waits. */
	for (fitting = n; fitting > 0; fitting /= 2)
		if (jb->d->launch(jb->d, of->id, fts, fitting, refuse) == 0)
			break;
	if (fitting < n) {
		jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "launch on %s: %s; %zu of %zu task(s) launched",
		           of->hostname, jb->d->last_error(jb->d), fitting, n);
		for (size_t i = fitting; i < n; i++) {
			struct jb_job *job = made[i]->run->job;

			run_task_drop(jb, made[i]);
			jobs_dirty(jb, job);
		}
		if (fitting == 0)
			jb->d->decline(jb->d, of->id, DECLINE_BUSY_S);
	} else {
		jb->d->log(jb->d, FRAMEWORK_LOG_DEBUG, "launched %zu task(s) on %s", n, of->hostname);
	}
	jb->metrics.tasks_launched += (long long)fitting;
	for (size_t i = 0; i < n; i++)
		unbuild(&ls[i]);
	free(ls);
	free(fts);
}

/* A run taking from one offer: how many it got, and why it stopped (-1: it may take more). */
struct taker {
	struct jb_run *run;
	long long got;
	int why;
};

/* The open taker with the fewest live tasks, the oldest run on a tie; NULL when none is open. */
static struct taker *
neediest(struct taker *t, size_t n)
{
	struct taker *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct jb_run *r = t[i].run;

		if (t[i].why != -1 || run_launchable(r) <= 0)
			continue;
		if (best == NULL || r->nlive < best->run->nlive ||
		    (r->nlive == best->run->nlive && r->created_at < best->run->created_at))
			best = &t[i];
	}
	return best;
}

/*
 * Take what one offer can give the runs' pending slots: the run with the
 * fewest live tasks first, as a fair scheduler shares among jobs (a small
 * run is not held behind a large one), and it keeps the offer's turn for as
 * many tasks as fit before the next run takes. A run's tasks are alike and
 * started together end together, so an agent they share with no other run
 * gets its room back in whole pieces: taken a task at a time in turn, two
 * runs' 1-cpu tasks ending seconds apart leave 1-cpu holes that a 2-cpu task
 * waiting in another framework cannot use. Fairness between runs holds over
 * offers, each of which goes first to the neediest run of the moment.
 */
static void
match_offer(struct jb *jb, const struct framework_offer *of)
{
	struct jb_task **made;
	struct taker *takers, *t;
	struct pc_offer left;
	struct attrs attrs;
	char err[JB_ERR_MAX];
	size_t n = 0, nt = 0, cap = 0;
	int waiting = 0;
	const char *k;
	void *v;

	if (pc_offer_init(&left, of->resources, err, sizeof(err)) == -1) {
		jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "offer %s: %s", of->id, err);
		jb->d->decline(jb->d, of->id, DECLINE_BUSY_S);
		return;
	}
	attrs_init(&attrs);
	if (attrs_parse(&attrs, of->attributes != NULL ? of->attributes : "", err, sizeof(err)) == -1)
		jb->d->log(jb->d, FRAMEWORK_LOG_WARN, "offer %s attributes: %s", of->id, err);
	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);)
		for (struct jb_run *r = ((struct jb_job *)v)->runs; r != NULL; r = r->next)
			cap += run_launchable(r) > 0;
	takers = xcalloc(cap + 1, sizeof(*takers));
	for (size_t i = 0; map_next(&jb->jobs, &i, &k, &v);)
		for (struct jb_run *r = ((struct jb_job *)v)->runs; r != NULL; r = r->next)
			if (run_launchable(r) > 0 && nt < cap)
				takers[nt++] = (struct taker){ r, 0, -1 };
	made = xcalloc(OFFER_TASKS_MAX, sizeof(*made));
	for (t = NULL; n < OFFER_TASKS_MAX; ) {
		const struct jb_spec *s;

		if ((t == NULL || t->why != -1 || run_launchable(t->run) <= 0) &&
		    (t = neediest(takers, nt)) == NULL)
			break;
		s = t->run->spec;
		if (!placeable(t->run, of->hostname, &attrs)) {
			t->why = PC_REASON_CONSTRAINT;
			continue;
		}
		if ((t->why = pc_offer_take(&left, s->cpus, s->mem, s->disk, NULL, 0, NULL)) != -1)
			continue;
		made[n] = run_task_new(jb, t->run, next_pending(t->run), of->agent_id, of->hostname);
		task_values(s, made[n++], of->hostname, &attrs);
		t->got++;
	}
	for (size_t i = 0; i < nt; i++) {
		pc_offer_stats_note(&takers[i].run->stats, takers[i].got, takers[i].why);
		waiting |= run_launchable(takers[i].run) > 0;
	}
	free(takers);
	attrs_free(&attrs);
	/* Full before the runs were: what it leaves is for them, at once. */
	if (n > 0)
		launch(jb, of, made, n, n == OFFER_TASKS_MAX && waiting ? LAUNCH_MORE_S :
		       LAUNCH_REFUSE_S);
	else
		jb->d->decline(jb->d, of->id, waiting ? DECLINE_BUSY_S : DECLINE_IDLE_S);
	free(made);
}

void
launch_offers(struct jb *jb, const struct framework_offer *offers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		match_offer(jb, &offers[i]);
	launch_wanted(jb);
}
