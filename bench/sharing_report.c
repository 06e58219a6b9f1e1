/*
 * bench/sharing_report.c: the two replays compared. Reads
 * OUTDIR/static.samples and OUTDIR/sharing.samples (sharing_replay.c
 * says their records), prints the figures as `name value unit` lines and
 * writes OUTDIR/sharing.html: the figures, then SVG plots drawn here
 * (no library): each role's share of the cluster's cpus and memory over
 * time, stacked, for both modes on one time scale; the services' running
 * instances against what they wanted; the batch jobs' completion times
 * as two distribution curves.
 *
 * Definitions. A mode's makespan runs from the trace's start to the end
 * of its last job's run (at least the trace's duration). Utilization is
 * what the cluster's running tasks hold (the master's used resources,
 * summed over the roles) over its total, averaged over the samples of the
 * makespan; "allocated" adds what sits in outstanding offers. The "day"
 * utilization averages the samples of the trace's own duration instead,
 * the same window in both modes: both are offered the same demand in it,
 * and what one mode leaves queued past it (static partitions whose own
 * share is full while another's idles) counts against it there rather
 * than stretching its averaging window. Its "fragments" are the idle
 * cpus and memory on agents where not even the trace's smallest batch
 * task fits (the replay's A record), averaged the same way. The idle
 * cpus of the day are also split by whether some batch task was waiting
 * to launch then (the trace's tasks submitted by then less those staged):
 * while none waits nothing could have used them; while some waits, the
 * part on agents where the largest batch task does not fit is what
 * placement (pieces freed too small) could still win, and of it the cpus
 * on agents with the cpus it needs but not the memory. A job's
 * completion time is its run's finishedAt less its createdAt (the
 * plugin's own clock).
 *
 * Services, from timestamps (the replay's U and I records): an app wants,
 * from the moment the replay asked Marathon for it, the count it asked
 * for; it runs the tasks between their TASK_RUNNING and terminal statuses
 * (the agent's clock). Its shortfall is wanted less running where
 * positive, integrated over the trace's duration (instance-seconds short,
 * summed over the apps). Each scale-up (a count above the one before,
 * the app's creation included) is owed until the app runs the count
 * asked for, or what a later scale-down left it wanting: its time to
 * reach; the same until the master launched them (its TASK_STAGING) is
 * the part the allocation and the offer took, the rest the agent's
 * launch. Scale-downs owe nothing.
 *
 * Turnover, from the X records: for each batch task that ended within
 * the day, the time until the next task was launched on its agent (any
 * role; a slot too small for what waits, or idle for want of work, shows
 * as a long gap), and a batch task's launch from staged to running. The replay's 100 ms poll of Marathon
 * (its Q record) is kept as the "polled" figures; the plot shows the
 * per-second samples.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sharing.h"
#include "xmem.h"

#define MODES          2
#define PLOT_W         520
#define PLOT_H         220
#define MARGIN_L       56
#define MARGIN_R       16
#define MARGIN_T       28
#define MARGIN_B       40
#define X_TICKS        8
#define Y_TICKS        5
#define PERCENT        100.0

static const char *const mode_names[MODES] = { "static", "sharing" };
static const char *const mode_titles[MODES] = { "static", "sharing" };
/* One color a role, in the trace's order; the modes' curves in the CDF. */
static const char *const role_colors[] = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759",
	"#b07aa1", "#76b7b2", "#edc948", "#9c755f" };
static const char *const mode_colors[MODES] = { "#e15759", "#4e79a7" };

struct sample {
	double at, cpus, mem;
	double used_c[SH_ROLES_MAX], used_m[SH_ROLES_MAX];
	double off_c[SH_ROLES_MAX], off_m[SH_ROLES_MAX];
	int wanted, running, short_by;
	double idle_c;                  /* idle cpus (A) */
	double small_c;                 /* of them, where the largest batch task does not fit (A), -1 */
	double mem_short_c;             /* of those, where it lacks only memory (A), -1 */
	double frag_c, frag_m;          /* idle where no batch task fits (A) */
};

struct job {
	int role;
	double created, finished;
	int ok;
};

/* An app's wanted count, from when it was asked for (U). */
struct scale {
	int app, instances;
	double at;
};

/* A service task that ran (I): staged when the master launched it; end < 0 while it runs. */
struct span {
	int app;
	double staged, running, end;
};

/* A task that ended or ran to the end (X). */
struct xtask {
	char agent[SH_ID_MAX];
	int batch;                      /* not the services' */
	double staged, running, end;
};

