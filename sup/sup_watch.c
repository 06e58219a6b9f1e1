/*
 * sup_watch.c: owns how the supervised task is held to its limits while it
 * runs: its cgroups (made and limited before it starts, the kernel's OOM
 * event and counters, the last processes in them, their removal), or,
 * without them, its resident memory and process count sampled often
 * enough for the machine's pace; its sandbox's disk; and the kill when a
 * limit is broken, with Mesos's reason. Starting and killing the task is
 * sup_task.c's; what its end was is sup.c's.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "isolate.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "sup_int.h"
#include "xmem.h"

#define DU_BUDGET 1024                  /* sandbox entries looked at per loop pass */
/*
 * The sandbox's disk is measured sooner the nearer it is to its limit at
 * the pace it last grew: the next look comes within 1/DISK_LEAD of the
 * time the sandbox would take to reach its limit, never sooner than
 * DISK_WATCH_MIN_MS apart; while it stays far, the gap doubles up to
 * --container_disk_watch_interval. The first look comes at the shortest
 * gap: a task may write from its first instruction.
 */
#define DISK_WATCH_MIN_MS 5
#define DISK_LEAD 4
/*
 * posix/mem looks again before the task, growing at the machine's pace
 * (or faster, as it was seen to), could reach its memory: what it gets
 * past it is what a late timer and a kill let it touch. Never sooner than
 * WATCH_MIN_MS, never later than the memory watch interval, when the
 * whole tree is walked in any case.
 */
#define WATCH_MIN_MS 5
#define WATCH_SPEEDUP 2                 /* how much faster a growing task may yet get */
#define WATCH_NPROC_SLACK 8             /* processes RLIMIT_NPROC lets by beyond the sampled limit */
#define EVENT_READ_BYTES 64             /* an eventfd's counter, read to rearm it */

/* A limit was broken: the task goes at once, as Mesos destroys a container. */
static void
limit_kill(struct sup *s, const char *reason, const char *msg)
{
	if (s->killing && s->cause_state != NULL)
		return;
	log_info("task %s: %s", s->tag, msg);
	sup_set_cause(s, "TASK_FAILED", reason, msg);
	s->killing = 1;
	sup_task_signal(s, SIGKILL);
}

static int
posix_memory(const struct sup *s)
{
	return s->lim.mem_bytes > 0 && s->cgroup[CGROUP_MEMORY] == NULL && s->lim.address_space_bytes == 0;
}

static int
posix_processes(const struct sup *s)
{
	return s->lim.processes > 0 && s->cgroup[CGROUP_PIDS] == NULL;
}

static void
memory_over(struct sup *s, const struct isolate_mem *m)
{
	char msg[SUP_MSG_MAX];

	snprintf(msg, sizeof(msg), "memory limit exceeded: %.1f MB resident in %zu process(es), "
	    "limit %.1f MB", (double)m->rss_bytes / SUP_BYTES_PER_MB, m->nprocs,
	    (double)s->lim.mem_bytes / SUP_BYTES_PER_MB);
	limit_kill(s, "REASON_CONTAINER_LIMITATION_MEMORY", msg);
}

/* The next look: soon enough that the task cannot reach its memory before it. */
static int64_t
next_look_ms(struct sup *s, const struct isolate_mem *m, int64_t now)
{
	int64_t after = s->mem_watch_ms;

	if (posix_memory(s)) {
		uint64_t rate = s->touch_rate > 0 ? s->touch_rate : 1;
		uint64_t aim = s->lim.mem_bytes;
		int64_t since = now - s->last_look_ms;

		/*
		 * Its own pace when faster than the machine's (many threads, huge
		 * pages), with room for it to speed up still: a program's start is
		 * slower than its stride.
		 */
		if (since > 0 && m->rss_bytes > s->last_rss &&
		    (m->rss_bytes - s->last_rss) / (uint64_t)since * WATCH_SPEEDUP > rate)
			rate = (m->rss_bytes - s->last_rss) / (uint64_t)since * WATCH_SPEEDUP;
		if (aim > m->rss_bytes && (int64_t)((aim - m->rss_bytes) / rate) < after)
			after = (int64_t)((aim - m->rss_bytes) / rate);
		else if (aim <= m->rss_bytes)
			after = WATCH_MIN_MS;
	}
	/* A task whose processes multiply may be a fork bomb: look again soon. */
	if (posix_processes(s) && m->nprocs > s->last_nprocs)
		after = WATCH_MIN_MS;
	return after < WATCH_MIN_MS ? WATCH_MIN_MS : after;
}

