/*
 * launcher.h: how the agent turns a task into processes. It makes the
 * sandbox directories, builds the task's environment, forks and execs
 * `/bin/sh -c COMMAND` in a new session with the task's limits, reaps
 * exits and signals process groups.
 *
 * The three process calls (launcher_start, launcher_reap, launcher_kill)
 * are the only places that know a task is a direct child of the agent, so
 * a supervisor process can later be put between the two without touching
 * the agent's logic. Nothing here logs or talks to the network.
 */
#ifndef LAUNCHER_H
#define LAUNCHER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LAUNCHER_SHELL      "/bin/sh"
#define LAUNCHER_DIR_MODE   0755
#define LAUNCHER_FILE_MODE  0644
#define LAUNCHER_STDOUT     "stdout"
#define LAUNCHER_STDERR     "stderr"
#define LAUNCHER_LATEST     "latest"
#define LAUNCHER_EXEC_FAILED_STATUS 127   /* what sh reports for a command it cannot run */
#define LAUNCHER_RUN_ID_LEN 36            /* a UUID: 8-4-4-4-12 hex digits */

struct res;

struct launcher_spec {
	const char *command;      /* run as /bin/sh -c command */
	const char *sandbox;      /* existing directory: the cwd, holds stdout and stderr */
	char *const *env;         /* NULL-terminated NAME=value list: the task's whole environment */
	uint64_t mem_bytes;       /* RLIMIT_AS; 0 = no limit */
};

/* A task environment under construction; later entries replace earlier ones of the same name. */
struct launcher_env {
	char **vars;              /* NULL-terminated once anything was added */
	size_t n;
	size_t cap;
};

/* mkdir -p with LAUNCHER_DIR_MODE. Returns 0, or -1 with the reason in err. */
int launcher_mkdirs(const char *path, char *err, size_t errlen);

/*
 * Make WORK_DIR/slaves/AGENT/frameworks/FW/executors/EXEC/runs/RUN_ID with
 * a fresh random RUN_ID and point runs/latest at it. Returns the run
 * directory (malloc'ed), or NULL with the reason in err. The IDs must have
 * passed id_check.
 */
char *launcher_sandbox_create(const char *work_dir, const char *agent_id, const char *framework_id,
                              const char *executor_id, char *err, size_t errlen);

/*
 * Resolve a path a peer asked for inside a sandbox: relative, no ".."
 * component, and its realpath inside the sandbox's realpath (no symlink
 * out). Returns the resolved path (malloc'ed) or NULL with the reason in
 * err ("path outside the sandbox", "no such file 'x'").
 */
char *launcher_sandbox_resolve(const char *sandbox, const char *path, char *err, size_t errlen);

/* A piece of a sandbox file. */
struct launcher_chunk {
	char *data;               /* malloc'ed, len bytes (NULL when len is 0) */
	size_t len;
	uint64_t size;            /* the file's size */
};

/*
 * Read at most max bytes at offset from path inside sandbox (resolved as
 * above). Only regular files; never blocks on a FIFO a task left there.
 * Returns 0, or -1 with the reason in err.
 */
int launcher_sandbox_read(const char *sandbox, const char *path, uint64_t offset, size_t max,
                          struct launcher_chunk *out, char *err, size_t errlen);

/* Environment: start empty, or from ours without the MESOS_ variables (those configure the agent). */
void launcher_env_init(struct launcher_env *e, int inherit);
void launcher_env_set(struct launcher_env *e, const char *name, const char *value);
/* Add "NAME=value" (len bytes, from a peer). -1 with err if it is not of that form or holds a NUL. */
int launcher_env_put(struct launcher_env *e, const char *entry, size_t len, char *err, size_t errlen);
const char *launcher_env_get(const struct launcher_env *e, const char *name);
/* PORT0..PORTn, PORT and PORTS (Marathon's names) from the "ports" ranges of r, at most max ports. */
void launcher_env_ports(struct launcher_env *e, const struct res *r, size_t max);
/* RLIMIT_AS for a task: its "mem" (megabytes) in bytes; 0 (no limit) when absent or too large. */
uint64_t launcher_mem_bytes(const struct res *r);
void launcher_env_free(struct launcher_env *e);

/*
 * Start a task: fork, new session and process group, stdin from /dev/null,
 * stdout/stderr appended to the sandbox's files, RLIMIT_CORE 0 and
 * RLIMIT_AS from mem_bytes, every other descriptor closed, exec of the
 * shell. Returns the pid (which is also the process group), or -1 with the
 * reason in err when nothing was started. A failing exec is reported in
 * the sandbox's stderr and as exit status LAUNCHER_EXEC_FAILED_STATUS.
 */
pid_t launcher_start(const struct launcher_spec *spec, char *err, size_t errlen);

/* Collect one exited task without blocking: 1 with *pid and *status set, 0 when none. */
int launcher_reap(pid_t *pid, int *status);

/*
 * Send signo to the task's process group; to the pid alone while the group
 * does not exist yet. 0, or -1 when nothing was signalled.
 */
int launcher_kill(pid_t pid, int signo);
/*
 * After a task's leader was reaped: SIGKILL whatever is left in its
 * process group. Never signals the pid alone, which may belong to someone
 * else by now.
 */
void launcher_sweep(pid_t pgid);

/* "exited with status N" or "killed by signal N (SIGNAME)" for a waitpid status. */
void launcher_describe_exit(int status, char *buf, size_t len);
/* 1 if the status is a clean exit 0. */
int launcher_exit_ok(int status);

#endif
