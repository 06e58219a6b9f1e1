/*
 * conncap.h: caps on the live connections a listener holds, in total and
 * per peer address, so that one client (or a crowd of them) cannot take
 * every descriptor a daemon has. A connection counts from conncap_admit
 * until it is freed, whoever owns it by then (the HTTP server after a
 * hand-over counts the same).
 */
#ifndef CONNCAP_H
#define CONNCAP_H

#include <stddef.h>

struct conn;
struct conncap;

/* Caps of max_total and max_per_address connections; 0 = no such cap. */
struct conncap *conncap_new(long max_total, long max_per_address);
/*
 * Count c (its conn_peer's address) against the caps: 0, or -1 with a
 * reason for its peer in err ("too many connections from 10.0.0.7: 64")
 * when over one. A refused conn is not counted: close it.
 */
int conncap_admit(struct conncap *cc, struct conn *c, char *err, size_t errlen);
long conncap_total(const struct conncap *cc);
/* Free the caps; connections still counted let go of them as they close. */
void conncap_free(struct conncap *cc);

#endif
