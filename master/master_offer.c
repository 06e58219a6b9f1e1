/*
 * master_offer.c: offers. It drives the allocator (a full pass every
 * --allocation_interval, an early one right after resources were freed or
 * added), turns what each pass hands out into OFFER lines, and owns the
 * offers until they are accepted, declined, timed out or rescinded, when
 * what they held goes back to the allocator.
 */
#include <stdlib.h>

#include "alloc.h"
#include "buf.h"
#include "compat.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "proto.h"
#include "res.h"
#include "xmem.h"

void
master_offer_free(struct master *m, struct master_offer *o)
{
	map_del(&m->offers, o->id);
	map_del(&o->fw->offers, o->id);
	map_del(&o->agent->offers, o->id);
	loop_timer_cancel(m->loop, o->timeout_timer);
	res_free(&o->resources);
	free(o->id);
	free(o);
}

/* Withdraw an offer: tell the framework, give the resources back unfiltered. */
void
master_offer_rescind(struct master *m, struct master_offer *o, int tell)
{
	if (tell && o->fw->peer) {
		master_msg(m, "RESCIND");
		proto_add(&m->out, "offer_id", o->id);
		master_send(m, o->fw->peer);
	}
	m->metrics.offers_rescinded++;
	if (o->fw->alloc && o->agent->alloc)
		alloc_recover(m->alloc, o->fw->alloc, o->agent->alloc, &o->resources, 0,
		              loop_now(m->loop));
	master_offer_free(m, o);
	master_offer_allocate_soon(m);
}

static void
offer_timeout(struct loop *loop, void *arg)
{
	struct master_offer *o = arg;
	(void)loop;
	o->timeout_timer = 0;
	log_info("offer %s to framework %s timed out; rescinding it", o->id, o->fw->id);
	master_offer_rescind(o->m, o, 1);
}

void
master_offer_rescind_framework(struct master *m, struct master_framework *fw, int tell)
{
	struct master_offer *o;
	for (size_t it = 0; map_next(&fw->offers, &it, NULL, (void **)&o);)
		master_offer_rescind(m, o, tell);
}

void
master_offer_rescind_agent(struct master *m, struct master_agent *a)
{
	struct master_offer *o;
	/* Its own list: 10,000 agents lost at once must not walk every offer each. */
	for (size_t it = 0; map_next(&a->offers, &it, NULL, (void **)&o);)
		master_offer_rescind(m, o, 1);
}

void
master_offer_resources(const struct master *m, const struct master_framework *fw,
                       struct res *out)
{
	struct master_offer *o;
	(void)m;
	res_init(out);
	for (size_t it = 0; map_next(&fw->offers, &it, NULL, (void **)&o);)
		res_add(out, &o->resources);
}

/* ---------------------------------------------------------------- allocation */

static void
make_offer(struct alloc_fw *afw, struct alloc_agent *aag, const struct res *r, void *arg)
{
	struct master *m = arg;
	struct master_framework *fw = alloc_fw_user(afw);
	struct master_agent *a = alloc_agent_user(aag);

	if (!fw->peer || !a->peer) {
		/* The allocator should not pick inactive parties; give it straight back. */
		alloc_recover(m->alloc, afw, aag, r, 0, loop_now(m->loop));
		return;
	}
	struct master_offer *o = xcalloc(1, sizeof(*o));
	o->m = m;
	o->id = xstrfmt("%s-O%llu", m->id, m->next_offer++);
	o->fw = fw;
	o->agent = a;
	res_copy(&o->resources, r);
	map_put(&m->offers, o->id, o);
	map_put(&fw->offers, o->id, o);
	map_put(&a->offers, o->id, o);
	if (m->cfg.offer_timeout_ms > 0)
		o->timeout_timer = loop_timer_add(m->loop, m->cfg.offer_timeout_ms, offer_timeout, o);
	m->metrics.offers_sent++;

	struct buf text;
	buf_init(&text, 0);
	master_msg(m, "OFFER");
	proto_add(&m->out, "offer_id", o->id);
	proto_add(&m->out, "agent_id", a->id);
	proto_add(&m->out, "hostname", a->hostname);
	res_format(r, &text);
	proto_add(&m->out, "resources", text.data ? text.data : "");
	buf_reset(&text);
	attrs_format(&a->attributes, &text);
	proto_add(&m->out, "attributes", text.data ? text.data : "");
	buf_free(&text);
	master_send(m, fw->peer);
}

static void
run_allocation(struct master *m, int candidates_only)
{
	int64_t t0 = compat_monotonic_ms();
	alloc_run(m->alloc, loop_now(m->loop), candidates_only, make_offer, m);
	m->metrics.allocation_runs++;
	m->metrics.allocation_last_ms = (double)(compat_monotonic_ms() - t0);
}

static void
allocation_soon_fired(struct loop *loop, void *arg)
{
	struct master *m = arg;
	(void)loop;
	m->allocation_soon = 0;
	run_allocation(m, 1);
}

/* Resources were freed or added: offer them within milliseconds, not at the next interval. */
void
master_offer_allocate_soon(struct master *m)
{
	if (m->allocation_soon)
		return;
	m->allocation_soon = 1;
	loop_timer_add(m->loop, 0, allocation_soon_fired, m);
}

static void
allocation_tick(struct loop *loop, void *arg)
{
	struct master *m = arg;
	run_allocation(m, 0);
	m->allocation_timer = loop_timer_add(loop, m->cfg.allocation_interval_ms, allocation_tick, m);
}

void
master_offer_start(struct master *m)
{
	m->allocation_timer = loop_timer_add(m->loop, m->cfg.allocation_interval_ms, allocation_tick,
	                                     m);
}

void
master_offer_stop(struct master *m)
{
	struct master_offer *o;
	for (size_t it = 0; map_next(&m->offers, &it, NULL, (void **)&o);)
		master_offer_free(m, o);
	loop_timer_cancel(m->loop, m->allocation_timer);
}
