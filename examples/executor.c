/*
 * examples/executor.c: a complete custom executor, in plain C and POSIX
 * with nothing of this project's code, to show how small one is (see
 * docs/PROTOCOL.md, "Executors"). One process runs every task the agent
 * hands it, each as /bin/sh -c COMMAND in a process group of its own, and
 * reports them with its own pid in the message ("executor pid 1234"), so
 * one can see that the tasks share it. Framework messages are echoed
 * back ("echo:DATA"); "raw:LINE" is written to the agent as it is, to try
 * the protocol by hand, and an ERROR the agent answers comes back to the
 * framework as "error:REASON".
 *
 * A task names it with executor_id=ID executor_command=/path/to/executor.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 65536     /* the protocol's line limit */
#define FIELDS_MAX 1024
#define TASKS_MAX 256
#define ID_MAX 256
#define POLL_MS 100              /* how often finished tasks are looked for */
#define MSG_MAX 512
#define DEC_BASE 10
#define MS_PER_S 1000
#define NS_PER_MS 1000000L
#define HEX_BASE 16
#define NIBBLE_BITS 4
#define NIBBLE_MASK 0xf
#define ASCII_DEL 0x7f
#define ESCAPED_LEN 3            /* "%XX" */
#define EXEC_FAILED_STATUS 127   /* as the shell says "command not found" */

struct field {
	char *key;
	char *val;
	size_t vlen;
};

struct msg {
	char *verb;
	struct field f[FIELDS_MAX];
	size_t n;
};

struct task {
	char id[ID_MAX];
	pid_t pid;               /* 0: the slot is free */
	int killed;
	long long kill_at_ms;    /* SIGKILL then; 0: not being killed */
};

static int chan = -1;
static struct task tasks[TASKS_MAX];
static int shutting_down;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

static void
write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(chan, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("executor: write to the agent");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* The protocol's escaping: space, %, = and control bytes as %XX. */
static void
put_value(const char *v, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char out[ESCAPED_LEN];

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c <= ' ' || c == '%' || c == '=' || c == ASCII_DEL) {
			out[0] = '%';
			out[1] = hex[c >> NIBBLE_BITS];
			out[2] = hex[c & NIBBLE_MASK];
			write_all(out, ESCAPED_LEN);
		} else {
			write_all((const char *)&v[i], 1);
		}
	}
}

static void
put_field(const char *key, const char *val, size_t vlen)
{
	write_all(" ", 1);
	write_all(key, strlen(key));
	write_all("=", 1);
	put_value(val, vlen);
}

static void
update(const char *task_id, const char *state, const char *message)
{
	write_all("STATUS_UPDATE", strlen("STATUS_UPDATE"));
	put_field("task_id", task_id, strlen(task_id));
	put_field("state", state, strlen(state));
	put_field("message", message, strlen(message));
	write_all("\n", 1);
}

static void
framework_message(const char *prefix, const char *data, size_t len)
{
	char *all = malloc(strlen(prefix) + len + 1);

	if (all == NULL)
		abort();
	memcpy(all, prefix, strlen(prefix));
	memcpy(all + strlen(prefix), data, len);
	write_all("FRAMEWORK_MESSAGE", strlen("FRAMEWORK_MESSAGE"));
	put_field("data", all, strlen(prefix) + len);
	write_all("\n", 1);
	free(all);
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + DEC_BASE;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + DEC_BASE;
	return -1;
}

/* VERB key=value ...: split in place and unescaped. -1 on a malformed line. */
static int
parse(char *line, struct msg *m)
{
	char *sp = strchr(line, ' ');
	char *p = sp != NULL ? sp + 1 : NULL;

	m->verb = line;
	m->n = 0;
	if (sp != NULL)
		*sp = '\0';
	/* Values are escaped, so a bare space always ends a field. */
	while (p != NULL && m->n < FIELDS_MAX) {
		struct field *f = &m->f[m->n++];
		char *next = strchr(p, ' '), *eq, *in, *out;

		if (next != NULL)
			*next = '\0';
		if ((eq = strchr(p, '=')) == NULL)
			return -1;
		*eq = '\0';
		f->key = p;
		f->val = in = out = eq + 1;
		while (*in != '\0') {
			if (in[0] == '%' && unhex(in[1]) >= 0 && unhex(in[2]) >= 0) {
				*out++ = (char)(unhex(in[1]) * HEX_BASE + unhex(in[2]));
				in += ESCAPED_LEN;
			} else if (in[0] == '%') {
				return -1;
			} else {
				*out++ = *in++;
			}
		}
		f->vlen = (size_t)(out - f->val);
		*out = '\0';
		p = next != NULL ? next + 1 : NULL;
	}
	return 0;
}

static const struct field *
get(const struct msg *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->f[i].key, key) == 0)
			return &m->f[i];
	return NULL;
}

static struct task *
find(const char *id)
{
	for (size_t i = 0; i < TASKS_MAX; i++)
		if (tasks[i].pid != 0 && strcmp(tasks[i].id, id) == 0)
			return &tasks[i];
	return NULL;
}

