/* tests/test_sup_relay.c: a custom executor's channel on the supervisor's side (sup_relay.c). */
#include "check.h"
#include "buf.h"
#include "compat.h"
#include "sup/sup_relay.h"
#include "loop.h"
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_MAX 16
#define PUMP_MS 10
#define PUMP_ROUNDS 20
#define OVERSIZE (PROTO_LINE_MAX + 1000)
#define READ_MAX (1u << 17)

struct ctx {
	char *out[OUT_MAX];
	int nout;
	int closed;
};

static struct loop *loop;
static int exec_fd;                  /* the executor's end */
static char got[READ_MAX];           /* what the executor has read, not yet looked at */
static size_t ngot;

static void
on_out(const char *line, size_t len, void *arg)
{
	struct ctx *c = arg;

	if (c->nout < OUT_MAX) {
		c->out[c->nout] = malloc(len + 1);
		memcpy(c->out[c->nout], line, len);
		c->out[c->nout++][len] = '\0';
	}
}

static void
on_close(const char *reason, void *arg)
{
	(void)reason;
	((struct ctx *)arg)->closed++;
}

static void
reset(struct ctx *c)
{
	for (int i = 0; i < c->nout; i++)
		free(c->out[i]);
	c->nout = 0;
}

static void
pump(void)
{
	for (int i = 0; i < PUMP_ROUNDS; i++)
		(void)loop_run_once(loop, i == 0 ? PUMP_MS : 0);
}

/* As the executor: write everything, letting the relay read meanwhile. */
static void
say(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(exec_fd, s, len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			(void)loop_run_once(loop, PUMP_MS);
			continue;
		}
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
	pump();
}

/* As the executor: the next line the relay sent, or "" when none came. */
static const char *
heard(void)
{
	static char line[READ_MAX];
	char *nl;
	ssize_t n;

	pump();
	while (ngot < sizeof(got) && (n = read(exec_fd, got + ngot, sizeof(got) - ngot)) > 0)
		ngot += (size_t)n;
	if ((nl = memchr(got, '\n', ngot)) == NULL)
		return "";
	memcpy(line, got, (size_t)(nl - got));
	line[nl - got] = '\0';
	ngot -= (size_t)(nl - got) + 1;
	memmove(got, nl + 1, ngot);
	return line;
}

int
main(void)
{
	struct ctx c;
	struct sup_relay *r;
	struct proto_msg m;
	char err[256], *big, run[] = "RUN_TASK task_id=t2 command=true";

	memset(&c, 0, sizeof(c));
	loop = loop_new();
	r = sup_relay_open(loop, "e1", "f1", "a1", on_out, on_close, &c, &exec_fd, err,
	    sizeof(err));
	CHECK(r != NULL);
	compat_set_nonblock(exec_fd, 1);
	CHECK_STR(heard(), "REGISTERED executor_id=e1 framework_id=f1 agent_id=a1");

	/* Only known fields go on, with the relay's own sequence number. */
	say("STATUS_UPDATE task_id=t1 state=TASK_RUNNING uuid=x relay_seq=99 message=hi%20there\n",
	    strlen("STATUS_UPDATE task_id=t1 state=TASK_RUNNING uuid=x relay_seq=99 message=hi%20there\n"));
	CHECK(c.nout == 1);
	CHECK_STR(c.out[0], "STATUS_UPDATE task_id=t1 state=TASK_RUNNING message=hi%20there relay_seq=1\n");

	/* Bad lines are answered and the channel stays. */
	say("garbage\n", strlen("garbage\n"));
	CHECK(strncmp(heard(), "ERROR reason=", strlen("ERROR reason=")) == 0);
	say("FOO x=1\n", strlen("FOO x=1\n"));
	CHECK_STR(heard(), "ERROR reason=unknown%20verb%20'FOO'");
	say("STATUS_UPDATE task_id=t1 state=TASK_BOGUS\n", strlen("STATUS_UPDATE task_id=t1 state=TASK_BOGUS\n"));
	CHECK_STR(heard(), "ERROR reason=unknown%20task%20state%20'TASK_BOGUS'");
	say("STATUS_UPDATE state=TASK_RUNNING\n", strlen("STATUS_UPDATE state=TASK_RUNNING\n"));
	CHECK_STR(heard(), "ERROR reason=missing%20field%20'task_id'");
	big = malloc(OVERSIZE + 1);
	memset(big, 'A', OVERSIZE);
	big[OVERSIZE] = '\n';
	say(big, OVERSIZE + 1);
	free(big);
	CHECK(strncmp(heard(), "ERROR reason=line%20too%20long", strlen("ERROR reason=line%20too%20long")) == 0);
	CHECK_STR(heard(), "");
	say("FRAMEWORK_MESSAGE data=a%00b\n", strlen("FRAMEWORK_MESSAGE data=a%00b\n"));
	CHECK(c.nout == 2);
	CHECK_STR(c.out[1], "FRAMEWORK_MESSAGE data=a%00b relay_seq=2\n");
	CHECK(c.closed == 0);

	/* Unacknowledged lines come again, oldest first, until acknowledged. */
	reset(&c);
	sup_relay_resend(r);
	CHECK(c.nout == 2);
	CHECK(c.nout == 2 && strstr(c.out[0], "relay_seq=1") != NULL && strstr(c.out[1], "relay_seq=2") != NULL);
	reset(&c);
	sup_relay_ack(r, 1);
	sup_relay_resend(r);
	CHECK(c.nout == 1 && strstr(c.out[0], "relay_seq=2") != NULL);
	reset(&c);
	sup_relay_ack(r, 2);
	sup_relay_resend(r);
	CHECK(c.nout == 0);

	/* The agent's lines for the executor pass as they are; RELAY_ACK is the relay's own. */
	proto_msg_init(&m);
	CHECK(proto_parse(run, strlen(run), &m, err, sizeof(err)) == 0);
	CHECK(sup_relay_from_agent(r, &m, "RUN_TASK task_id=t2 command=true",
	    strlen("RUN_TASK task_id=t2 command=true")) == 1);
	proto_msg_free(&m);
	CHECK_STR(heard(), "RUN_TASK task_id=t2 command=true");
	proto_msg_init(&m);
	CHECK(proto_parse(strcpy(run, "LIMITS mem_bytes=1"), strlen("LIMITS mem_bytes=1"), &m, err,
	    sizeof(err)) == 0);
	CHECK(sup_relay_from_agent(r, &m, "LIMITS mem_bytes=1", strlen("LIMITS mem_bytes=1")) == 0);
	proto_msg_free(&m);

	/* Its last words are taken in before its end is reported, without the loop. */
	reset(&c);
	CHECK(write(exec_fd, "STATUS_UPDATE task_id=t2 state=TASK_FINISHED\n",
	    strlen("STATUS_UPDATE task_id=t2 state=TASK_FINISHED\n")) > 0);
	sup_relay_drain(r);
	CHECK(c.nout == 1);
	CHECK(c.nout == 1 && strcmp(c.out[0], "STATUS_UPDATE task_id=t2 state=TASK_FINISHED relay_seq=3\n") == 0);

	/* The executor goes away. */
	close(exec_fd);
	pump();
	CHECK(c.closed == 1);
	sup_relay_free(r);
	pump();
	reset(&c);
	loop_free(loop);
	return CHECK_DONE();
}
