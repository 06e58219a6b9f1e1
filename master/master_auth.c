/*
 * master_auth.c: who a peer is. The handshake's challenge-response (proto.h,
 * "authentication"; docs/PROTOCOL.md) against --credentials, as the
 * --authenticate_* flags require it; a failed attempt answered only after
 * MASTER_AUTH_FAIL_DELAY_MS (a timer: the loop never waits) and counted;
 * and each principal bound to what it registered: an agent ID, a framework
 * ID, and what the ACLs (master_acl.c) let it do on the protocol.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "cred.h"
#include "http.h"
#include "http_auth.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "proto.h"
#include "sha256.h"
#include "xmem.h"

/* Why a handshake failed, as the peer is told once the delay is over (p->auth_failed - 1). */
enum auth_failure { AUTH_FAIL_PROOF = 1, AUTH_FAIL_REQUIRED, AUTH_FAIL_PROTOCOL };
static const char *const failure_reasons[] = {
	"authentication failed: unknown principal or wrong secret",
	("authentication required: this master needs a principal and a secret from this kind of "
	    "peer (--authenticate_agents, --authenticate_frameworks, --authenticate_http_*)"),
	"authentication failed: expected AUTHENTICATE proof=... after CHALLENGE",
};

static int
auth_loopback(const char *ip)
{
	return ip != NULL && (strncmp(ip, "127.", strlen("127.")) == 0 || strcmp(ip, "::1") == 0 ||
	                      strcmp(ip, "localhost") == 0);
}

int
master_auth_init(struct master *m, char *err, size_t errlen)
{
	const struct master_config *c = &m->cfg;
	int required = c->authenticate_agents || c->authenticate_frameworks ||
	               c->authenticate_http_readonly || c->authenticate_http_readwrite;

	m->creds.v = NULL;
	m->creds.n = 0;
	m->acls = NULL;
	if (c->credentials != NULL && *c->credentials != '\0' &&
	    cred_load(c->credentials, &m->creds, err, errlen) < 0)
		return -1;
	if (required && m->creds.n == 0) {
		snprintf(err, errlen, "the --authenticate_* flags need --credentials=FILE");
		cred_set_free(&m->creds);
		return -1;
	}
	if (c->acls != NULL && *c->acls != '\0' &&
	    (m->acls = master_acl_load(c->acls, err, errlen)) == NULL) {
		cred_set_free(&m->creds);
		return -1;
	}
	if (m->creds.n == 0 && !auth_loopback(c->ip))
		log_warnx("listening on %s without --credentials: anyone who can reach this port can "
		          "register agents, run and kill tasks and tear frameworks down (see the "
		          "README's Security section)", c->ip != NULL && *c->ip ? c->ip : "every address");
	if (m->creds.n > 0)
		log_info("authentication: %zu credentials; required from agents %s, frameworks %s, "
		         "operators' reads %s, writes %s", m->creds.n,
		         c->authenticate_agents ? "yes" : "no", c->authenticate_frameworks ? "yes" : "no",
		         c->authenticate_http_readonly ? "yes" : "no",
		         c->authenticate_http_readwrite ? "yes" : "no");
	return 0;
}

void
master_auth_fini(struct master *m)
{
	cred_set_free(&m->creds);
	master_acl_free(m->acls);
	m->acls = NULL;
}

static int
required_for(const struct master *m, enum proto_kind kind)
{
	switch (kind) {
	case PROTO_KIND_AGENT:
		return m->cfg.authenticate_agents;
	case PROTO_KIND_FRAMEWORK:
		return m->cfg.authenticate_frameworks;
	case PROTO_KIND_CLI:
		/* An operator's connection reads sandboxes at least: the read-only flag covers it. */
		return m->cfg.authenticate_http_readonly;
	default:
		return 0;
	}
}

static void
fail_now(struct loop *loop, void *arg)
{
	struct master_peer *p = arg;
	(void)loop;

	p->auth_timer = 0;
	master_peer_error(p, failure_reasons[p->auth_failed - 1]);
}