struct run {
	struct sample *s;
	size_t ns, scap;
	struct job *j;
	size_t nj, jcap;
	struct scale *u;
	size_t nu, ucap;
	struct span *sp;
	size_t nsp, spcap;
	struct xtask *x;
	size_t nx, xcap;
	double makespan;
	double *done;                   /* completion times, sorted */
	/* The figures. */
	double cpu_util, mem_util, cpu_alloc, mem_alloc;
	double cpu_day, mem_day;        /* over the trace's duration */
	double cpu_frag_day, mem_frag_day; /* idle in fragments no batch task fits, the same */
	double cpu_idle_waiting_day;    /* idle while some batch task waits to launch, the same */
	double cpu_idle_no_work_day;    /* idle while none waits: no placement could fill it */
	double cpu_idle_small_day;      /* idle while some waits, in pieces the largest does not fit */
	double cpu_idle_mem_short_day;  /* of them, pieces with its cpus but not its memory */
	double mean, p50, p95;
	double short_s, short_inst_s;   /* polled */
	double svc_short_inst_s;        /* from timestamps */
	double svc_scaleups, svc_reach_mean, svc_reach_max, svc_unreached;
	double svc_staged_mean, svc_staged_max; /* the same until launched: the offer's part */
	double turnover_p50, turnover_p90, turnover_fast; /* freed slot to next launch on its agent */
	double batch_launch_mean;       /* a batch task's staged to running */
	int failed;
};

static int
load(const struct sh_trace *t, const char *path, struct run *r)
{
	char line[SH_LINE_MAX], name[SH_ID_MAX], job[SH_ID_MAX];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "sharing: cannot read %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct sample *s = r->ns ? &r->s[r->ns - 1] : NULL;
		double at, a, b, c, d;
		int k, w, n, sh;

		if (line[0] == 'T' && sscanf(line, "T %lf %lf %lf", &at, &a, &b) == 3) {
			if (r->ns == r->scap) {
				r->scap = r->scap ? r->scap * 2 : 256;
				r->s = xreallocarray(r->s, r->scap, sizeof(*r->s));
			}
			s = &r->s[r->ns++];
			memset(s, 0, sizeof(*s));
			s->at = at;
			s->cpus = a;
			s->mem = b;
		} else if (line[0] == 'R' && s != NULL && sscanf(line, "R %lf %63s %lf %lf %lf %lf", &at,
		           name, &a, &b, &c, &d) == 6 && (k = sh_trace_role(t, name)) >= 0) {
			s->used_c[k] = a;
			s->used_m[k] = b;
			s->off_c[k] = c;
			s->off_m[k] = d;
		} else if (line[0] == 'S' && s != NULL &&
		           sscanf(line, "S %lf %d %d %d", &at, &w, &n, &sh) == 4) {
			s->wanted = w;
			s->running = n;
			s->short_by = sh;
		} else if (line[0] == 'A' && s != NULL &&
		           sscanf(line, "A %lf %lf %lf %lf %lf", &at, &a, &b, &c, &d) == 5) {
			double small_c = -1, small_m = -1, mem_short_c = -1;

			/* Older samples end sooner: what they lack is not known. */
			if (sscanf(line, "A %*f %*f %*f %*f %*f %lf %lf %lf", &small_c, &small_m,
			           &mem_short_c) < 2)
				small_c = -1;
			s->idle_c = a;
			s->frag_c = c;
			s->frag_m = d;
			s->small_c = small_c;
			s->mem_short_c = mem_short_c;
		} else if (line[0] == 'Q' && sscanf(line, "Q %lf %lf", &a, &b) == 2) {
			r->short_s = a;
			r->short_inst_s = b;
		} else if (line[0] == 'U' && sscanf(line, "U %lf %63s %d", &a, name, &n) == 3 &&
		           (k = sh_trace_app(t, name)) >= 0) {
			if (r->nu == r->ucap) {
				r->ucap = r->ucap ? r->ucap * 2 : 64;
				r->u = xreallocarray(r->u, r->ucap, sizeof(*r->u));
			}
			r->u[r->nu++] = (struct scale){ k, n, a };
		} else if (line[0] == 'I' && sscanf(line, "I %63s %lf %lf %lf", name, &c, &a, &b) == 4 &&
		           (k = sh_trace_app(t, name)) >= 0) {
			if (r->nsp == r->spcap) {
				r->spcap = r->spcap ? r->spcap * 2 : 64;
				r->sp = xreallocarray(r->sp, r->spcap, sizeof(*r->sp));
			}
			r->sp[r->nsp++] = (struct span){ k, c, a, b };
		} else if (line[0] == 'X' && sscanf(line, "X %63s %63s %lf %lf %lf", name, job, &a, &b,
		           &c) == 5) {
			if (r->nx == r->xcap) {
				r->xcap = r->xcap ? r->xcap * 2 : 256;
				r->x = xreallocarray(r->x, r->xcap, sizeof(*r->x));
			}
			memset(&r->x[r->nx], 0, sizeof(r->x[r->nx]));
			snprintf(r->x[r->nx].agent, sizeof(r->x[r->nx].agent), "%s", job);
			r->x[r->nx].batch = (k = sh_trace_role(t, name)) >= 0 && k != t->services;
			r->x[r->nx].staged = a;
			r->x[r->nx].running = b;
			r->x[r->nx++].end = c;
		} else if (line[0] == 'J' && sscanf(line, "J %63s %63s %d %lf %lf %d", name, job, &n,
		           &a, &b, &k) == 6) {
			if (r->nj == r->jcap) {
				r->jcap = r->jcap ? r->jcap * 2 : 256;
				r->j = xreallocarray(r->j, r->jcap, sizeof(*r->j));
			}
			r->j[r->nj].role = sh_trace_role(t, name);
			r->j[r->nj].created = a;
			r->j[r->nj].finished = b;
			r->j[r->nj++].ok = k;
		}
	}
	fclose(f);
	if (r->ns == 0 || r->nj == 0) {
		fprintf(stderr, "sharing: %s has no samples or no jobs\n", path);
		return -1;
	}
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile (nearest rank) of sorted v[0..n). */
static double
percentile(const double *v, size_t n, double p)
{
	size_t k = (size_t)ceil(p / PERCENT * (double)n);

	return v[k > 0 ? k - 1 : 0];
}

