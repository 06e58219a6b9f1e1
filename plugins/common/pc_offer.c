/*
 * pc_offer.c: taking tasks out of an offer. An offer's cpus, mem, disk
 * and free port ranges are read once; each task then takes its scalars
 * and host ports (a fixed port, or one picked at random as Marathon does,
 * so a port some foreign process holds fails one launch, not every retry)
 * or gets the reason it does not fit, in Marathon's funnel order. Also
 * what a task's launch is built from (its resources line, a command from
 * args, environment names) and the per-offer counts behind "why does it
 * wait" (Marathon's processedOffersSummary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "buf.h"
#include "compat.h"
#include "json.h"
#include "map.h"
#include "res.h"
#include "xmem.h"

int64_t
pc_offer_thousandths(double v)
{
	return (int64_t)(v * RES_SCALAR_ONE + 0.5);
}

int
pc_offer_init(struct pc_offer *o, const char *resources, char *err, size_t errlen)
{
	struct res r;

	memset(o, 0, sizeof(*o));
	res_init(&r);
	if (res_parse(&r, resources, err, errlen) == -1) {
		res_free(&r);
		return -1;
	}
	o->cpus = res_scalar(&r, "cpus");
	o->mem = res_scalar(&r, "mem");
	o->disk = res_scalar(&r, "disk");
	for (size_t i = 0; i < r.n; i++)
		if (r.items[i].type == RES_RANGES && strcmp(r.items[i].name, "ports") == 0)
			for (size_t k = 0; k < r.items[i].nranges && o->nranges < PC_PORT_RANGES_MAX; k++)
				o->ranges[o->nranges++] = r.items[i].ranges[k];
	res_free(&r);
	return 0;
}

/* Remove one port from the free ranges; -1 if it is not free. */
static int
take_port(struct pc_offer *o, uint64_t p)
{
	for (size_t i = 0; i < o->nranges; i++) {
		struct res_range *g = &o->ranges[i];

		if (p < g->begin || p > g->end)
			continue;
		if (g->begin == g->end) {
			memmove(g, g + 1, (o->nranges - i - 1) * sizeof(*g));
			o->nranges--;
		} else if (p == g->begin) {
			g->begin++;
		} else if (p == g->end) {
			g->end--;
		} else if (o->nranges < PC_PORT_RANGES_MAX) {
			memmove(g + 1, g, (o->nranges - i) * sizeof(*g));
			o->nranges++;
			g->end = p - 1;
			g[1].begin = p + 1;
		} else {
			return -1;      /* cannot split further: treat the port as taken */
		}
		return 0;
	}
	return -1;
}

static uint64_t
random_free_port(const struct pc_offer *o)
{
	uint64_t total = 0, pick;
	uint32_t r;

	for (size_t i = 0; i < o->nranges; i++)
		total += o->ranges[i].end - o->ranges[i].begin + 1;
	compat_random_bytes(&r, sizeof(r));
	pick = r % total;
	for (size_t i = 0; i < o->nranges; i++) {
		uint64_t size = o->ranges[i].end - o->ranges[i].begin + 1;

		if (pick < size)
			return o->ranges[i].begin + pick;
		pick -= size;
	}
	return o->ranges[0].begin;
}

int
pc_offer_take(struct pc_offer *o, double cpus, double mem, double disk, const int *want,
              size_t nports, int *got)
{
	struct pc_offer save = *o;

	if (o->cpus < pc_offer_thousandths(cpus))
		return PC_REASON_CPUS;
	if (o->mem < pc_offer_thousandths(mem))
		return PC_REASON_MEM;
	if (o->disk < pc_offer_thousandths(disk))
		return PC_REASON_DISK;
	for (size_t i = 0; i < nports; i++) {
		uint64_t p;

		if (want != NULL && want[i] > 0) {
			p = (uint64_t)want[i];
		} else if (o->nranges > 0) {
			p = random_free_port(o);
		} else {
			*o = save;
			return PC_REASON_PORTS;
		}
		if (take_port(o, p) == -1) {
			*o = save;
			return PC_REASON_PORTS;
		}
		got[i] = (int)p;
	}
	o->cpus -= pc_offer_thousandths(cpus);
	o->mem -= pc_offer_thousandths(mem);
	o->disk -= pc_offer_thousandths(disk);
	return -1;
}

