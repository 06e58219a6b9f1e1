/*
 * master_history.c: owns the ring buffer of allocation samples behind the
 * web page's picture of sharing (GET /master/history): every
 * --history_interval the cpus and memory each role holds (its frameworks'
 * tasks plus their outstanding offers, as Mesos counts a role's
 * allocation) and the cluster's totals, the last MASTER_HISTORY_SAMPLES
 * of them (an hour at the default 10 s). Fixed arrays, so its memory is
 * bounded whatever the cluster does: the first HISTORY_ROLES_MAX roles
 * seen get a column each, later ones are summed into HISTORY_OTHER_ROLE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "json.h"
#include "loop.h"
#include "master.h"
#include "xmem.h"

#define HISTORY_ROLES_MAX 32              /* roles with a column of their own */
#define HISTORY_ROLE_NAME_MAX 128         /* bytes of a role's name kept */
#define HISTORY_OTHER_ROLE "(other roles)" /* where roles past the first HISTORY_ROLES_MAX go */

struct history_sample {
	double time;                       /* wall clock, seconds */
	double total_cpus, total_mem;      /* the active agents' resources */
	double cpus[HISTORY_ROLES_MAX + 1]; /* per role column; the last is HISTORY_OTHER_ROLE */
	double mem[HISTORY_ROLES_MAX + 1];
};

struct master_history {
	struct master *m;
	int64_t interval_ms;
	uint64_t timer;
	char roles[HISTORY_ROLES_MAX][HISTORY_ROLE_NAME_MAX];
	size_t nroles;
	int other_used;                    /* a role went to the shared column */
	struct history_sample samples[MASTER_HISTORY_SAMPLES];
	size_t head, count;                /* oldest sample, samples kept */
};

/* The column of a role: its own, a new one, or the shared last one. */
static size_t
role_column(struct master_history *h, const char *role)
{
	for (size_t i = 0; i < h->nroles; i++)
		if (strcmp(h->roles[i], role) == 0)
			return i;
	if (h->nroles < HISTORY_ROLES_MAX && strlen(role) < HISTORY_ROLE_NAME_MAX) {
		snprintf(h->roles[h->nroles], HISTORY_ROLE_NAME_MAX, "%s", role);
		return h->nroles++;
	}
	h->other_used = 1;
	return HISTORY_ROLES_MAX;
}

static void
take_sample(struct master_history *h)
{
	struct master *m = h->m;
	struct history_sample *s;
	struct master_agent *a;
	struct master_framework *fw;

	if (h->count == MASTER_HISTORY_SAMPLES) {
		s = &h->samples[h->head];
		h->head = (h->head + 1) % MASTER_HISTORY_SAMPLES;
	} else {
		s = &h->samples[(h->head + h->count) % MASTER_HISTORY_SAMPLES];
		h->count++;
	}
	memset(s, 0, sizeof(*s));
	s->time = compat_wall_time();
	for (size_t it = 0; map_next(&m->agents, &it, NULL, (void **)&a);) {
		if (!a->peer)
			continue;
		s->total_cpus += (double)res_scalar(&a->total, "cpus") / RES_SCALAR_ONE;
		s->total_mem += (double)res_scalar(&a->total, "mem") / RES_SCALAR_ONE;
	}
	for (size_t it = 0; map_next(&m->frameworks, &it, NULL, (void **)&fw);) {
		const struct master_task *t;
		struct res offered;
		int64_t cpus = 0, mem = 0;
		size_t col;

		for (size_t jt = 0; map_next(&fw->tasks, &jt, NULL, (void **)&t);) {
			cpus += res_scalar(&t->resources, "cpus");
			mem += res_scalar(&t->resources, "mem");
		}
		master_offer_resources(m, fw, &offered);
		cpus += res_scalar(&offered, "cpus");
		mem += res_scalar(&offered, "mem");
		res_free(&offered);
		if (cpus == 0 && mem == 0)
			continue;
		col = role_column(h, fw->role);
		s->cpus[col] += (double)cpus / RES_SCALAR_ONE;
		s->mem[col] += (double)mem / RES_SCALAR_ONE;
	}
}

static void
on_timer(struct loop *loop, void *arg)
{
	struct master_history *h = arg;

	(void)loop;
	take_sample(h);
	h->timer = loop_timer_add(h->m->loop, h->interval_ms, on_timer, h);
}

void
master_history_start(struct master *m)
{
	struct master_history *h = xcalloc(1, sizeof(*h));

	h->m = m;
	h->interval_ms = m->cfg.history_interval_ms > 0 ? m->cfg.history_interval_ms
	                                                 : MASTER_DEFAULT_HISTORY_INTERVAL_MS;
	m->history = h;
	take_sample(h);
	h->timer = loop_timer_add(m->loop, h->interval_ms, on_timer, h);
}

void
master_history_stop(struct master *m)
{
	if (!m->history)
		return;
	loop_timer_cancel(m->loop, m->history->timer);
	free(m->history);
	m->history = NULL;
}

/* A sample's per-role values, in the order of "roles": those named, then the shared column. */
static void
write_columns(struct json_w *w, const char *key, const struct master_history *h,
              const double *values, size_t ncols)
{
	json_key(w, key);
	json_arr_begin(w);
	for (size_t c = 0; c < ncols; c++)
		json_double(w, values[c < h->nroles ? c : HISTORY_ROLES_MAX]);
	json_arr_end(w);
}

/*
 * {"interval_secs":10,"roles":["a","b"],"samples":[{"time":T,
 * "total":{"cpus":C,"mem":M},"cpus":[per role],"mem":[per role]}]}: the
 * columns line up with "roles", oldest sample first.
 */
void
master_history_json(const struct master *m, struct json_w *w)
{
	const struct master_history *h = m->history;
	size_t ncols = h->nroles + (h->other_used ? 1 : 0);

	json_obj_begin(w);
	json_kdouble(w, "interval_secs", (double)h->interval_ms / MASTER_MS_PER_SECOND);
	json_key(w, "roles");
	json_arr_begin(w);
	for (size_t i = 0; i < h->nroles; i++)
		json_str(w, h->roles[i]);
	if (h->other_used)
		json_str(w, HISTORY_OTHER_ROLE);
	json_arr_end(w);
	json_key(w, "samples");
	json_arr_begin(w);
	for (size_t i = 0; i < h->count; i++) {
		const struct history_sample *s = &h->samples[(h->head + i) % MASTER_HISTORY_SAMPLES];

		json_obj_begin(w);
		json_kdouble(w, "time", s->time);
		json_key(w, "total");
		json_obj_begin(w);
		json_kdouble(w, "cpus", s->total_cpus);
		json_kdouble(w, "mem", s->total_mem);
		json_obj_end(w);
		write_columns(w, "cpus", h, s->cpus, ncols);
		write_columns(w, "mem", h, s->mem, ncols);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_obj_end(w);
}
