/*
 * sup_relay.h: the supervisor's side of a custom executor's channel
 * (MESOS_EXECUTOR_FD, docs/PROTOCOL.md "Executors"). Lines go to the
 * executor as they are; the executor's lines are read with a bounded
 * buffer, checked (an invalid or oversize one gets ERROR back and the
 * channel stays open), rewritten with only their known fields and a
 * relay_seq, and kept until agentd acknowledges them (sup.h). Used
 * by sup.c only.
 */
#ifndef SUP_RELAY_H
#define SUP_RELAY_H

#include <stddef.h>

struct loop;
struct proto_msg;
struct sup_relay;

/* A checked executor line for the agent, '\n' included. */
typedef void (*sup_relay_out_fn)(const char *line, size_t len, void *arg);
/* The executor closed its end (or broke the output limit). */
typedef void (*sup_relay_close_fn)(const char *reason, void *arg);

/*
 * Make the channel, REGISTERED already queued on it: *child_fd is the
 * executor's end (close-on-exec, for SUP_CHANNEL_FD). NULL with a
 * one-line reason in err.
 */
struct sup_relay *sup_relay_open(struct loop *loop, const char *executor_id,
                                 const char *framework_id, const char *agent_id,
                                 sup_relay_out_fn out, sup_relay_close_fn on_close, void *arg,
                                 int *child_fd, char *err, size_t errlen);
/*
 * A line from agentd (m parsed, raw as it came): 1 if it was the relay's
 * (a line for the executor, RELAY_ACK), 0 if not.
 */
int sup_relay_from_agent(struct sup_relay *r, const struct proto_msg *m, const char *raw,
                         size_t len);
/* A line for the executor, without its '\n'; dropped once the channel is closed. */
void sup_relay_send(struct sup_relay *r, const char *line, size_t len);
/* Tell the executor what was wrong with a line of its own. */
void sup_relay_error(struct sup_relay *r, const char *reason);
/* RELAY_ACK: forget the lines up to seq; read the executor again if the queue was full. */
void sup_relay_ack(struct sup_relay *r, unsigned long long seq);
/*
 * The executor is gone: take in what it wrote before it went, so that
 * its last updates reach the agent before its end does.
 */
void sup_relay_drain(struct sup_relay *r);
/* Hand every unacknowledged line to out again, oldest first (after an ATTACH). */
void sup_relay_resend(struct sup_relay *r);
void sup_relay_free(struct sup_relay *r);

#endif