/*
 * RLIMIT_NPROC counts every process of the task's user: when the user's
 * others came meanwhile, the kernel refuses the task's forks before it has
 * its number. Counting the user's processes is a scan of them all: done
 * on walks only, and only for a task with at least half its number.
 */
static int
at_nproc_limit(const struct sup *s, const struct isolate_mem *m)
{
	long users;

	if (s->lim.nproc_limit == 0 || m->nprocs * 2 < s->lim.processes)
		return 0;
	users = proc_user_count(s->user.do_switch ? s->user.uid : geteuid());
	return users >= 0 && (uint64_t)users >= s->lim.nproc_limit;
}

static void
on_watch_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;
	struct isolate_mem m;
	char msg[SUP_MSG_MAX];
	int64_t now = loop_now(loop);
	int full = now - s->last_walk_ms >= s->mem_watch_ms;

	s->watch_timer = 0;
	if (s->phase != SUP_PHASE_RUNNING || s->killing)
		return;
	if (isolate_watch_sample(s->watch, full, &m) == -1) {
		log_warnx("task %s: this system cannot tell its processes' memory: not watched", s->tag);
		return;
	}
	if (full)
		s->last_walk_ms = now;
	if (m.rss_bytes > s->peak_rss)
		s->peak_rss = m.rss_bytes;
	if (m.vm_max_bytes > s->peak_vm)
		s->peak_vm = m.vm_max_bytes;
	if (posix_memory(s) && m.rss_bytes > s->lim.mem_bytes) {
		memory_over(s, &m);
		return;
	}
	if (posix_processes(s) && (m.nprocs >= s->lim.processes || (full && at_nproc_limit(s, &m)))) {
		snprintf(msg, sizeof(msg), "process limit of %llu reached (%zu processes)",
		    (unsigned long long)s->lim.processes, m.nprocs);
		limit_kill(s, "REASON_CONTAINER_LIMITATION", msg);
		return;
	}
	s->watch_timer = loop_timer_add(s->loop, next_look_ms(s, &m, now), on_watch_timer, s);
	s->last_look_ms = now;
	s->last_rss = m.rss_bytes;
	s->last_nprocs = m.nprocs;
}

/* --- cgroups ----------------------------------------------------------------- */

/* What the kernel counted since the task started: it ran out of memory, forks refused at pids.max. */
static uint64_t
ooms(struct sup *s)
{
	uint64_t n = 0;

	if (s->cgroup[CGROUP_MEMORY] == NULL)
		return 0;
	if (cgroup_ooms(s->cgroup[CGROUP_MEMORY], &n) == -1 || n < s->ooms_before)
		n = 0;
	else
		n -= s->ooms_before;
	/* A held task retrying its fault is out of the OOM for a moment: the event still says it was. */
	return n > s->oom_events ? n : s->oom_events;
}

static uint64_t
forks_refused(struct sup *s)
{
	uint64_t n = 0;

	if (s->cgroup[CGROUP_PIDS] == NULL || cgroup_pids_refused(s->cgroup[CGROUP_PIDS], &n) == -1)
		return 0;
	return n > s->refused_before ? n - s->refused_before : 0;
}

static void
cgroup_peak(struct sup *s)
{
	uint64_t current, peak;

	if (s->cgroup[CGROUP_MEMORY] != NULL &&
	    cgroup_memory(s->cgroup[CGROUP_MEMORY], &current, &peak) == 0 && peak > s->peak_rss)
		s->peak_rss = peak;
}

static void
oom_message(struct sup *s, char *msg, size_t len)
{
	uint64_t limit = s->lim.mem_bytes;

	/* An executor's limit moves with its tasks: the cgroup says what held at the time. */
	(void)cgroup_memory_limit(s->cgroup[CGROUP_MEMORY], &limit);
	snprintf(msg, len, "memory limit of %.1f MB reached: the kernel found the task out of memory",
	    (double)limit / SUP_BYTES_PER_MB);
}

static void
pids_message(struct sup *s, uint64_t refused, char *msg, size_t len)
{
	snprintf(msg, len, "process limit of %llu reached: the kernel refused %llu fork(s)",
	    (unsigned long long)s->lim.processes, (unsigned long long)refused);
}