/* Refuse after the delay: a guesser gets one try a second per connection, the loop goes on. */
static void
fail_later(struct master *m, struct master_peer *p, enum auth_failure why)
{
	m->metrics.auth_failures++;
	log_warnx("peer %s (%s, principal %s): %s", conn_peer(p->conn), proto_kind_name(p->kind),
	          p->principal != NULL ? p->principal : "none", failure_reasons[why - 1]);
	free(p->auth_peer_nonce);
	p->auth_peer_nonce = NULL;
	p->auth_failed = (int)why;
	p->auth_timer = loop_timer_add(m->loop, MASTER_AUTH_FAIL_DELAY_MS, fail_now, p);
}

int
master_auth_hello(struct master *m, struct master_peer *p, const struct proto_msg *msg,
                  enum proto_kind kind)
{
	const char *principal, *nonce;

	if (proto_hello_auth_parse(msg, &principal, &nonce, m->err, sizeof(m->err)) < 0) {
		master_peer_error(p, m->err);
		return 1;
	}
	if (principal == NULL) {
		if (!required_for(m, kind))
			return 0;
		fail_later(m, p, AUTH_FAIL_REQUIRED);
		return 1;
	}
	if (m->creds.n == 0) {
		master_peer_error(p, "this master does not authenticate (it has no --credentials): "
		                  "connect without a principal");
		return 1;
	}
	/* A principal not in --credentials is challenged all the same: refusals do not tell which. */
	p->principal = xstrdup(principal);
	p->auth_peer_nonce = xstrdup(nonce);
	proto_auth_nonce(p->master_nonce);
	proto_challenge_compose(master_out(m), p->master_nonce);
	master_send(m, p);
	return 1;
}

void
master_auth_line(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	char expected[PROTO_AUTH_PROOF_HEX + 1], mine[PROTO_AUTH_PROOF_HEX + 1];
	const struct cred *c;
	const char *proof;

	if (p->auth_failed)
		return;      /* refused already: the ERROR is on its way */
	if (strcmp(msg->verb, "AUTHENTICATE") != 0 ||
	    proto_authenticate_parse(msg, &proof, m->err, sizeof(m->err)) < 0) {
		free(p->principal);
		p->principal = NULL;
		fail_later(m, p, AUTH_FAIL_PROTOCOL);
		return;
	}
	c = cred_find(&m->creds, p->principal);
	if (c != NULL)
		proto_auth_proof(c->secret, PROTO_AUTH_PEER, p->kind, p->principal, p->auth_peer_nonce,
		                 p->master_nonce, expected);
	if (c == NULL || !proto_auth_proof_equal(expected, proof)) {
		fail_later(m, p, AUTH_FAIL_PROOF);
		free(p->principal);
		p->principal = NULL;
		return;
	}
	proto_auth_proof(c->secret, PROTO_AUTH_MASTER, p->kind, p->principal, p->auth_peer_nonce,
	                 p->master_nonce, mine);
	free(p->auth_peer_nonce);
	p->auth_peer_nonce = NULL;
	m->metrics.auth_successes++;
	log_info("peer %s authenticated as principal %s (%s)", conn_peer(p->conn), p->principal,
	         proto_kind_name(p->kind));
	master_peer_welcome(m, p, mine);
}

void
master_auth_peer_gone(struct master *m, struct master_peer *p)
{
	if (p->auth_timer != 0)
		loop_timer_cancel(m->loop, p->auth_timer);
	p->auth_timer = 0;
	free(p->auth_peer_nonce);
	p->auth_peer_nonce = NULL;
	free(p->principal);
	p->principal = NULL;
}

/* A refusal the connection survives: "FAILED reason=..." as the cli's other answers. */
static int
refuse_cli(struct master *m, struct master_peer *p, const char *reason)
{
	m->metrics.authz_refusals++;
	log_warnx("peer %s (principal %s): %s", conn_peer(p->conn),
	          p->principal != NULL ? p->principal : "none", reason);
	master_msg(m, "FAILED");
	proto_add(&m->out, "reason", reason);
	master_send(m, p);
	return 0;
}