/* What app wants at time at: its last scale asked for at or before then (0 before any). */
static int
svc_wanted(const struct run *r, int app, double at)
{
	int n = 0;
	double when = -1;

	for (size_t i = 0; i < r->nu; i++)
		if (r->u[i].app == app && r->u[i].at <= at && r->u[i].at >= when) {
			when = r->u[i].at;
			n = r->u[i].instances;
		}
	return n;
}

/* When a span starts: its running status, or (staged) its launch. */
static double
span_start(const struct span *sp, int staged)
{
	return staged ? sp->staged : sp->running;
}

/* The app's tasks running (or launched) at time at, until their end. */
static int
svc_running(const struct run *r, int app, double at, int staged)
{
	int n = 0;

	for (size_t i = 0; i < r->nsp; i++)
		n += r->sp[i].app == app && span_start(&r->sp[i], staged) <= at &&
		     (r->sp[i].end < 0 || r->sp[i].end > at);
	return n;
}

/* The times app's counts change, within [0, end], sorted, in pts (which holds nu + 3 nsp + 2). */
static size_t
svc_points(const struct run *r, int app, double end, double *pts)
{
	size_t n = 0;

	pts[n++] = 0;
	pts[n++] = end;
	for (size_t i = 0; i < r->nu; i++)
		if (r->u[i].app == app && r->u[i].at > 0 && r->u[i].at < end)
			pts[n++] = r->u[i].at;
	for (size_t i = 0; i < r->nsp; i++) {
		if (r->sp[i].app != app)
			continue;
		if (r->sp[i].running > 0 && r->sp[i].running < end)
			pts[n++] = r->sp[i].running;
		if (r->sp[i].staged > 0 && r->sp[i].staged < end)
			pts[n++] = r->sp[i].staged;
		if (r->sp[i].end > 0 && r->sp[i].end < end)
			pts[n++] = r->sp[i].end;
	}
	qsort(pts, n, sizeof(*pts), cmp_double);
	return n;
}

/*
 * A scale-up's time until app runs (or, staged, has launched) the count
 * asked for, or what a later scale-down left it wanting; end - at, and
 * *unreached set, if it never does within pts[0..n).
 */
static double
svc_reach(const struct run *r, const struct scale *u, const double *pts, size_t n, double end,
          int staged, int *unreached)
{
	for (size_t i = 0; i < n; i++) {
		int want = svc_wanted(r, u->app, pts[i]);

		if (pts[i] >= u->at && svc_running(r, u->app, pts[i], staged) >=
		    (want < u->instances ? want : u->instances))
			return pts[i] - u->at;
	}
	*unreached = 1;
	return end - u->at;
}

/*
 * The services' figures from the U and I records over [0, end]: the
 * instance-seconds short, and each scale-up's time to reach its count
 * (and to have it launched).
 */