static void
run_task(const struct msg *m)
{
	const struct field *id = get(m, "task_id"), *cmd = get(m, "command");
	char msg[MSG_MAX];
	struct task *t = NULL;
	pid_t pid;

	if (id == NULL)
		return;
	for (size_t i = 0; i < TASKS_MAX && t == NULL; i++)
		if (tasks[i].pid == 0)
			t = &tasks[i];
	if (t == NULL || cmd == NULL || strlen(id->val) >= ID_MAX) {
		update(id->val, "TASK_FAILED", t == NULL ? "too many tasks" : "no command to run");
		return;
	}
	update(id->val, "TASK_STARTING", "");
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		close(chan);
		setenv("MESOS_TASK_ID", id->val, 1);
		execl("/bin/sh", "sh", "-c", cmd->val, (char *)NULL);
		_exit(EXEC_FAILED_STATUS);
	}
	if (pid < 0) {
		update(id->val, "TASK_FAILED", "fork failed");
		return;
	}
	setpgid(pid, pid);
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id->val);
	t->pid = pid;
	snprintf(msg, sizeof(msg), "executor pid %ld", (long)getpid());
	update(t->id, "TASK_RUNNING", msg);
}

static void
kill_task(struct task *t, long long grace_ms)
{
	t->killed = 1;
	kill(-t->pid, grace_ms > 0 ? SIGTERM : SIGKILL);
	if (t->kill_at_ms == 0 || now_ms() + grace_ms < t->kill_at_ms)
		t->kill_at_ms = now_ms() + (grace_ms > 0 ? grace_ms : 0);
}

static void
handle(char *line)
{
	struct msg m;
	const struct field *f;

	if (parse(line, &m) == -1) {
		fprintf(stderr, "executor: a line it cannot parse from the agent\n");
		return;
	}
	if (strcmp(m.verb, "REGISTERED") == 0) {
		f = get(&m, "executor_id");
		fprintf(stderr, "executor: registered as %s\n", f != NULL ? f->val : "?");
	} else if (strcmp(m.verb, "RUN_TASK") == 0) {
		run_task(&m);
	} else if (strcmp(m.verb, "KILL_TASK") == 0) {
		const struct field *g = get(&m, "grace_ms");
		struct task *t = (f = get(&m, "task_id")) != NULL ? find(f->val) : NULL;
		if (t != NULL)
			kill_task(t, g != NULL ? strtoll(g->val, NULL, DEC_BASE) : 0);
	} else if (strcmp(m.verb, "FRAMEWORK_MESSAGE") == 0 && (f = get(&m, "data")) != NULL) {
		if (strncmp(f->val, "raw:", strlen("raw:")) == 0) {
			write_all(f->val + strlen("raw:"), f->vlen - strlen("raw:"));
			write_all("\n", 1);
		} else {
			framework_message("echo:", f->val, f->vlen);
		}
	} else if (strcmp(m.verb, "ERROR") == 0) {
		f = get(&m, "reason");
		fprintf(stderr, "executor: the agent says: %s\n", f != NULL ? f->val : "?");
		if (f != NULL)
			framework_message("error:", f->val, f->vlen);
	} else if (strcmp(m.verb, "SHUTDOWN") == 0) {
		shutting_down = 1;
		for (size_t i = 0; i < TASKS_MAX; i++)
			if (tasks[i].pid != 0)
				kill_task(&tasks[i], 0);
	}
}

static int
reap(void)
{
	char msg[MSG_MAX];
	int status, left = 0;

	for (size_t i = 0; i < TASKS_MAX; i++) {
		struct task *t = &tasks[i];
		if (t->pid == 0)
			continue;
		if (t->kill_at_ms != 0 && now_ms() >= t->kill_at_ms)
			kill(-t->pid, SIGKILL);
		if (waitpid(t->pid, &status, WNOHANG) != t->pid) {
			left++;
			continue;
		}
		if (WIFEXITED(status))
			snprintf(msg, sizeof(msg), "exited with status %d; executor pid %ld",
			    WEXITSTATUS(status), (long)getpid());
		else
			snprintf(msg, sizeof(msg), "killed by signal %d; executor pid %ld",
			    WIFSIGNALED(status) ? WTERMSIG(status) : 0, (long)getpid());
		update(t->id, t->killed ? "TASK_KILLED"
		            : WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "TASK_FINISHED" : "TASK_FAILED",
		    msg);
		kill(-t->pid, SIGKILL);   /* whatever it left behind */
		t->pid = 0;
	}
	return left;
}

int
main(void)
{
	static char in[LINE_MAX_BYTES + 2];
	const char *fd = getenv("MESOS_EXECUTOR_FD");
	size_t have = 0;

	if (fd == NULL) {
		fprintf(stderr, "executor: no MESOS_EXECUTOR_FD: run me as a task's executor_command\n");
		return 2;
	}
	chan = (int)strtol(fd, NULL, DEC_BASE);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p = { chan, POLLIN, 0 };
		char *nl;
		ssize_t n;

		if (reap() == 0 && shutting_down)
			return 0;
		if (poll(&p, 1, POLL_MS) <= 0)
			continue;
		n = read(chan, in + have, sizeof(in) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "executor: the agent closed the channel: leaving\n");
			for (size_t i = 0; i < TASKS_MAX; i++)
				if (tasks[i].pid != 0)
					kill(-tasks[i].pid, SIGKILL);
			return 0;
		}
		have += (size_t)n;
		in[have] = '\0';
		while ((nl = memchr(in, '\n', have)) != NULL) {
			size_t len = (size_t)(nl - in) + 1;
			*nl = '\0';
			handle(in);
			memmove(in, in + len, have - len);
			have -= len;
		}
		if (have >= sizeof(in) - 1)
			have = 0;   /* a line over the limit: the agent never sends one */
	}
}