int
master_auth_verb_allowed(struct master *m, struct master_peer *p, const struct proto_msg *msg)
{
	const char *fw_id = proto_get(msg, "framework_id");
	struct master_framework *fw = fw_id != NULL ? map_get(&m->frameworks, fw_id) : NULL;
	int reads = strcmp(msg->verb, "READ_FILE") == 0 || strcmp(msg->verb, "LIST_FILES") == 0;
	int writes = strcmp(msg->verb, "KILL_TASK") == 0 ||
	             strcmp(msg->verb, "TEARDOWN_FRAMEWORK") == 0;

	if (p->kind != PROTO_KIND_CLI || (!reads && !writes))
		return 1;
	if (p->principal == NULL && (m->cfg.authenticate_http_readonly ||
	                             (writes && m->cfg.authenticate_http_readwrite))) {
		snprintf(m->err, sizeof(m->err), "authentication required: %s needs a principal and a "
		         "secret (mesosctl --principal/--secret or MESOS_PRINCIPAL/MESOS_SECRET)",
		         msg->verb);
		return refuse_cli(m, p, m->err);
	}
	if (fw == NULL)
		return 1;    /* the handler says the framework is unknown */
	/* Reads: access_sandboxes is decided once the task is found (master_auth_cli_sandbox). */
	/* Killing a framework's task is a part of tearing it down: the same ACL decides. */
	if (writes && !master_acl_allows(m->acls, MASTER_ACL_TEARDOWN_FRAMEWORKS, p->principal,
	                                 fw->principal)) {
		snprintf(m->err, sizeof(m->err), "not authorized: principal '%.64s' may not tear down "
		         "or kill the tasks of frameworks of principal '%.64s' (ACL teardown_frameworks)",
		         p->principal ? p->principal : "(none)", fw->principal);
		return refuse_cli(m, p, m->err);
	}
	return 1;
}

static int
agent_id_taken(struct master *m, struct master_peer *p, const char *id, char *err, size_t errlen)
{
	const struct master_agent *a = id != NULL && *id != '\0' ? map_get(&m->agents, id) : NULL;

	if (a == NULL || a->principal == NULL)
		return 0;
	if (p->principal != NULL && strcmp(p->principal, a->principal) == 0)
		return 0;
	m->metrics.authz_refusals++;
	snprintf(err, errlen, "agent %.64s was registered by another principal: only it may "
	         "register that ID again", id);
	return -1;
}

int
master_auth_agent_check(struct master *m, struct master_peer *p, const struct proto_msg *msg,
                        char *err, size_t errlen)
{
	if (agent_id_taken(m, p, proto_get(msg, "agent_id"), err, errlen) < 0 ||
	    agent_id_taken(m, p, proto_get(msg, "previous_agent_id"), err, errlen) < 0)
		return -1;
	return 0;
}

void
master_auth_agent_bind(struct master_agent *a, struct master_peer *p)
{
	if (p->principal == NULL)
		return;
	free(a->principal);
	a->principal = xstrdup(p->principal);
}

/* The principal a SUBSCRIBE acts as: the authenticated one, else the claimed one, else NULL. */
static const char *
subscriber(const struct master_peer *p, const struct proto_msg *msg)
{
	const char *claimed = proto_get(msg, "principal");

	if (p->principal != NULL)
		return p->principal;
	return claimed != NULL && *claimed != '\0' ? claimed : NULL;
}

int
master_auth_subscribe_check(struct master *m, struct master_peer *p, const struct proto_msg *msg,
                            const char *role, char *err, size_t errlen)
{
	const char *claimed = proto_get(msg, "principal");
	const char *fw_id = proto_get(msg, "framework_id");
	const struct master_framework *fw = fw_id != NULL ? map_get(&m->frameworks, fw_id) : NULL;
	const char *who = subscriber(p, msg);

	if (p->principal != NULL && claimed != NULL && *claimed != '\0' &&
	    strcmp(claimed, p->principal) != 0) {
		snprintf(err, errlen, "principal '%.64s' in SUBSCRIBE is not the authenticated one",
		         claimed);
	} else if (fw != NULL && fw->principal_verified &&
	           (p->principal == NULL || strcmp(fw->principal, p->principal) != 0)) {
		snprintf(err, errlen, "framework %.64s was registered by another principal: only it may "
		         "fail over to it", fw_id);
	} else if (!master_acl_allows(m->acls, MASTER_ACL_REGISTER_FRAMEWORKS, who, role)) {
		snprintf(err, errlen, "not authorized: principal '%.64s' may not register frameworks "
		         "with role '%.64s' (ACL register_frameworks)", who ? who : "(none)", role);
	} else {
		return 0;
	}
	m->metrics.authz_refusals++;
	return -1;
}