/* What the kernel counted: over a limit, the task goes. */
static void
check_counters(struct sup *s)
{
	char msg[SUP_MSG_MAX];
	uint64_t n;

	cgroup_peak(s);
	if (ooms(s) > 0) {
		oom_message(s, msg, sizeof(msg));
		limit_kill(s, "REASON_CONTAINER_LIMITATION_MEMORY", msg);
	} else if ((n = forks_refused(s)) > 0) {
		pids_message(s, n, msg, sizeof(msg));
		limit_kill(s, "REASON_CONTAINER_LIMITATION", msg);
	}
}

static void
on_cgroup_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;

	s->cgroup_timer = 0;
	if (s->phase != SUP_PHASE_RUNNING || s->killing)
		return;
	check_counters(s);
	if (!s->killing)
		s->cgroup_timer = loop_timer_add(loop, s->mem_watch_ms, on_cgroup_timer, s);
}

/* v1's OOM event: the kernel killed in the task's memory cgroup. */
static void
on_oom_event(struct loop *loop, int fd, int events, void *arg)
{
	struct sup *s = arg;
	char drain[EVENT_READ_BYTES];

	(void)loop;
	(void)events;
	while (read(fd, drain, sizeof(drain)) > 0)
		continue;
	s->oom_events++;
	if (s->phase == SUP_PHASE_RUNNING)
		check_counters(s);
}

/* --- the sandbox's disk ---------------------------------------------------------- */

/* The gap before the next look at the sandbox, from its pace since the last one. */
static int64_t
next_disk_gap(struct sup *s, uint64_t bytes)
{
	int64_t now = loop_now(s->loop), gap = s->disk_gap_ms * 2;
	int64_t elapsed = now - s->disk_sampled_ms;

	if (s->lim.disk_bytes > 0 && bytes > s->disk_used && elapsed > 0) {
		double per_ms = (double)(bytes - s->disk_used) / (double)elapsed;
		double to_limit_ms = (double)(s->lim.disk_bytes - bytes) / per_ms;

		if (to_limit_ms / DISK_LEAD < (double)gap)
			gap = (int64_t)(to_limit_ms / DISK_LEAD);
	}
	if (gap < DISK_WATCH_MIN_MS)
		gap = DISK_WATCH_MIN_MS;
	if (gap > s->disk_watch_ms || s->lim.disk_bytes == 0)
		gap = s->disk_watch_ms;
	s->disk_gap_ms = gap;
	s->disk_sampled_ms = now;
	return gap;
}

static void
on_disk_timer(struct loop *loop, void *arg)
{
	struct sup *s = arg;
	char msg[SUP_MSG_MAX];
	uint64_t bytes;

	(void)loop;
	s->disk_timer = 0;
	if (s->phase != SUP_PHASE_RUNNING)
		return;
	if (s->du == NULL)
		s->du = isolate_du_new(s->sandbox);
	if (!isolate_du_step(s->du, DU_BUDGET, &bytes)) {
		s->disk_timer = loop_timer_add(s->loop, 0, on_disk_timer, s);   /* more next pass */
		return;
	}
	isolate_du_free(s->du);
	s->du = NULL;
	if (s->lim.disk_bytes > 0 && bytes > s->lim.disk_bytes) {
		s->disk_used = bytes;
		snprintf(msg, sizeof(msg), "disk limit exceeded: the sandbox uses %.1f MB, limit %.1f MB",
		    (double)bytes / SUP_BYTES_PER_MB, (double)s->lim.disk_bytes / SUP_BYTES_PER_MB);
		limit_kill(s, "REASON_CONTAINER_LIMITATION_DISK", msg);
		return;
	}
	s->disk_timer = loop_timer_add(s->loop, next_disk_gap(s, bytes), on_disk_timer, s);
	s->disk_used = bytes;
}

/* --- the supervisor's calls ------------------------------------------------------ */

static int
can_sample(const struct sup *s)
{
	struct isolate_mem m;

	return isolate_sample(s->self, s->subreaper, getsid(0), &m) == 0;
}