static void
svc_figures(const struct sh_trace *t, struct run *r, double end)
{
	double *pts = xcalloc(r->nu + 3 * r->nsp + 2, sizeof(*pts));
	double reach_sum = 0, staged_sum = 0;

	for (int a = 0; a < t->napps; a++) {
		size_t n = svc_points(r, a, end, pts);

		for (size_t i = 0; i + 1 < n; i++) {
			int lack = svc_wanted(r, a, pts[i]) - svc_running(r, a, pts[i], 0);

			if (lack > 0)
				r->svc_short_inst_s += lack * (pts[i + 1] - pts[i]);
		}
		for (size_t e = 0; e < r->nu; e++) {
			const struct scale *u = &r->u[e];
			int unreached = 0, ignored = 0;
			double reach, staged;

			if (u->app != a || u->at >= end || u->instances <= svc_wanted(r, a, u->at - 1e-9))
				continue;
			reach = svc_reach(r, u, pts, n, end, 0, &unreached);
			staged = svc_reach(r, u, pts, n, end, 1, &ignored);
			r->svc_unreached += unreached;
			r->svc_scaleups++;
			reach_sum += reach;
			staged_sum += staged;
			if (reach > r->svc_reach_max)
				r->svc_reach_max = reach;
			if (staged > r->svc_staged_max)
				r->svc_staged_max = staged;
		}
	}
	if (r->svc_scaleups > 0) {
		r->svc_reach_mean = reach_sum / r->svc_scaleups;
		r->svc_staged_mean = staged_sum / r->svc_scaleups;
	}
	free(pts);
}

static int
cmp_xtask(const void *a, const void *b)
{
	const struct xtask *x = a, *y = b;
	int c = strcmp(x->agent, y->agent);

	return c != 0 ? c : (x->staged > y->staged) - (x->staged < y->staged);
}

/*
 * The turnover of batch slots over [0, end]: for each batch task that
 * ended then, the time until the next task was launched (staged) on its
 * agent. The gaps' p50 and p90, the share under TURNOVER_FAST_S, and a
 * batch task's mean launch (staged to running).
 */
#define TURNOVER_FAST_S 0.1
static void
turnover(struct run *r, double end)
{
	double *gaps = xcalloc(r->nx + 1, sizeof(*gaps)), launch = 0;
	size_t ngaps = 0, nlaunch = 0, fast = 0;

	qsort(r->x, r->nx, sizeof(*r->x), cmp_xtask);
	for (size_t i = 0; i < r->nx; i++) {
		const struct xtask *x = &r->x[i];

		if (x->batch && x->staged >= 0 && x->running >= x->staged) {
			launch += x->running - x->staged;
			nlaunch++;
		}
		if (!x->batch || x->end < 0 || x->end > end)
			continue;
		/* The same agent's tasks are together, by launch: the first launched since. */
		for (size_t k = 0; k < r->nx; k++) {
			const struct xtask *y = &r->x[k];

			if (strcmp(y->agent, x->agent) == 0 && y->staged >= x->end) {
				gaps[ngaps++] = y->staged - x->end;
				fast += y->staged - x->end < TURNOVER_FAST_S;
				break;
			}
		}
	}
	if (ngaps > 0) {
		qsort(gaps, ngaps, sizeof(*gaps), cmp_double);
		r->turnover_p50 = percentile(gaps, ngaps, 50);
		r->turnover_p90 = percentile(gaps, ngaps, 90);
		r->turnover_fast = PERCENT * (double)fast / (double)ngaps;
	}
	r->batch_launch_mean = nlaunch > 0 ? launch / (double)nlaunch : 0;
	free(gaps);
}

/*
 * Batch tasks submitted by at (the trace's jobs) less those launched by at
 * (every batch task's staged time): > 0 when some batch work waits.
 */
static long
batch_waiting(const struct sh_trace *t, const struct run *r, double at)
{
	long n = 0;

	for (size_t e = 0; e < t->nevents && t->events[e].at <= at; e++)
		if (t->events[e].is_job)
			n += t->events[e].tasks;
	for (size_t i = 0; i < r->nx; i++)
		if (r->x[i].batch && r->x[i].staged >= 0 && r->x[i].staged <= at)
			n--;
	return n;
}

