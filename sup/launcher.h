/*
 * launcher.h: what the agent and the supervisor share about a task's
 * place on disk and its start: sandbox and checkpoint directories, safe
 * resolution and reading of sandbox files for peers, the task's
 * environment, limits read from its resources, starting a supervisor
 * (posix_spawn, one end of a socketpair as its descriptor 3) and reaching
 * one again through its socket, and describing how a process ended.
 * Nothing here logs or talks to the network.
 */
#ifndef LAUNCHER_H
#define LAUNCHER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

#define LAUNCHER_SHELL      "/bin/sh"
#define LAUNCHER_DIR_MODE   0755
#define LAUNCHER_FILE_MODE  0644
#define LAUNCHER_STDOUT     "stdout"
#define LAUNCHER_STDERR     "stderr"
#define LAUNCHER_LATEST     "latest"
#define LAUNCHER_TMP        "tmp"         /* the task's TMPDIR, in its sandbox */
#define LAUNCHER_TMP_MODE   0700          /* the task's user's alone */
#define LAUNCHER_EXEC_FAILED_STATUS 127   /* what sh reports for a command it cannot run */
#define LAUNCHER_LIST_ENTRIES_MAX 100000  /* entries of one directory a listing looks at */
#define LAUNCHER_RUN_ID_LEN 36            /* a UUID: 8-4-4-4-12 hex digits */

struct res;

/* A task environment under construction; later entries replace earlier ones of the same name. */
struct launcher_env {
	char **vars;              /* NULL-terminated once anything was added */
	size_t n;
	size_t cap;
};

/*
 * Make WORK_DIR/slaves/AGENT/frameworks/FW/executors/EXEC/runs/RUN_ID with
 * a fresh random RUN_ID and point runs/latest at it. Returns the run
 * directory (malloc'ed), or NULL with the reason in err. The IDs must have
 * passed id_check.
 */
char *launcher_sandbox_create(const char *work_dir, const char *agent_id, const char *framework_id,
                              const char *executor_id, char *err, size_t errlen);

/*
 * Open a path a peer asked for inside a sandbox (flags as open's; O_CLOEXEC
 * is added): relative, no ".." component, and resolved below the sandbox's
 * directory whatever the task does meanwhile: symlinks are followed only
 * while they stay inside (openat2 RESOLVE_BENEATH, or the same walk done
 * one component at a time with O_NOFOLLOW). Returns the descriptor, or -1
 * with the reason in err ("path outside the sandbox", "no such file 'x'").
 */
int launcher_sandbox_open(const char *sandbox, const char *path, int flags, char *err,
                          size_t errlen);
/* The walk itself, below the directory root: a descriptor, or -1 with errno (EXDEV: outside). */
int launcher_sandbox_walk(int root, const char *path, int flags);

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
/* TMPDIR=SANDBOX/tmp, as Mesos gives each task a TMPDIR of its own. */
void launcher_env_set_tmpdir(struct launcher_env *e, const char *sandbox);
/*
 * Make SANDBOX/tmp, the task's user's alone (uid, gid; -1 for ours):
 * made with mkdirat and given away through a descriptor opened with
 * O_NOFOLLOW, never through a name a task could have swapped. 0, or -1
 * with err.
 */
int launcher_make_tmpdir(const char *sandbox, uid_t uid, gid_t gid, char *err, size_t errlen);
/* Add "NAME=value" (len bytes, from a peer). -1 with err if it is not of that form or holds a NUL. */
int launcher_env_put(struct launcher_env *e, const char *entry, size_t len, char *err, size_t errlen);
const char *launcher_env_get(const struct launcher_env *e, const char *name);
/* PORT0..PORTn, PORT and PORTS (Marathon's names) from the "ports" ranges of r, at most max ports. */
void launcher_env_ports(struct launcher_env *e, const struct res *r, size_t max);
/* RLIMIT_AS for a task: its "mem" (megabytes) in bytes; 0 (no limit) when absent or too large. */
uint64_t launcher_mem_bytes(const struct res *r);
void launcher_env_free(struct launcher_env *e);

/* RLIMIT_FSIZE and the sandbox cap for a task: its "disk" in bytes; 0 when absent. */
uint64_t launcher_disk_bytes(const struct res *r);

/*
 * List a directory inside a sandbox (resolved as above; "" or "." is the
 * sandbox itself): entries sorted by name from index offset on, one line
 * each, "TYPE SIZE MTIME NAME" (TYPE d, f, l or o; a newline in a name
 * shows as '?'), appended to out while it stays under max bytes. *next is
 * the index after the last one listed, *eof 1 when none is left. 0, or -1
 * with err.
 */
int launcher_sandbox_list(const char *sandbox, const char *path, size_t offset, size_t max,
                          struct buf *out, size_t *next, int *eof, char *err, size_t errlen);

/*
 * Start program with argument arg, in a session of its own, with sock as
 * its descriptor 3 (the supervisor's link to the agent), stdin on
 * /dev/null and every other descriptor of ours closed (they are all
 * close-on-exec). Returns the pid, or -1 with err.
 */
pid_t launcher_spawn(const char *program, const char *arg, int sock, char *err, size_t errlen);
/* The same with the arguments args (argv[0] first, NULL-terminated, at most LAUNCHER_SPAWN_ARGS_MAX). */
#define LAUNCHER_SPAWN_ARGS_MAX 8
pid_t launcher_spawn_argv(const char *program, const char *const *args, int sock, char *err,
    size_t errlen);

/*
 * Connect, without blocking, to the Unix socket `name` in directory dir
 * (any length: the connect happens from inside dir, then cwd_fd is
 * restored). Returns the descriptor (non-blocking, close-on-exec), or -1
 * with errno and err (ECONNREFUSED or ENOENT: nobody listens any more).
 */
int launcher_connect_unix(const char *dir, const char *name, int cwd_fd, char *err, size_t errlen);

#endif