char *
pc_offer_resources(double cpus, double mem, double disk, const int *ports, size_t nports)
{
	char num[64];
	struct buf b;

	buf_init(&b, 0);
	res_scalar_format(pc_offer_thousandths(cpus), num, sizeof(num));
	buf_printf(&b, "cpus:%s", num);
	/* mem 0 asks for no memory, so no memory limit (the agent caps a task at its mem). */
	if (pc_offer_thousandths(mem) > 0) {
		res_scalar_format(pc_offer_thousandths(mem), num, sizeof(num));
		buf_printf(&b, ";mem:%s", num);
	}
	if (pc_offer_thousandths(disk) > 0) {
		res_scalar_format(pc_offer_thousandths(disk), num, sizeof(num));
		buf_printf(&b, ";disk:%s", num);
	}
	for (size_t i = 0; i < nports; i++)
		buf_printf(&b, "%s%d-%d", i ? "," : ";ports:[", ports[i], ports[i]);
	if (nports > 0)
		buf_putc(&b, ']');
	return buf_detach(&b);
}

char *
pc_offer_shell_join(char *const *args, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		buf_puts(&b, i ? " '" : "'");
		for (const char *s = args[i]; *s != '\0'; s++)
			if (*s == '\'')
				buf_puts(&b, "'\\''");
			else
				buf_putc(&b, *s);
		buf_putc(&b, '\'');
	}
	return buf_detach(&b);
}

void
pc_offer_env_name(char *out, size_t len, const char *prefix, const char *key)
{
	size_t o = (size_t)snprintf(out, len, "%s", prefix);

	for (const char *s = key; *s != '\0' && o + 1 < len; s++) {
		char c = *s;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		out[o++] = c;
	}
	out[o < len ? o : len - 1] = '\0';
}

const char *
pc_offer_reason_name(int r)
{
	static const char *const names[PC_REASONS] = { "UnfulfilledConstraint", "InsufficientCpus",
		"InsufficientMemory", "InsufficientDisk", "InsufficientPorts" };

	return r >= 0 && r < PC_REASONS ? names[r] : "";
}

void
pc_offer_stats_note(struct pc_offer_stats *s, long long used, int why)
{
	s->processed++;
	if (used > 0) {
		/* Reasons explain a wait: a launch starts a new story. */
		memset(s->declined, 0, sizeof(s->declined));
		s->last_used = compat_wall_time();
	} else if (why >= 0 && why < PC_REASONS) {
		s->unused++;
		s->declined[why]++;
		s->last_unused = compat_wall_time();
	}
}

/* A wall clock time, or null for never. */
static void
write_time(struct json_w *w, const char *key, double t, const char *zone)
{
	char ts[PC_TIME_MAX];

	json_key(w, key);
	if (t > 0) {
		pc_rest_time(t, zone, ts, sizeof(ts));
		json_str(w, ts);
	} else {
		json_null(w);
	}
}

void
pc_offer_stats_write(struct json_w *w, const struct pc_offer_stats *s, const char *zone)
{
	long long funnel = s->unused;

	json_obj_begin(w);
	json_kint(w, "processedOffersCount", s->processed);
	json_kint(w, "unusedOffersCount", s->unused);
	write_time(w, "lastUnusedOfferAt", s->last_unused, zone);
	write_time(w, "lastUsedOfferAt", s->last_used, zone);
	/* A funnel, as Marathon's: each check sees what the earlier ones let through. */
	json_key(w, "rejectSummaryLastOffers");
	json_arr_begin(w);
	for (int r = 0; r < PC_REASONS; r++) {
		json_obj_begin(w);
		json_kstr(w, "reason", pc_offer_reason_name(r));
		json_kint(w, "declined", s->declined[r]);
		json_kint(w, "processed", funnel);
		json_obj_end(w);
		funnel -= s->declined[r];
	}
	json_arr_end(w);
	json_obj_end(w);
}
