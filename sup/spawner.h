/*
 * spawner.h: the supervisor spawner, a warm mesos-executor that forks a
 * supervisor for each task agentd hands it, so that a launch costs a fork
 * of a small process instead of starting a program (on this project's
 * 2-core VM, loading a dynamically linked program costs over half a
 * millisecond of CPU, more than the rest of a supervisor's start).
 *
 * Wire (a stream socketpair, one request at a time):
 *   agentd -> spawner: "SPAWN <run path>\n" carrying one descriptor
 *                      (SCM_RIGHTS), the supervisor's socket to agentd
 *   spawner -> agentd: "SPAWNED <pid>\n" or "FAILED <message>\n"
 * One request in flight means the stream never holds two descriptors, so
 * no system's framing of control data can mix them up.
 *
 * A supervisor whose task ended cleanly (agentd took its end, nothing of
 * the task is left) serves the next task instead of exiting: on a VM a
 * fork and an exit cost more than all of a supervisor's own work (page
 * tables built and torn down). It tells the spawner so on a datagram
 * socket the spawner's children share, "IDLE <pid>\n" carrying one end of
 * a new stream socketpair (read when the next SPAWN comes, or within
 * SPAWNER_DRAIN_MS of the last one); the spawner keeps at most SPAWNER_IDLE_MAX of
 * them, for SPAWNER_IDLE_MS each, and hands the next SPAWN to the newest
 * one on that socket, in agentd's form, answering agentd with its pid. A
 * spawner that drops an idle supervisor closes its socket, and the
 * supervisor exits. A process serves at most SPAWNER_RUNS_MAX tasks.
 */
#ifndef SPAWNER_H
#define SPAWNER_H

#include <stddef.h>
#include <sys/types.h>

#define SPAWNER_FLAG "--spawner"
#define SPAWNER_REQUEST "SPAWN "       /* the three words of the wire, each with its space */
#define SPAWNER_SPAWNED "SPAWNED "
#define SPAWNER_FAILED "FAILED "
#define SPAWNER_REQUEST_MAX 4200     /* "SPAWN ", a path of up to PATH_MAX, "\n" */
#define SPAWNER_REPLY_MAX 256
#define SPAWNER_IDLE "IDLE "
#define SPAWNER_IDLE_MAX 16          /* idle supervisors kept: a few per task in flight */
#define SPAWNER_IDLE_MS 30000        /* how long one is kept unused */
#define SPAWNER_DRAIN_MS 1000        /* returns read at the latest this long after a hand-over */
#define SPAWNER_RUNS_MAX 1000        /* tasks one process serves, a bound on what it could leak */

/*
 * The spawner's loop, on its socket sock (blocking): each child closes
 * sock, puts the descriptor it was handed on child_fd (close-on-exec) and runs
 * run(path, &again), then, while run set again, offers itself for another
 * path as above. Returns when agentd closes its end: 0, or 1 on an error
 * of the socket itself. Allocates nothing, so children inherit no heap.
 */
int spawner_serve(int sock, int child_fd, int (*run)(const char *path, int *again));

/* sendmsg of len bytes with descriptor fd attached; as send(2). */
ssize_t spawner_send_fd(int sock, const char *data, size_t len, int fd);

#endif