void
master_auth_framework_bind(struct master_framework *fw, struct master_peer *p,
                           const struct proto_msg *msg)
{
	const char *who = subscriber(p, msg);

	free(fw->principal);
	fw->principal = xstrdup(who != NULL ? who : "");
	fw->principal_verified = p->principal != NULL;
}

int
master_auth_run_task_check(struct master *m, const struct master_framework *fw, const char *user,
                           char *err, size_t errlen)
{
	const char *who = fw->principal[0] != '\0' ? fw->principal : NULL;

	if (master_acl_allows(m->acls, MASTER_ACL_RUN_TASKS, who, user))
		return 0;
	m->metrics.authz_refusals++;
	snprintf(err, errlen, "not authorized: principal '%.64s' may not run tasks as user '%.64s' "
	         "(ACL run_tasks)", who ? who : "(none)", user);
	return -1;
}

/* The realm Mesos's HTTP authenticators name. */
#define MASTER_HTTP_REALM "mesos"

int
master_auth_http(struct master *m, struct http_exchange *x)
{
	const char *method = http_method(x);
	int reads = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int required = reads ? m->cfg.authenticate_http_readonly : m->cfg.authenticate_http_readwrite;

	m->http_principal[0] = '\0';
	if (m->creds.n == 0 || http_header(x, "Authorization") == NULL) {
		if (!required)
			return 1;
		m->metrics.http_auth_failures++;
		http_auth_refuse(x, MASTER_HTTP_REALM, reads ?
		                 "authentication required (--authenticate_http_readonly)" :
		                 "authentication required (--authenticate_http_readwrite)");
		return 0;
	}
	if (http_auth_basic(x, &m->creds, m->http_principal, sizeof(m->http_principal)) == 0)
		return 1;
	m->metrics.http_auth_failures++;
	log_warnx("HTTP %s %s from %s: wrong credentials", method, http_path(x), http_peer(x));
	/* Wrong credentials are refused even where none are needed: they are a mistake to show. */
	http_auth_refuse(x, MASTER_HTTP_REALM, "wrong user or password");
	return 0;
}

int
master_auth_http_allows(struct master *m, struct http_exchange *x, enum master_acl_action action,
                        const char *object)
{
	const char *who = m->http_principal[0] != '\0' ? m->http_principal : NULL;

	if (master_acl_allows(m->acls, action, who, object))
		return 1;
	m->metrics.authz_refusals++;
	snprintf(m->err, sizeof(m->err), "not authorized: principal '%.64s' may not %s for role "
	         "'%.64s' (ACL %s)", who != NULL ? who : "(none)",
	         action == MASTER_ACL_UPDATE_QUOTAS ? "set quotas" : "set weights", object,
	         master_acl_name(action));
	http_reply_error(x, 403, m->err);
	return 0;
}

/*
 * view_frameworks and view_tasks, as Mesos applies them to its state
 * endpoints: what the request's principal may not see is left out, as if
 * it were not there (no 403: the rest of the answer is still theirs).
 * Tasks run as their framework's user, so both decide on it.
 */
int
master_auth_http_may_view(const struct master *m, enum master_acl_action action,
                          const char *user)
{
	return master_acl_allows(m->acls, action,
	                         m->http_principal[0] != '\0' ? m->http_principal : NULL, user);
}

int
master_auth_cli_sandbox(struct master *m, struct master_peer *p, const struct master_task *t)
{
	if (master_acl_allows(m->acls, MASTER_ACL_ACCESS_SANDBOXES, p->principal,
	                      master_task_user(t)))
		return 1;
	snprintf(m->err, sizeof(m->err), "not authorized: principal '%.64s' may not read the "
	         "sandboxes of user '%.64s' (ACL access_sandboxes)",
	         p->principal ? p->principal : "(none)", master_task_user(t));
	return refuse_cli(m, p, m->err);
}

int
master_auth_http_sandbox(struct master *m, const char *user, char *err, size_t errlen)
{
	const char *who = m->http_principal[0] != '\0' ? m->http_principal : NULL;

	if (master_acl_allows(m->acls, MASTER_ACL_ACCESS_SANDBOXES, who, user))
		return 1;
	m->metrics.authz_refusals++;
	snprintf(err, errlen, "not authorized: principal '%.64s' may not read the sandboxes of "
	         "user '%.64s' (ACL access_sandboxes)", who != NULL ? who : "(none)", user);
	return 0;
}