static void
figures(const struct sh_trace *t, struct run *r)
{
	double sum = 0;
	size_t n = 0, nday = 0;

	r->makespan = t->duration;
	r->done = xcalloc(r->nj, sizeof(*r->done));
	for (size_t i = 0; i < r->nj; i++) {
		if (r->j[i].finished > r->makespan)
			r->makespan = r->j[i].finished;
		r->done[i] = r->j[i].finished - r->j[i].created;
		sum += r->done[i];
		r->failed += !r->j[i].ok;
	}
	qsort(r->done, r->nj, sizeof(*r->done), cmp_double);
	svc_figures(t, r, t->duration);
	turnover(r, t->duration);
	r->mean = sum / (double)r->nj;
	r->p50 = percentile(r->done, r->nj, 50);
	r->p95 = percentile(r->done, r->nj, 95);
	for (size_t i = 0; i < r->ns; i++) {
		const struct sample *s = &r->s[i];
		double uc = 0, um = 0, oc = 0, om = 0;

		if (s->at > r->makespan || s->cpus <= 0 || s->mem <= 0)
			continue;
		for (int k = 0; k < t->nroles; k++) {
			uc += s->used_c[k];
			um += s->used_m[k];
			oc += s->off_c[k];
			om += s->off_m[k];
		}
		r->cpu_util += uc / s->cpus;
		r->mem_util += um / s->mem;
		r->cpu_alloc += (uc + oc) / s->cpus;
		r->mem_alloc += (um + om) / s->mem;
		n++;
		if (s->at <= t->duration) {
			r->cpu_day += uc / s->cpus;
			r->mem_day += um / s->mem;
			r->cpu_frag_day += s->frag_c / s->cpus;
			r->mem_frag_day += s->frag_m / s->mem;
			if (batch_waiting(t, r, s->at) > 0) {
				r->cpu_idle_waiting_day += s->idle_c / s->cpus;
				r->cpu_idle_small_day += s->small_c > 0 ? s->small_c / s->cpus : 0;
				r->cpu_idle_mem_short_day += s->mem_short_c > 0 ? s->mem_short_c / s->cpus : 0;
			} else {
				r->cpu_idle_no_work_day += s->idle_c / s->cpus;
			}
			nday++;
		}
	}
	if (nday > 0) {
		r->cpu_day *= PERCENT / (double)nday;
		r->mem_day *= PERCENT / (double)nday;
		r->cpu_frag_day *= PERCENT / (double)nday;
		r->mem_frag_day *= PERCENT / (double)nday;
		r->cpu_idle_waiting_day *= PERCENT / (double)nday;
		r->cpu_idle_no_work_day *= PERCENT / (double)nday;
		r->cpu_idle_small_day *= PERCENT / (double)nday;
		r->cpu_idle_mem_short_day *= PERCENT / (double)nday;
	}
	if (n > 0) {
		r->cpu_util *= PERCENT / (double)n;
		r->mem_util *= PERCENT / (double)n;
		r->cpu_alloc *= PERCENT / (double)n;
		r->mem_alloc *= PERCENT / (double)n;
	}
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* The figures, printed and (with a title) in the page's table: a double of struct run each. */
struct figure {
	const char *name, *title, *unit;
	size_t off;
	int ratio;                      /* print sharing/static too */
	int digits;                     /* after the point */
};

static const struct figure figures_table[] = {
	{ "cpu_util_day", "cpu utilization (mean over the trace's day, the same window in both)", "%",
	  offsetof(struct run, cpu_day), 1, 1 },
	{ "mem_util_day", "memory utilization (the same window)", "%", offsetof(struct run, mem_day),
	  1, 1 },
	{ "cpu_fragments_day", "cpus idle where no batch task fits (the same window)", "%",
	  offsetof(struct run, cpu_frag_day), 0, 1 },
	{ "mem_fragments_day", NULL, "%", offsetof(struct run, mem_frag_day), 0, 1 },
	{ "cpu_idle_waiting_day", "cpus idle while batch tasks wait to launch (the same window)",
	  "%", offsetof(struct run, cpu_idle_waiting_day), 0, 1 },
	{ "cpu_idle_no_work_day", "cpus idle while no batch task waits (the same window)", "%",
	  offsetof(struct run, cpu_idle_no_work_day), 0, 1 },
	{ "cpu_idle_small_day", "of the cpus idle while batch tasks wait, those in pieces the "
	  "largest batch task does not fit", "%", offsetof(struct run, cpu_idle_small_day), 0, 1 },
	{ "cpu_idle_mem_short_day", "of those, pieces with its cpus but short of its memory", "%",
	  offsetof(struct run, cpu_idle_mem_short_day), 0, 1 },
	{ "cpu_util", "cpu utilization (mean over each mode's own makespan)", "%",
	  offsetof(struct run, cpu_util), 1, 1 },
	{ "mem_util", "memory utilization (each mode's own makespan)", "%",
	  offsetof(struct run, mem_util), 1, 1 },
	{ "cpu_allocated", NULL, "%", offsetof(struct run, cpu_alloc), 0, 1 },
	{ "mem_allocated", NULL, "%", offsetof(struct run, mem_alloc), 0, 1 },
	{ "batch_completion_mean", "batch completion time, mean", "s", offsetof(struct run, mean), 1, 1 },
	{ "batch_completion_p50", "batch completion time, p50", "s", offsetof(struct run, p50), 1, 1 },
	{ "batch_completion_p95", "batch completion time, p95", "s", offsetof(struct run, p95), 1, 1 },
	/* Instance-seconds, in "s" units: `name value unit` takes no hyphen in a unit. */
	{ "services_short_instance_seconds", "services: instance-seconds below the count asked for "
	  "(from the tasks' running timestamps)", "s",
	  offsetof(struct run, svc_short_inst_s), 1, 2 },
	{ "services_scaleups", "services: scale-ups", "count", offsetof(struct run, svc_scaleups), 0, 0 },
	{ "services_reach_mean", "services: a scale-up's time until its tasks run, mean", "s",
	  offsetof(struct run, svc_reach_mean), 1, 3 },
	{ "services_reach_max", "services: the same, most", "s", offsetof(struct run, svc_reach_max),
	  1, 3 },
	{ "services_launched_mean", "services: a scale-up's time until its tasks are launched "
	  "(the offer's part), mean", "s", offsetof(struct run, svc_staged_mean), 1, 3 },
	{ "services_launched_max", "services: the same, most", "s",
	  offsetof(struct run, svc_staged_max), 1, 3 },
	{ "services_unreached", NULL, "count", offsetof(struct run, svc_unreached), 0, 0 },
	{ "services_short_polled", "services below their wanted count, polled every 100 ms", "s",
	  offsetof(struct run, short_s), 0, 1 },
	{ "services_short_polled_instance_seconds", NULL, "s", offsetof(struct run, short_inst_s),
	  0, 1 },
	{ "turnover_p50", "a batch task's end to the next launch on its agent, p50", "s",
	  offsetof(struct run, turnover_p50), 0, 3 },
	{ "turnover_p90", "the same, p90", "s", offsetof(struct run, turnover_p90), 0, 3 },
	{ "turnover_under_100ms", NULL, "%", offsetof(struct run, turnover_fast), 0, 1 },
	{ "batch_launch_mean", "a batch task's launch (staged to running), mean", "s",
	  offsetof(struct run, batch_launch_mean), 0, 3 },
	{ "makespan", "makespan", "s", offsetof(struct run, makespan), 1, 1 },
};
#define NFIGURES (sizeof(figures_table) / sizeof(figures_table[0]))

static double
value(const struct run *r, const struct figure *f)
{
	return *(const double *)(const void *)((const char *)r + f->off);
}

static void
print_figures(FILE *out, const struct run *r)
{
	for (size_t i = 0; i < NFIGURES; i++) {
		const struct figure *f = &figures_table[i];

		fprintf(out, "sharing_%s_static %.*f %s\n", f->name, f->digits, value(&r[0], f), f->unit);
		fprintf(out, "sharing_%s_sharing %.*f %s\n", f->name, f->digits, value(&r[1], f), f->unit);
		if (f->ratio)
			fprintf(out, "sharing_%s_ratio %.2f x\n", f->name,
			        ratio(value(&r[1], f), value(&r[0], f)));
	}
}

/* ------------------------------------------------------------ SVG */

struct plot {
	FILE *out;
	double x0, x1, y0, y1;          /* the data's box */
};

static double
px(const struct plot *p, double x)
{
	return MARGIN_L + (x - p->x0) / (p->x1 - p->x0) * (PLOT_W - MARGIN_L - MARGIN_R);
}

static double
py(const struct plot *p, double y)
{
	return PLOT_H - MARGIN_B - (y - p->y0) / (p->y1 - p->y0) * (PLOT_H - MARGIN_T - MARGIN_B);
}

/* A round step (1, 2 or 5 times a power of ten) giving at most n ticks over span. */
static double
tick_step(double span, int n)
{
	double step = pow(10, floor(log10(span / n)));

	if (span / step > n * 5)
		step *= 10;
	else if (span / step > n * 2)
		step *= 5;
	else if (span / step > n)
		step *= 2;
	return step;
}

static void
plot_begin(struct plot *p, const char *title, const char *xlabel, const char *ylabel)
{
	FILE *o = p->out;
	double xs = tick_step(p->x1 - p->x0, X_TICKS), ys = tick_step(p->y1 - p->y0, Y_TICKS);

	fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n",
	        PLOT_W, PLOT_H, PLOT_W, PLOT_H);
	fprintf(o, "<text x=\"%d\" y=\"16\" font-size=\"13\" font-weight=\"bold\">%s</text>\n",
	        MARGIN_L, title);
	for (double v = ceil(p->y0 / ys) * ys; v <= p->y1 + ys / 1e6; v += ys)
		fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		        "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", MARGIN_L,
		        PLOT_W - MARGIN_R, py(p, v), py(p, v), MARGIN_L - 4, py(p, v) + 4,
		        floor(v * 100 + 0.5) / 100);
	for (double v = ceil(p->x0 / xs) * xs; v <= p->x1 + xs / 1e6; v += xs)
		fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(p, v),
		        PLOT_H - MARGIN_B + 14, v);
	fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
	        "stroke=\"#888\"/>\n", MARGIN_L, MARGIN_T, PLOT_W - MARGIN_L - MARGIN_R,
	        PLOT_H - MARGIN_T - MARGIN_B);
	fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
	        (PLOT_W + MARGIN_L) / 2, PLOT_H - 6, xlabel);
	fprintf(o, "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s"
	        "</text>\n", (PLOT_H - MARGIN_B + MARGIN_T) / 2, ylabel);
}

