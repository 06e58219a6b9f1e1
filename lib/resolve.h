/*
 * resolve.h: host names looked up off the event loop. getaddrinfo may
 * block for seconds on a slow DNS server; a daemon's loop must not. One
 * thread does the lookups, in order; their answers wait until the owner,
 * told by resolver_fd becoming readable, collects them on its own thread.
 */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <stddef.h>

struct resolver;

/* addr: host as a numeric address, or NULL when the lookup failed (why says so). */
typedef void (*resolver_fn)(const char *host, const char *addr, const char *why, void *arg);

/* Start the thread. NULL with err when the system will not. */
struct resolver *resolver_new(char *err, size_t errlen);
/* Readable while answers wait: then call resolver_collect. */
int resolver_fd(const struct resolver *r);
/* Queue a lookup of host. 0, or -1 when RESOLVER_QUEUE_MAX lookups already wait. */
int resolver_ask(struct resolver *r, const char *host);
/* fn for each answer that came back, on the caller's thread. */
void resolver_collect(struct resolver *r, resolver_fn fn, void *arg);
/* Stop the thread (after the lookup under way, if any) and free everything. */
void resolver_free(struct resolver *r);

#endif
