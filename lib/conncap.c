/*
 * conncap.c: owns the counts of live connections per listener and per peer
 * address, and the refusal of one over a cap. Each admitted conn carries a
 * release hook (conn_set_release) that gives its place back when it is
 * freed, so the count is right however the conn ends.
 */
#include "conncap.h"
#include "conn.h"
#include "map.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNCAP_ADDR_MAX 96   /* a peer's address without its port, IPv6 included */

struct conncap {
	struct map by_address;   /* address -> struct conncap_slot */
	long max_total, max_per_address;
	long total;
	int freed;               /* conncap_free was called: go when total reaches 0 */
};

struct conncap_slot {
	struct conncap *cc;
	long count;
	char address[CONNCAP_ADDR_MAX];
};

struct conncap *
conncap_new(long max_total, long max_per_address)
{
	struct conncap *cc = xcalloc(1, sizeof(*cc));

	map_init(&cc->by_address);
	cc->max_total = max_total > 0 ? max_total : 0;
	cc->max_per_address = max_per_address > 0 ? max_per_address : 0;
	return cc;
}

static void
destroy(struct conncap *cc)
{
	map_free(&cc->by_address);
	free(cc);
}

static void
release(void *arg)
{
	struct conncap_slot *slot = arg;
	struct conncap *cc = slot->cc;

	cc->total--;
	if (--slot->count == 0) {
		map_del(&cc->by_address, slot->address);
		free(slot);
	}
	if (cc->freed && cc->total == 0)
		destroy(cc);
}

/* "10.0.0.7:41234" -> "10.0.0.7", "[::1]:5050" -> "[::1]": the port varies per connection. */
static void
address_of(const char *peer, char *out, size_t outlen)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, peer, n);
	out[n] = '\0';
}

int
conncap_admit(struct conncap *cc, struct conn *c, char *err, size_t errlen)
{
	char address[CONNCAP_ADDR_MAX];
	struct conncap_slot *slot;

	address_of(conn_peer(c), address, sizeof(address));
	if (cc->max_total > 0 && cc->total >= cc->max_total) {
		snprintf(err, errlen, "too many connections: %ld open, the limit", cc->total);
		return -1;
	}
	slot = map_get(&cc->by_address, address);
	if (slot != NULL && cc->max_per_address > 0 && slot->count >= cc->max_per_address) {
		snprintf(err, errlen, "too many connections from %s: %ld open, the limit", address,
		         slot->count);
		return -1;
	}
	if (slot == NULL) {
		slot = xcalloc(1, sizeof(*slot));
		slot->cc = cc;
		snprintf(slot->address, sizeof(slot->address), "%s", address);
		map_put(&cc->by_address, address, slot);
	}
	slot->count++;
	cc->total++;
	conn_set_release(c, release, slot);
	return 0;
}

long
conncap_total(const struct conncap *cc)
{
	return cc->total;
}

void
conncap_free(struct conncap *cc)
{
	if (cc == NULL)
		return;
	cc->freed = 1;
	if (cc->total == 0)
		destroy(cc);
}
