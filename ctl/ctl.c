/*
 * ctl.c: what mesosctl's commands share: the split of a subcommand's
 * arguments into flags and positional ones, the error lines every command
 * prints the same way, and the few protocol messages all peers send.
 */
#include "ctl.h"
#include "buf.h"
#include "conn.h"
#include "flags.h"
#include "proto.h"
#include "xmem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAY_LINE_MAX 4096   /* bytes of one error line; longer ones are cut */

/* How conn.h and http.h begin an error about a connection never made. */
#define CONNECT_PREFIX "connect to "

void
ctl_say(const char *fmt, ...)
{
	char line[SAY_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fputs("mesosctl: ", stderr);
	/* Reasons come from peers: keep the error on one line, whatever they contain. */
	ctl_print_clean(stderr, line);
	fputc('\n', stderr);
}

int
ctl_is_connect_error(const char *reason)
{
	return strncmp(reason, CONNECT_PREFIX, strlen(CONNECT_PREFIX)) == 0;
}

/* The address is said once, our way; users want only the reason from the error. */
static const char *
connect_reason(const char *err)
{
	const char *p;

	if (ctl_is_connect_error(err) && (p = strstr(err + strlen(CONNECT_PREFIX), ": ")) != NULL)
		return p + 2;
	return err;
}

void
ctl_say_unreachable(const struct ctl *ctl, const char *err)
{
	ctl_say("cannot reach master at %s: %s", ctl->addr, connect_reason(err));
}

void
ctl_print_clean(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static const struct flag *
flag_find(const struct flag *flags, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

static int
is_repeatable(const char *name, size_t len, const char *rep)
{
	return rep != NULL && strlen(rep) == len && strncmp(rep, name, len) == 0;
}

/*
 * Split argv (argv[0] is the subcommand) into flags and positional
 * arguments so that flags may follow the arguments (`kill ID
 * --framework=F`), and pull out the repeatable --env and --uri, which
 * flags.c keeps only once.
 */
static int
args_split(struct ctl_args *a, const struct flag *flags, size_t nflags, int repeat, int argc,
           char **argv, char *err, size_t errlen)
{
	int i, only_pos = 0;

	memset(a, 0, sizeof(*a));
	a->fargv = xcalloc((size_t)argc + 1, sizeof(char *));
	a->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	a->fargv[a->fargc++] = argv[0];
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq;
		const struct flag *f;
		size_t len;

		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			a->pos[a->npos++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		name = arg + (arg[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if (repeat && (is_repeatable(name, len, "env") || is_repeatable(name, len, "uri"))) {
			char ***list = name[0] == 'e' ? &a->env : &a->uri;
			size_t *n = name[0] == 'e' ? &a->nenv : &a->nuri;
			const char *val = eq != NULL ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);

			if (val == NULL) {
				snprintf(err, errlen, "flag '--%.*s' needs a value", (int)len, name);
				return -1;
			}
			*list = xreallocarray(*list, *n + 1, sizeof(char *));
			(*list)[(*n)++] = (char *)val;
			continue;
		}
		a->fargv[a->fargc++] = argv[i];
		f = flag_find(flags, nflags, name, len);
		if (eq == NULL && f != NULL && f->type != FLAG_BOOL && i + 1 < argc)
			a->fargv[a->fargc++] = argv[++i];
	}
	return 0;
}

void
ctl_args_free(struct ctl_args *a)
{
	free(a->fargv);
	free(a->pos);
	free(a->env);
	free(a->uri);
}

int
ctl_parse_args(struct ctl_args *a, const struct ctl *ctl, struct flag *flags, size_t nflags,
               int repeat, int argc, char **argv, int min_pos, int max_pos)
{
	const struct ctl_cmd *cmd = ctl->cmd;
	char err[CTL_ERR_MAX], prog[CTL_ERR_MAX];
	int first, help = 0;

	snprintf(prog, sizeof(prog), "mesosctl %s", argv[0]);
	if (args_split(a, flags, nflags, repeat, argc, argv, err, sizeof(err)) == -1 ||
	    flags_parse(flags, nflags, a->fargc, a->fargv, NULL, &first, &help, err,
	                sizeof(err)) == -1) {
		ctl_say("%s: %s (try 'mesosctl help %s')", argv[0], err, argv[0]);
		return CTL_EXIT_USAGE;
	}
	if (help) {
		printf("%s: %s\n", prog, cmd->summary);
		flags_usage(flags, nflags, prog, cmd->args);
		return EXIT_SUCCESS;
	}
	if (first < a->fargc || a->npos < min_pos || a->npos > max_pos) {
		ctl_say("%s: %s (usage: %s%s%s)", argv[0],
		        a->npos < min_pos ? "missing argument" : "too many arguments", prog,
		        *cmd->args != '\0' ? " " : "", cmd->args);
		return CTL_EXIT_USAGE;
	}
	return -1;
}

int
ctl_send_msg(struct conn *c, struct buf *b)
{
	int rc = -1;

	if (proto_end(b) == -1)
		ctl_say("message %.*s too long for the protocol (limit %d bytes)", PROTO_VERB_MAX,
		        b->data, PROTO_LINE_MAX);
	else if (c != NULL)
		rc = conn_send(c, b->data, b->len);
	buf_free(b);
	return rc;
}

int
ctl_send_hello(const struct ctl *ctl, struct conn *c, enum proto_kind kind)
{
	struct buf b;

	buf_init(&b, CTL_MSG_MAX);
	ctl->auth->kind = kind;
	proto_auth_client_hello(ctl->auth, &b);
	return ctl_send_msg(c, &b);
}

int
ctl_answer_challenge(const struct ctl *ctl, struct conn *c, const struct proto_msg *m)
{
	char err[CTL_ERR_MAX];
	struct buf b;

	buf_init(&b, CTL_MSG_MAX);
	if (proto_auth_client_challenge(ctl->auth, m, &b, err, sizeof(err)) == -1) {
		buf_free(&b);
		ctl_say("%s", err);
		return -1;
	}
	return ctl_send_msg(c, &b);
}

int
ctl_check_welcome(const struct ctl *ctl, const struct proto_msg *m)
{
	char err[CTL_ERR_MAX];

	if (proto_auth_client_welcome(ctl->auth, m, err, sizeof(err)) == -1) {
		ctl_say("%s", err);
		return -1;
	}
	return 0;
}

void
ctl_send_pong(struct conn *c, const struct proto_msg *m)
{
	const char *seq = proto_get(m, "seq");
	struct buf b;

	buf_init(&b, CTL_MSG_MAX);
	proto_begin(&b, "PONG");
	if (seq != NULL)
		proto_add(&b, "seq", seq);
	ctl_send_msg(c, &b);
}

