/*
 * mesosctl.c: the command-line tool's entry point: the global flags
 * (--master, --json, --timeout), the table of subcommands, help and
 * version. The commands themselves live in ctl_*.c (see ctl.h).
 */
#include "ctl.h"
#include "flags.h"
#include "http_auth.h"
#include "http_client.h"
#include "log.h"
#include "net.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_VERSION            "0.1.0"
#define CTL_DEFAULT_HOST       "127.0.0.1"
#define CTL_DEFAULT_PORT       5050
#define CTL_DEFAULT_TIMEOUT_MS 5000

static int cmd_help(struct ctl *ctl, int argc, char **argv);

static int
cmd_version(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	printf("mesosctl %s\n", CTL_VERSION);
	return EXIT_SUCCESS;
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "state", "", "a summary of the cluster", ctl_state_summary, 1 },
	{ "agents", "", "agents with their resources (used/total) and attributes", ctl_state_agents,
	  1 },
	{ "frameworks", "", "the registered frameworks", ctl_state_frameworks, 1 },
	{ "tasks", "", "tasks, running ones first, then completed ones", ctl_state_tasks, 1 },
	{ "run", "--name=NAME --command=CMD [--resources=R] [--instances=N] [flags]",
	  "run a command as a task (a one-shot framework) and wait for it to end", ctl_run, 1 },
	{ "kill", "[--framework=ID] TASK_ID", "kill a task", ctl_cli_kill, 1 },
	{ "cat", "[--framework=ID] TASK_ID [stdout|stderr|PATH]",
	  "print a file from a task's sandbox (default stdout)", ctl_cli_cat, 1 },
	{ "ls", "[--framework=ID] TASK_ID [PATH]", "list a directory of a task's sandbox",
	  ctl_cli_ls, 1 },
	{ "tail", "[--framework=ID] [-f] [-n N] TASK_ID [stdout|stderr|PATH]",
	  "the end of a sandbox file (default stdout); -f follows it", ctl_cli_tail, 1 },
	{ "teardown", "FRAMEWORK_ID", "kill a framework's tasks and remove it", ctl_teardown, 1 },
	{ "get", "PATH", "print the body of GET PATH on the master", ctl_state_get, 1 },
	{ "auth-proof", "peer|master KIND PRINCIPAL PEER_NONCE MASTER_NONCE",
	  "the handshake's proof with $MESOS_SECRET (for frameworks in sh)", ctl_auth_proof, 0 },
	{ "roles", "", "each role's weight, quota, allocation and frameworks", ctl_roles_list, 1 },
	{ "quota", "ROLE cpus:N;mem:N | --remove ROLE", "set or remove a role's guarantee",
	  ctl_roles_quota, 1 },
	{ "weights", "ROLE=W[,ROLE=W...]", "set role weights", ctl_roles_weights, 1 },
	{ "app", "[--marathon=HOST:PORT] [--wait [--timeout=D]] [--force] add FILE.json | list | "
	  "show ID | scale ID N | restart ID | update ID FILE.json | rm ID | tasks ID",
	  "Marathon apps (the marathon plugin's REST API)", ctl_app, 0 },
	{ "deployments", "[--marathon=HOST:PORT]", "Marathon's running deployments",
	  ctl_app_deployments, 0 },
	{ "job", "[--jobs=HOST:PORT] [--wait [--timeout=D]] [--force] add FILE.json | list | show ID "
	  "| run ID | runs ID | stop ID RUN | rm ID | schedule ID CRON [--tz=Z] [--policy=P] "
	  "[--deadline=D] | schedule --remove ID", "batch and scheduled jobs (the jobs plugin's "
	  "REST API, Metronome's)", ctl_job, 1 },
	{ "lb", "[--lb=HOST:PORT]", "mesos-lb's services, backends and connections", ctl_lb, 0 },
	{ "help", "[COMMAND]", "this text, or a command's flags", cmd_help, 0 },
	{ "version", "", "print the version", cmd_version, 0 },
};

static const struct ctl_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mesosctl [--master=HOST:PORT] [--json] [--timeout=DURATION] COMMAND "
	           "[ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(f, "  %-11s %s%s%s\n", ctl_cmds[i].name, ctl_cmds[i].summary,
		        *ctl_cmds[i].args != '\0' ? "\n              " : "", ctl_cmds[i].args);
	fprintf(f, "\nglobal flags (before the command):\n"
	           "  --master=HOST:PORT   the master (default $MESOS_MASTER, else %s:%d)\n"
	           "  --principal=NAME     authenticate as NAME (default $MESOS_PRINCIPAL)\n"
	           "  --secret=SECRET      its secret (default $MESOS_SECRET, which ps does not show)\n"
	           "  --json               print the raw /master/state JSON instead of a table\n"
	           "  --timeout=DURATION   how long to wait for the master (default 5secs)\n"
	           "\n'mesosctl help COMMAND' lists a command's flags.\n",
	        CTL_DEFAULT_HOST, CTL_DEFAULT_PORT);
}

