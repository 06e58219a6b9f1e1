/*
 * executor_relay.h: the supervisor's side of a custom executor's channel
 * (MESOS_EXECUTOR_FD, docs/PROTOCOL.md "Executors"). Lines go to the
 * executor as they are; the executor's lines are read with a bounded
 * buffer, checked (an invalid or oversize one gets ERROR back and the
 * channel stays open), rewritten with only their known fields and a
 * relay_seq, and kept until agentd acknowledges them (executor.h). Used
 * by executor.c only.
 */
#ifndef EXECUTOR_RELAY_H
#define EXECUTOR_RELAY_H

#include <stddef.h>

struct loop;
struct proto_msg;
struct executor_relay;

/* A checked executor line for the agent, '\n' included. */
typedef void (*executor_relay_out_fn)(const char *line, size_t len, void *arg);
/* The executor closed its end (or broke the output limit). */
typedef void (*executor_relay_close_fn)(const char *reason, void *arg);

/*
 * Make the channel, REGISTERED already queued on it: *child_fd is the
 * executor's end (close-on-exec, for EXECUTOR_CHANNEL_FD). NULL with a
 * one-line reason in err.
 */
struct executor_relay *executor_relay_open(struct loop *loop, const char *executor_id,
                                           const char *framework_id, const char *agent_id,
                                           executor_relay_out_fn out,
                                           executor_relay_close_fn on_close, void *arg,
                                           int *child_fd, char *err, size_t errlen);
/*
 * A line from agentd (m parsed, raw as it came): 1 if it was the relay's
 * (a line for the executor, RELAY_ACK), 0 if not.
 */
int executor_relay_from_agent(struct executor_relay *r, const struct proto_msg *m,
                              const char *raw, size_t len);
/* A line for the executor, without its '\n'; dropped once the channel is closed. */
void executor_relay_send(struct executor_relay *r, const char *line, size_t len);
/* Tell the executor what was wrong with a line of its own. */
void executor_relay_error(struct executor_relay *r, const char *reason);
/* RELAY_ACK: forget the lines up to seq; read the executor again if the queue was full. */
void executor_relay_ack(struct executor_relay *r, unsigned long long seq);
/*
 * The executor is gone: take in what it wrote before it went, so that
 * its last updates reach the agent before its end does.
 */
void executor_relay_drain(struct executor_relay *r);
/* Hand every unacknowledged line to out again, oldest first (after an ATTACH). */
void executor_relay_resend(struct executor_relay *r);
void executor_relay_free(struct executor_relay *r);

#endif