static void
vline(const struct plot *p, double x, const char *label)
{
	fprintf(p->out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#333\" "
	        "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"10\">%s</text>\n",
	        px(p, x), px(p, x), MARGIN_T, PLOT_H - MARGIN_B, px(p, x) + 3, MARGIN_T + 10, label);
}

/* Each role's part of the cluster (cpus, or mem), stacked in the trace's order. */
static void
plot_stack(FILE *out, const struct sh_trace *t, const struct run *r, int mode, int mem,
           double xmax)
{
	struct plot p = { out, 0, xmax, 0, PERCENT };
	char title[SH_LINE_MAX];
	double *below = xcalloc(r->ns, sizeof(*below));

	snprintf(title, sizeof(title), "%s: %s used, by role (mean %.0f%%)", mode_titles[mode],
	         mem ? "memory" : "cpus", mem ? r->mem_util : r->cpu_util);
	plot_begin(&p, title, "seconds", "% of the cluster");
	for (int k = 0; k < t->nroles; k++) {
		fprintf(out, "<polygon fill=\"%s\" fill-opacity=\"0.85\" stroke=\"none\" points=\"",
		        role_colors[k % (sizeof(role_colors) / sizeof(role_colors[0]))]);
		for (size_t i = 0; i < r->ns; i++) {
			const struct sample *s = &r->s[i];
			double tot = mem ? s->mem : s->cpus;
			double v = tot > 0 ? (mem ? s->used_m[k] : s->used_c[k]) / tot * PERCENT : 0;

			fprintf(out, "%.1f,%.1f ", px(&p, s->at), py(&p, below[i] + v));
		}
		for (size_t i = r->ns; i-- > 0;) {
			const struct sample *s = &r->s[i];
			double tot = mem ? s->mem : s->cpus;

			fprintf(out, "%.1f,%.1f ", px(&p, s->at), py(&p, below[i]));
			below[i] += tot > 0 ? (mem ? s->used_m[k] : s->used_c[k]) / tot * PERCENT : 0;
		}
		fprintf(out, "\"/>\n");
	}
	vline(&p, t->duration, "trace ends");
	fprintf(out, "</svg>\n");
	free(below);
}