static int
cmd_help(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	char help_flag[] = "--help";
	char *sub[2];

	if (argc < 2) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if ((cmd = find_cmd(argv[1])) == NULL) {
		ctl_say("unknown command '%s' (try 'mesosctl help')", argv[1]);
		return CTL_EXIT_USAGE;
	}
	if (cmd->fn == cmd_help || cmd->fn == cmd_version) {
		printf("usage: mesosctl %s %s\n%s\n", cmd->name, cmd->args, cmd->summary);
		return EXIT_SUCCESS;
	}
	sub[0] = argv[1];
	sub[1] = help_flag;
	ctl->cmd = cmd;
	return cmd->fn(ctl, 2, sub);
}

static int
set_master(struct ctl *ctl, const char *master)
{
	char err[CTL_ERR_MAX];

	if (master == NULL || *master == '\0')
		master = getenv("MESOS_MASTER");
	if (master == NULL || *master == '\0') {
		xstrlcpy(ctl->host, CTL_DEFAULT_HOST, sizeof(ctl->host));
		ctl->port = CTL_DEFAULT_PORT;
	} else if (net_parse_hostport(master, CTL_DEFAULT_PORT, ctl->host, sizeof(ctl->host),
	                              &ctl->port, err, sizeof(err)) == -1) {
		ctl_say("bad --master '%s': %s", master, err);
		return -1;
	}
	snprintf(ctl->addr, sizeof(ctl->addr), strchr(ctl->host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	         ctl->host, ctl->port);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl ctl;
	struct proto_auth_client auth;
	char *master = NULL, *principal = NULL, *secret = NULL;
	struct flag flags[] = {
		{ "master", FLAG_STRING, &master, "HOST:PORT of the master", 0 },
		{ "principal", FLAG_STRING, &principal, "the operator's or framework's principal", 0 },
		{ "secret", FLAG_STRING, &secret, "its secret (better: $MESOS_SECRET)", 0 },
		{ "json", FLAG_BOOL, &ctl.json, "print raw JSON", 0 },
		{ "timeout", FLAG_DURATION, &ctl.timeout_ms, "how long to wait for the master", 0 },
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);
	const struct ctl_cmd *cmd;
	char err[CTL_ERR_MAX];
	int first = argc, help = 0, rc = CTL_EXIT_USAGE;

	log_init("mesosctl", LOG_LEVEL_ERROR);
	memset(&ctl, 0, sizeof(ctl));
	ctl.timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	if (flags_parse(flags, nflags, argc, argv, NULL, &first, &help, err, sizeof(err)) == -1) {
		ctl_say("%s (try 'mesosctl help')", err);
		goto out;
	}
	if (help) {
		usage(stdout);
		rc = EXIT_SUCCESS;
		goto out;
	}
	if (first >= argc) {
		usage(stderr);
		goto out;
	}
	if ((cmd = find_cmd(argv[first])) == NULL) {
		ctl_say("unknown command '%s' (try 'mesosctl help')", argv[first]);
		goto out;
	}
	if (ctl.timeout_ms <= 0) {
		ctl_say("--timeout must be positive (try 'mesosctl help')");
		goto out;
	}
	if (cmd->needs_master && set_master(&ctl, master) == -1)
		goto out;
	/* The flags' strings stay theirs (flags_free): the environment's are only looked at. */
	const char *who = principal != NULL && *principal != '\0' ? principal : getenv("MESOS_PRINCIPAL");
	const char *key = secret != NULL && *secret != '\0' ? secret : getenv("MESOS_SECRET");
	if (who != NULL && *who != '\0' && (key == NULL || *key == '\0')) {
		ctl_say("--principal needs --secret (or $MESOS_SECRET)");
		goto out;
	}
	proto_auth_client_init(&auth, PROTO_KIND_CLI, who, key);
	if (auth.principal != NULL) {
		/* The same credential, as Basic, for the HTTP APIs (the master's, Marathon's). */
		char *basic = http_auth_basic_value(auth.principal, auth.secret);
		http_client_set_authorization(basic);
		free(basic);
	}
	ctl.auth = &auth;
	ctl.cmd = cmd;
	rc = cmd->fn(&ctl, argc - first, argv + first);
out:
	flags_free(flags, nflags);
	if (fflush(stdout) == EOF && rc == EXIT_SUCCESS)
		rc = EXIT_FAILURE;
	return rc;
}
