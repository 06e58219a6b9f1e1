/*
 * sup.h: the contract between agentd and the supervisor, the small
 * program that runs each task (its file name is mesos-executor, Mesos's
 * name for its command executor: SUP_PROGRAM). agentd starts it
 * with the run's checkpoint directory as its only argument and one end of
 * a socketpair as descriptor SUP_AGENT_FD; the supervisor then lives
 * on its own: it survives agentd and, once agentd has gone, listens on
 * RUN.sock (SUP_SOCKET_SUFFIX) so a restarted agentd can reach it
 * again, and writes the task's end to RUN.status (temp and rename) when
 * agentd cannot take it at once. Until a supervisor has reported its
 * pid, a restarted agentd tries its socket for AGENT_PROBE_TRIES.
 *
 * Both directions speak the wire protocol's syntax (proto.h), one message
 * a line:
 *
 *   agent -> supervisor
 *     LAUNCH   the task: struct proto_launch (proto.h), composed and
 *              read there: command, sandbox, env (repeated), user,
 *              allow_root, mem_bytes, disk_bytes, cpu_seconds, processes,
 *              open_files, nice, grace_ms, mem_watch_ms, disk_watch_ms,
 *              recovery_timeout_ms, port0, uri (repeated), fetcher,
 *              cache_dir, cache_bytes, stall_timeout_ms, health_*, task
 *              (its key, for log lines), log_level
 *     KILL     grace_ms: SIGTERM to every process of the task, SIGKILL
 *              after grace_ms (a later KILL may only bring it closer)
 *     ACK      the agent has checkpointed the task's end: exit now
 *     ATTACH   first line of an agentd that connects to the socket (after
 *              a restart): answered with ATTACHED, or EXITED when over
 *     SHUTDOWN grace_ms: kill the task (as KILL) and exit once it is over,
 *              without waiting for an ACK (a checkpoint being discarded)
 *
 *   agent -> supervisor, only to a custom executor's supervisor (LAUNCH
 *   carried executor_id, framework_id, agent_id: the command is the
 *   executor's, run with one end of a socketpair as SUP_CHANNEL_FD;
 *   see docs/PROTOCOL.md, "Executors")
 *     LIMITS   mem_bytes, disk_bytes: the sum over the executor's live
 *              tasks; resident memory and the sandbox are held to it (no
 *              RLIMIT_AS or RLIMIT_FSIZE: they could not grow after exec)
 *     RELAY_ACK seq: the agent has checkpointed what the executor's lines
 *              up to seq caused; the supervisor forgets them
 *     RUN_TASK, KILL_TASK, FRAMEWORK_MESSAGE, ERROR: passed to the
 *              executor as they are (queued until it runs)
 *     KILL     grace_ms: SHUTDOWN to the executor, SIGKILL to every
 *              process of it after grace_ms
 *
 *   supervisor -> agent
 *     STARTED  pid, supervisor (its own pid): the task's command runs
 *              (TASK_RUNNING)
 *     HEALTH   healthy (true/false), message: a health check result that changes
 *              the task's health, or the first one
 *     EXITED   state, reason, message, status (the wait status described),
 *              cpus_user_time_secs, cpus_system_time_secs, mem_rss_bytes
 *              (peak), disk_used_bytes: the task is over and no process of
 *              it is left; repeated on every ATTACH until ACK
 *     ATTACHED pid, supervisor, phase (fetching|running), healthy (when
 *              known): the answer to ATTACH while the task runs
 *     STATUS_UPDATE, FRAMEWORK_MESSAGE: a custom executor's valid lines,
 *              rewritten with only their known fields plus relay_seq (1,
 *              2, ...); kept (at most SUP_RELAY_QUEUE_MAX bytes, the
 *              executor is not read meanwhile) and sent again after every
 *              ATTACHED until RELAY_ACK. An invalid line never reaches the
 *              agent: the executor gets ERROR reason=... and is served on
 */
#ifndef SUP_H
#define SUP_H

#define SUP_PROGRAM "mesos-executor"
#define SUP_FETCHER_PROGRAM "mesos-fetcher"
#define SUP_AGENT_FD 3
#define SUP_SOCKET_SUFFIX ".sock"   /* after the run's checkpoint name */
#define SUP_STATUS_SUFFIX ".status" /* the EXITED line, written before it is sent */
/* A custom executor's end of its channel, also named in its MESOS_EXECUTOR_FD. */
#define SUP_CHANNEL_FD 4
#define SUP_RELAY_QUEUE_MAX (4u << 20)   /* bytes of unacknowledged executor lines */

#endif