/* The services' running instances, against what the trace wants. */
static void
plot_services(FILE *out, const struct sh_trace *t, const struct run *r, double xmax)
{
	struct plot p = { out, 0, xmax, 0, 0 };
	const char *const dash[MODES] = { "none", "5 3" };

	for (int m = 0; m < MODES; m++)
		for (size_t i = 0; i < r[m].ns; i++)
			if (r[m].s[i].wanted > p.y1)
				p.y1 = r[m].s[i].wanted;
	p.y1 = p.y1 > 0 ? ceil(p.y1 * 1.1) : 1;
	plot_begin(&p, "services: instances running (lines), wanted (grey)", "seconds",
	           "instances");
	fprintf(out, "<polyline fill=\"none\" stroke=\"#bbb\" stroke-width=\"6\" points=\"");
	for (size_t i = 0; i < r[0].ns; i++)
		fprintf(out, "%.1f,%.1f ", px(&p, r[0].s[i].at), py(&p, r[0].s[i].wanted));
	fprintf(out, "\"/>\n");
	for (int m = 0; m < MODES; m++) {
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
		        "stroke-dasharray=\"%s\" points=\"", mode_colors[m], dash[m]);
		for (size_t i = 0; i < r[m].ns; i++)
			fprintf(out, "%.1f,%.1f ", px(&p, r[m].s[i].at), py(&p, r[m].s[i].running));
		fprintf(out, "\"/>\n");
	}
	vline(&p, t->duration, "trace ends");
	fprintf(out, "</svg>\n");
}

/* The completion times' distribution: the fraction of jobs done within x seconds. */
static void
plot_cdf(FILE *out, const struct run *r)
{
	struct plot p = { out, 0, 0, 0, 1 };

	for (int m = 0; m < MODES; m++)
		if (r[m].done[r[m].nj - 1] > p.x1)
			p.x1 = r[m].done[r[m].nj - 1];
	p.x1 = ceil(p.x1 / 10) * 10;
	plot_begin(&p, "batch jobs: completion times, cumulative", "seconds from submission",
	           "fraction of jobs");
	for (int m = 0; m < MODES; m++) {
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%.1f,%.1f ",
		        mode_colors[m], px(&p, 0), py(&p, 0));
		for (size_t i = 0; i < r[m].nj; i++)
			fprintf(out, "%.1f,%.1f %.1f,%.1f ", px(&p, r[m].done[i]),
			        py(&p, (double)i / (double)r[m].nj), px(&p, r[m].done[i]),
			        py(&p, (double)(i + 1) / (double)r[m].nj));
		fprintf(out, "\"/>\n");
	}
	fprintf(out, "</svg>\n");
}