int
sup_watch_prepare(struct sup *s, char *err, size_t errlen)
{
	const char *what = NULL;
	int fresh[CGROUP_CTRLS] = { 0 }, held;

	for (int c = 0; c < CGROUP_CTRLS; c++) {
		const char *dir = s->cgroup[c];
		int rc;

		if (dir == NULL)
			continue;
		rc = cgroup_make_fresh(dir, &fresh[c]);
		if (rc == 0 && c == CGROUP_MEMORY) {
			rc = cgroup_set_memory(dir, s->lim.mem_bytes, 0, &what);
			s->mem_limited = s->lim.mem_bytes > 0;
		}
		else if (rc == 0 && c == CGROUP_CPU)
			rc = cgroup_set_cpu(dir, s->cpus_milli, s->cpu_cap, &what);
		else if (rc == 0 && c == CGROUP_PIDS)
			rc = cgroup_set_pids(dir, s->lim.processes, &what);
		if (rc == -1) {
			snprintf(err, errlen, "cannot set up the task's cgroup %s%s%s: %s", dir,
			    what ? "/" : "", what ? what : "", strerror(errno));
			return -1;
		}
		s->made[c] = 1;
		free(s->cgroup_procs[c]);
		s->cgroup_procs[c] = xmalloc(CGROUP_PATH_MAX);
		cgroup_procs_path(dir, s->cgroup_procs[c], CGROUP_PATH_MAX);
		s->lim.cgroup_procs[c] = s->cgroup_procs[c];
	}
	/*
	 * The kernel's counters where the task starts: 0 in a cgroup we just
	 * made; one left by an earlier supervisor (agentd restarted) is read.
	 */
	if (s->cgroup[CGROUP_MEMORY] != NULL) {
		if (!fresh[CGROUP_MEMORY])
			(void)cgroup_ooms(s->cgroup[CGROUP_MEMORY], &s->ooms_before);
		/* Watched, a task out of memory can be held until it is killed whole (cgroup.h). */
		if ((s->oom_fd = cgroup_oom_watch_hold(s->cgroup[CGROUP_MEMORY], &held)) != -1 && !held)
			log_warn("task %s: %s: its processes are OOM-killed one by one", s->tag,
			    s->cgroup[CGROUP_MEMORY]);
	}
	if (s->cgroup[CGROUP_PIDS] != NULL && !fresh[CGROUP_PIDS])
		(void)cgroup_pids_refused(s->cgroup[CGROUP_PIDS], &s->refused_before);
	/* The cgroup weighs the task's cpu; nice would only weaken it further against the others. */
	if (s->cgroup[CGROUP_CPU] != NULL)
		s->lim.nice = 0;
	/*
	 * RLIMIT_NPROC a few above the count the samples kill at: a fork bomb's
	 * processes come and go, and held exactly at the count it is seldom
	 * seen with all of them at once.
	 */
	s->lim.nproc_limit = s->cgroup[CGROUP_PIDS] == NULL
	    ? isolate_nproc_limit(s->user.do_switch ? s->user.uid : geteuid(),
	                          s->lim.processes + (s->mem_watch_ms > 0 ? WATCH_NPROC_SLACK : 0)) : 0;
	/*
	 * Resident memory is the limit. Only where neither a cgroup nor
	 * sampling can hold it (a system that cannot tell a process's memory,
	 * or sampling turned off) is the address space capped instead, as the
	 * one limit left. An executor's memory changes with its tasks: never.
	 */
	s->lim.address_space_bytes = 0;
	if (!s->custom && s->lim.mem_bytes > 0 && s->cgroup[CGROUP_MEMORY] == NULL &&
	    (s->mem_watch_ms <= 0 || !can_sample(s)))
		s->lim.address_space_bytes = s->lim.mem_bytes;
	return 0;
}

void
sup_watch_start(struct sup *s)
{
	int64_t now = loop_now(s->loop);

	if (s->mem_watch_ms > 0 && (posix_memory(s) || posix_processes(s) || s->custom)) {
		s->watch = isolate_watch_new(s->self, s->subreaper, s->task_pid);
		s->last_walk_ms = s->last_look_ms = now;
		/* The first look at once: a task may grow from its first instruction. */
		s->watch_timer = loop_timer_add(s->loop, 0, on_watch_timer, s);
	}
	if (s->oom_fd != -1)
		loop_watch(s->loop, s->oom_fd, LOOP_READ, on_oom_event, s);
	if (s->mem_watch_ms > 0 && (s->cgroup[CGROUP_MEMORY] != NULL || s->cgroup[CGROUP_PIDS] != NULL))
		s->cgroup_timer = loop_timer_add(s->loop, s->mem_watch_ms, on_cgroup_timer, s);
	if (s->disk_watch_ms > 0 && (s->lim.disk_bytes > 0 || s->custom)) {
		s->disk_gap_ms = s->lim.disk_bytes > 0 ? DISK_WATCH_MIN_MS : s->disk_watch_ms;
		s->disk_sampled_ms = loop_now(s->loop);
		s->disk_timer = loop_timer_add(s->loop, s->disk_gap_ms, on_disk_timer, s);
	}
}

