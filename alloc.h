/*
 * alloc.h: the allocator, hierarchical Dominant Resource Fairness as Mesos
 * does it. A pure module: no sockets, no clock of its own, no randomness
 * it was not seeded with. The master tells it what happens (agents and
 * frameworks come and go, resources are used and given back, offers are
 * declined with filters, time passes) and asks it for offers.
 *
 * Order: roles by weighted dominant share, then frameworks within a role by
 * dominant share, lowest first. share = max over scalar resources (cpus,
 * mem, disk, ...; not ranges or sets) of allocated/total, divided by the
 * weight, in double precision in that order. Ties: fewer allocations ever
 * made first, then the smaller name. Roles are paths ("a/b"); a role's
 * allocation is the sum of its subtree.
 *
 * One pass (alloc_run) visits agents in a shuffled order and offers each
 * agent's free resources (those allocatable to the framework's role) to the
 * first framework in order that is active, not suppressed, has no filter
 * on that agent, and whose offer passes the min-allocatable check. The
 * offered resources count as allocated at once, so shares move during the
 * pass. Quota guarantees are served first and held back from other roles,
 * on whole agents (those covering most of the shortfall first) rather than
 * as an aggregate that fragments on busy agents could meet.
 */
#ifndef ALLOC_H
#define ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct res;
struct json_w;

struct alloc;
struct alloc_agent;
struct alloc_fw;

struct alloc *alloc_new(uint64_t seed);
void alloc_free(struct alloc *a);

/* Filters last at least this long (Mesos: max(interval, refuse_seconds)). Default 1000 ms. */
void alloc_set_interval(struct alloc *a, int64_t interval_ms);
/* "cpus:0.01|mem:32" ('|' or, ';' and). Default as shown. -1 with err on bad syntax. */
int alloc_set_min_allocatable(struct alloc *a, const char *spec, char *err, size_t errlen);
/* Role weight (default 1.0); takes effect at once. */
void alloc_set_weight(struct alloc *a, const char *role, double weight);
/* "prod=3,dev=1"; -1 with err. */
int alloc_set_weights(struct alloc *a, const char *spec, char *err, size_t errlen);
/* A role's guaranteed resources (scalars); NULL or empty clears it. */
void alloc_set_quota(struct alloc *a, const char *role, const struct res *guarantee);
/* "prod:cpus=4,mem=2048;dev:cpus=1"; -1 with err. */
int alloc_set_quotas(struct alloc *a, const char *spec, char *err, size_t errlen);

/* Agents. name must be unique; user is handed back in callbacks. */
struct alloc_agent *alloc_agent_add(struct alloc *a, const char *name, const struct res *total,
                                    void *user);
/* Allocations on the agent vanish with it (no need to recover them first). */
void alloc_agent_remove(struct alloc *a, struct alloc_agent *ag);
void alloc_agent_update_total(struct alloc *a, struct alloc_agent *ag, const struct res *total);
/* An inactive agent is not offered (e.g. disconnected, waiting to re-register). */
void alloc_agent_activate(struct alloc *a, struct alloc_agent *ag, int active);
void *alloc_agent_user(const struct alloc_agent *ag);
/* Resources on the agent not allocated to anyone. */
const struct res *alloc_agent_free(const struct alloc_agent *ag);

/* Frameworks. */
struct alloc_fw *alloc_fw_add(struct alloc *a, const char *name, const char *role, int active,
                              void *user);
/* Everything still allocated to the framework is given back. */
void alloc_fw_remove(struct alloc *a, struct alloc_fw *fw);
void alloc_fw_activate(struct alloc *a, struct alloc_fw *fw, int active);
void alloc_fw_suppress(struct alloc *a, struct alloc_fw *fw);
/* Unsuppress and clear all the framework's filters. */
void alloc_fw_revive(struct alloc *a, struct alloc_fw *fw);
void *alloc_fw_user(const struct alloc_fw *fw);
const char *alloc_fw_role(const struct alloc_fw *fw);
/* Weighted dominant share of the framework within its role (not divided by role weight). */
double alloc_fw_share(const struct alloc *a, const struct alloc_fw *fw);

/*
 * Mark r on ag as used by fw (tasks reported by a re-registering agent).
 * Counts as an allocation for the tie-break.
 */
void alloc_allocate(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag,
                    const struct res *r);
/*
 * Give r on ag back from fw (an offer declined or rescinded, a task ended,
 * what an accept left unused). refuse_ms > 0 installs a filter: ag is not
 * offered to fw again until now_ms + max(refuse_ms, interval) has passed
 * and a later alloc_run has happened. refuse_ms <= 0: no filter.
 */
void alloc_recover(struct alloc *a, struct alloc_fw *fw, struct alloc_agent *ag,
                   const struct res *r, int64_t refuse_ms, int64_t now_ms);

typedef void (*alloc_offer_fn)(struct alloc_fw *fw, struct alloc_agent *ag, const struct res *offer,
                               void *arg);
/*
 * One allocation pass at now_ms. If candidates_only, visit only agents
 * touched since the last pass (added, resources recovered, filters
 * expired); else all. Calls fn for each offer made; returns how many.
 */
size_t alloc_run(struct alloc *a, int64_t now_ms, int candidates_only, alloc_offer_fn fn, void *arg);
/* 1 if an event since the last pass makes a pass worth running now. */
int alloc_has_candidates(const struct alloc *a);
/* Earliest time a filter expires (INT64_MAX if none): the master's next wake-up. */
int64_t alloc_next_filter_expiry(const struct alloc *a);

/*
 * Sorted order of framework names, roles first, as the sorter sees it now
 * (active, unsuppressed frameworks only). For tests; writes at most max names.
 */
size_t alloc_sorted(const struct alloc *a, const char **names, size_t max);

/* GET /master/roles body: {"roles":[{"name","weight","frameworks":[...],"resources":{...},"allocated":{...},"quota":{...}}]} */
void alloc_roles_json(const struct alloc *a, struct json_w *w);

#endif