static void
legend(FILE *out, const struct sh_trace *t)
{
	fprintf(out, "<p class=\"legend\">");
	for (int k = 0; k < t->nroles; k++)
		fprintf(out, "<span style=\"background:%s\"></span>%s (%s) ",
		        role_colors[k % (sizeof(role_colors) / sizeof(role_colors[0]))],
		        t->roles[k].name, t->roles[k].kind);
	fprintf(out, "&nbsp; lines: <span style=\"background:%s\"></span>static "
	        "<span style=\"background:%s\"></span>sharing</p>\n", mode_colors[0], mode_colors[1]);
}

static void
html(FILE *out, const struct sh_trace *t, const struct run *r, const char *machine)
{
	double xmax = r[0].makespan > r[1].makespan ? r[0].makespan : r[1].makespan;
	int batch = 0, services_agents = t->roles[t->services].static_agents;

	xmax = ceil(xmax / 10) * 10;
	batch = t->njobs;
	fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	        "<title>Sharing against static partitions</title>\n<style>body{font-family:"
	        "sans-serif;max-width:1100px;margin:1em auto;color:#222}table{border-collapse:"
	        "collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}"
	        "td:first-child,th:first-child{text-align:left}.legend span{display:inline-block;"
	        "width:12px;height:12px;margin:0 4px 0 10px;vertical-align:middle}svg{margin:4px}"
	        "</style></head><body>\n");
	fprintf(out, "<h1>Sharing against static partitions</h1>\n<p>One trace "
	        "(bench/sharing.trace: %g s, %d batch jobs, %d apps) replayed twice on %d agents "
	        "of %g cpus and %g MB: with each role confined to its reserved agents (services "
	        "%d), then with no reservation, DRF with weights and the services' quota. %s</p>\n",
	        t->duration, batch, t->napps, t->agents, t->agent_cpus, t->agent_mem,
	        services_agents, machine);
	fprintf(out, "<table><tr><th></th><th>static</th><th>sharing</th><th>sharing/static"
	        "</th></tr>\n");
	for (size_t i = 0; i < NFIGURES; i++) {
		const struct figure *f = &figures_table[i];

		if (f->title == NULL)
			continue;
		fprintf(out, "<tr><td>%s</td><td>%.*f %s</td><td>%.*f %s</td><td>", f->title,
		        f->digits, value(&r[0], f), f->unit, f->digits, value(&r[1], f), f->unit);
		if (f->ratio)
			fprintf(out, "%.2f", ratio(value(&r[1], f), value(&r[0], f)));
		fprintf(out, "</td></tr>\n");
	}
	fprintf(out, "</table>\n");
	legend(out, t);
	fprintf(out, "<div>\n");
	for (int mem = 0; mem <= 1; mem++)
		for (int m = 0; m < MODES; m++)
			plot_stack(out, t, &r[m], m, mem, xmax);
	plot_services(out, t, r, xmax);
	plot_cdf(out, r);
	fprintf(out, "</div></body></html>\n");
}

int
sh_report(const struct sh_trace *t, const char *outdir)
{
	struct run r[MODES];
	char path[SH_LINE_MAX], machine[SH_LINE_MAX] = "";
	FILE *f;
	int rc = -1;

	memset(r, 0, sizeof(r));
	for (int m = 0; m < MODES; m++) {
		snprintf(path, sizeof(path), "%s/%s.samples", outdir, mode_names[m]);
		if (load(t, path, &r[m]) == -1)
			goto out;
		figures(t, &r[m]);
	}
	/* A line saying where it ran, if the driver left one. */
	snprintf(path, sizeof(path), "%s/machine", outdir);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(machine, sizeof(machine), f) != NULL)
			machine[strcspn(machine, "\n")] = '\0';
		fclose(f);
	}
	print_figures(stdout, r);
	snprintf(path, sizeof(path), "%s/sharing.html", outdir);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "sharing: cannot write %s\n", path);
		goto out;
	}
	html(f, t, r, machine);
	rc = fclose(f) == 0 ? 0 : -1;
	if (r[0].failed + r[1].failed > 0)
		fprintf(stderr, "sharing: %d runs failed\n", r[0].failed + r[1].failed);
out:
	for (int m = 0; m < MODES; m++) {
		free(r[m].s);
		free(r[m].j);
		free(r[m].u);
		free(r[m].sp);
		free(r[m].x);
		free(r[m].done);
	}
	return rc;
}