void
sup_watch_limits(struct sup *s)
{
	const char *what;

	/* The first limit is set as it is; after it, only raised (lowering it could kill). */
	if (s->cgroup[CGROUP_MEMORY] != NULL && s->lim.mem_bytes > 0) {
		if (cgroup_set_memory(s->cgroup[CGROUP_MEMORY], s->lim.mem_bytes, s->mem_limited, &what) == -1)
			log_warn("executor %s: %s/%s", s->tag, s->cgroup[CGROUP_MEMORY], what);
		else
			s->mem_limited = 1;
	}
	if (s->cgroup[CGROUP_CPU] != NULL && s->cpus_milli > 0 &&
	    cgroup_set_cpu(s->cgroup[CGROUP_CPU], s->cpus_milli, s->cpu_cap, &what) == -1)
		log_warn("executor %s: %s/%s", s->tag, s->cgroup[CGROUP_CPU], what);
}

void
sup_watch_stop(struct sup *s)
{
	char msg[SUP_MSG_MAX];
	uint64_t n;

	loop_timer_cancel(s->loop, s->watch_timer);
	loop_timer_cancel(s->loop, s->cgroup_timer);
	loop_timer_cancel(s->loop, s->disk_timer);
	s->watch_timer = s->cgroup_timer = s->disk_timer = 0;
	if (s->oom_fd != -1) {
		loop_unwatch(s->loop, s->oom_fd);
		close(s->oom_fd);
		s->oom_fd = -1;
	}
	isolate_watch_free(s->watch);
	s->watch = NULL;
	isolate_du_free(s->du);
	s->du = NULL;
	/* The kernel's word on how it ended: an OOM kill is the memory limit, whatever else happened. */
	cgroup_peak(s);
	if (ooms(s) > 0) {
		oom_message(s, msg, sizeof(msg));
		sup_set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LIMITATION_MEMORY", msg);
	} else if (!proc_exit_ok(s->task_status) && (n = forks_refused(s)) > 0) {
		pids_message(s, n, msg, sizeof(msg));
		sup_set_cause(s, "TASK_FAILED", "REASON_CONTAINER_LIMITATION", msg);
	}
}

/* A cgroup of the task's, any: each holds all of its processes. */
static const char *
any_cgroup(const struct sup *s)
{
	for (int c = 0; c < CGROUP_CTRLS; c++)
		if (s->made[c])
			return s->cgroup[c];
	return NULL;
}

long
sup_watch_signal(struct sup *s, int signo)
{
	const char *dir = any_cgroup(s);

	return dir != NULL ? cgroup_signal_all(dir, signo) : -1;
}

long
sup_watch_left(struct sup *s)
{
	const char *dir = any_cgroup(s);
	long n;

	return dir != NULL && (n = cgroup_count(dir)) > 0 ? n : 0;
}

int
sup_watch_release(struct sup *s)
{
	int rc = 0;

	for (int c = 0; c < CGROUP_CTRLS; c++) {
		if (!s->made[c])
			continue;
		if (cgroup_remove(s->cgroup[c]) == -1) {
			rc = -1;   /* the kernel lets go of the last exiting process a moment later */
			continue;
		}
		s->made[c] = 0;
	}
	return rc;
}

void
sup_watch_free(struct sup *s)
{
	if (s->oom_fd != -1)
		close(s->oom_fd);
	isolate_watch_free(s->watch);
	isolate_du_free(s->du);
	for (int c = 0; c < CGROUP_CTRLS; c++) {
		if (s->made[c] && cgroup_remove(s->cgroup[c]) == -1)
			log_warn("task %s: cannot remove its cgroup %s", s->tag, s->cgroup[c]);
		free(s->cgroup[c]);
		free(s->cgroup_procs[c]);
	}
}
