/*
 * bench/sharing.h: the contract between the files of bench/sharing, the
 * tool behind `make bench-sharing` (bench/sharing.sh drives it): one
 * workload trace replayed on a real cluster under static partitions and
 * under sharing, and the figures and plots that compare the two.
 *   sharing.c         main: the subcommands
 *   sharing_trace.c   the trace: its generator (a fixed seed), its file
 *                     format, the agents each mode starts
 *   sharing_replay.c  the replay: apps scaled and job runs started on
 *                     time, the cluster sampled every second, the jobs'
 *                     completion times read back at the end
 *   sharing_report.c  the figures (`name value unit`) and
 *                     bench/out/sharing.html, its plots in SVG
 */
#ifndef SHARING_H
#define SHARING_H

#include <stddef.h>
#include <stdio.h>

#define SH_ID_MAX       64
#define SH_ROLES_MAX    8
#define SH_APPS_MAX     16
#define SH_LINE_MAX     512

/* A role: the framework serving it and its share of the agents under static partitions. */
struct sh_role {
	char name[SH_ID_MAX];
	char kind[SH_ID_MAX];           /* "marathon" or "jobs" */
	int static_agents;
	double weight;                  /* under sharing */
};

struct sh_app {
	char id[SH_ID_MAX];
	double cpus, mem;
};

/* One timed event: an app's wanted instance count, or a job's run. */
struct sh_event {
	double at;                      /* seconds after the trace's start */
	int is_job;
	int app;                        /* index in apps (app events) */
	int instances;
	int role;                       /* index in roles (jobs) */
	char job[SH_ID_MAX];
	int tasks;
	double cpus, mem, seconds;
};

struct sh_trace {
	double duration;                /* seconds of events */
	int agents;
	double agent_cpus, agent_mem;
	int rack_agents;                /* agents per rack (attribute rack:rN) */
	double quota_lead;              /* sharing: the services' guarantee this far ahead */
	struct sh_role roles[SH_ROLES_MAX];
	int nroles;
	int services;                   /* the role of the apps */
	struct sh_app apps[SH_APPS_MAX];
	int napps;
	struct sh_event *events;        /* by time */
	size_t nevents;
	int njobs;
};

/* sharing_trace.c */
void sh_trace_generate(unsigned long long seed, FILE *out);
int sh_trace_load(struct sh_trace *t, const char *path, char *err, size_t errlen);
void sh_trace_free(struct sh_trace *t);
/* One line per agent: "NAME RESOURCES ATTRIBUTES" for mode "static" or "sharing". */
int sh_trace_agents(const struct sh_trace *t, const char *mode, FILE *out);
/* The index of the role named name, or -1. */
int sh_trace_role(const struct sh_trace *t, const char *name);
/* The index of the app whose id is id, or -1. */
int sh_trace_app(const struct sh_trace *t, const char *id);
/* What app a wants at time at (0 before its first event). */
int sh_trace_wanted(const struct sh_trace *t, int app, double at);

/* sharing_replay.c: apis[i] is "host:port" of the framework of role i. */
int sh_replay(const struct sh_trace *t, const char *mode, const char *master,
              char *const *apis, const char *outdir, double drain_max_s);

/* sharing_report.c */
int sh_report(const struct sh_trace *t, const char *outdir);

#endif
