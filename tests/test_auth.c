/*
 * tests/test_auth.c: the credential files (cred.c) and the handshake's
 * messages and proofs (proto.c): the proof pinned to a value computed
 * apart (Python's hmac over the text docs/PROTOCOL.md gives), a whole
 * exchange between a peer and a master's side, and every refusal.
 */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "cred.h"
#include "proto.h"

#define ERR_BYTES 256

static int
parse(struct proto_msg *m, char *line)
{
	char err[ERR_BYTES];

	proto_msg_init(m);
	return proto_parse(line, strlen(line), m, err, sizeof(err));
}

static void
test_cred(void)
{
	static const char json[] = " {\"credentials\": [{\"principal\": \"sherman\", \"secret\": "
	    "\"kitesurf\"}, {\"principal\": \"ops\", \"secret\": \"x y\"}]}";
	static const char lines[] = "# operators\nsherman kitesurf\n\n  ops   hunter2\r\n";
	static const char one[] = "{\"principal\": \"agent\", \"secret\": \"s\"}";
	char err[ERR_BYTES];
	struct cred_set s;

	CHECK(cred_parse(json, strlen(json), &s, err, sizeof(err)) == 0);
	CHECK(s.n == 2);
	CHECK(cred_find(&s, "ops") != NULL && strcmp(cred_find(&s, "ops")->secret, "x y") == 0);
	CHECK(cred_find(&s, "nobody") == NULL);
	cred_set_free(&s);
	CHECK(cred_parse(lines, strlen(lines), &s, err, sizeof(err)) == 0);
	CHECK(s.n == 2);
	CHECK_STR(cred_find(&s, "ops")->secret, "hunter2");
	cred_set_free(&s);
	CHECK(cred_parse(one, strlen(one), &s, err, sizeof(err)) == 0 && s.n == 1);
	cred_set_free(&s);

	/* Refusals never quote a secret. */
	CHECK(cred_parse("sherman kitesurf extra\n", 23, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "kitesurf") == NULL && strstr(err, "line 1") != NULL);
	CHECK(cred_parse("sherman\n", 8, &s, err, sizeof(err)) == -1);
	CHECK(cred_parse("{\"credentials\": [{\"principal\": \"a\", \"secret\": \"kitesurf\"", 54, &s,
	                 err, sizeof(err)) == -1);
	CHECK(strstr(err, "kitesurf") == NULL);
	CHECK(cred_parse("a b\na c\n", 8, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "twice") != NULL);
	CHECK(cred_parse("{\"credentials\": []}", 19, &s, err, sizeof(err)) == -1);
	CHECK(cred_parse("", 0, &s, err, sizeof(err)) == -1);
	CHECK(cred_parse("a/b s\n", 6, &s, err, sizeof(err)) == -1);
	CHECK(cred_parse("{\"principal\": \"a\"}", 18, &s, err, sizeof(err)) == -1);
	CHECK(cred_load("/nonexistent/creds", &s, err, sizeof(err)) == -1);
}

static void
test_proof(void)
{
	char a[PROTO_AUTH_NONCE_HEX + 1], b[PROTO_AUTH_NONCE_HEX + 1], out[PROTO_AUTH_PROOF_HEX + 1];

	memset(a, 'a', PROTO_AUTH_NONCE_HEX);
	memset(b, 'b', PROTO_AUTH_NONCE_HEX);
	a[PROTO_AUTH_NONCE_HEX] = b[PROTO_AUTH_NONCE_HEX] = '\0';
	/* hmac.new(b"kitesurf", b"mesos-auth-v1\npeer\nagent\nsherman\n" + b"a"*64 + b"\n" + b"b"*64 + b"\n", "sha256") */
	proto_auth_proof("kitesurf", PROTO_AUTH_PEER, PROTO_KIND_AGENT, "sherman", a, b, out);
	CHECK_STR(out, "a12e1fd61b1aff4bb1080d00df6166dfdcf4eacf642f32c4412ed7fca8302f7f");
	proto_auth_proof("kitesurf", PROTO_AUTH_MASTER, PROTO_KIND_AGENT, "sherman", a, b, out);
	CHECK_STR(out, "71ed11aaaba00d022247a23f1f9e847525cac8300355fe053c8418ba980d6de0");
	CHECK(proto_auth_proof_equal(out, "71ed11aaaba00d022247a23f1f9e847525cac8300355fe053c8418ba980d6de0"));
	CHECK(!proto_auth_proof_equal(out, "71ed11aaaba00d022247a23f1f9e847525cac8300355fe053c8418ba980d6de1"));
	CHECK(!proto_auth_proof_equal(out, "71ed"));
	proto_auth_nonce(a);
	proto_auth_nonce(b);
	CHECK(strlen(a) == PROTO_AUTH_NONCE_HEX && strcmp(a, b) != 0);
}

/* A peer and the master's side of the exchange, as master_auth.c does it. */
static void
test_exchange(void)
{
	struct proto_auth_client c;
	struct proto_msg m;
	struct buf b;
	char err[ERR_BYTES], line[PROTO_LINE_MAX], mnonce[PROTO_AUTH_NONCE_HEX + 1];
	char pnonce[PROTO_AUTH_NONCE_HEX + 1], expect[PROTO_AUTH_PROOF_HEX + 1];
	const char *principal, *nonce, *proof;

	buf_init(&b, 0);
	proto_auth_client_init(&c, PROTO_KIND_FRAMEWORK, "marathon", "kitesurf");
	proto_auth_client_hello(&c, &b);
	proto_end(&b);
	snprintf(line, sizeof(line), "%.*s", (int)b.len - 1, b.data);
	CHECK(strstr(line, "kitesurf") == NULL);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_hello_auth_parse(&m, &principal, &nonce, err, sizeof(err)) == 0);
	CHECK_STR(principal, "marathon");
	snprintf(pnonce, sizeof(pnonce), "%s", nonce);
	proto_msg_free(&m);

	proto_auth_nonce(mnonce);
	buf_reset(&b);
	proto_challenge_compose(&b, mnonce);
	proto_end(&b);
	snprintf(line, sizeof(line), "%.*s", (int)b.len - 1, b.data);
	CHECK(parse(&m, line) == 0);
	buf_reset(&b);
	CHECK(proto_auth_client_challenge(&c, &m, &b, err, sizeof(err)) == 0);
	CHECK(proto_auth_client_challenge(&c, &m, &b, err, sizeof(err)) == -1);   /* a second one */
	proto_msg_free(&m);
	buf_reset(&b);
	proto_auth_proof("kitesurf", PROTO_AUTH_PEER, PROTO_KIND_FRAMEWORK, "marathon", pnonce,
	                 mnonce, expect);
	proto_authenticate_compose(&b, expect);
	proto_end(&b);
	snprintf(line, sizeof(line), "%.*s", (int)b.len - 1, b.data);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_authenticate_parse(&m, &proof, err, sizeof(err)) == 0);
	CHECK(proto_auth_proof_equal(expect, proof));
	proto_msg_free(&m);

	/* WELCOME with the master's proof passes; with none, or the peer's own, it does not. */
	proto_auth_proof("kitesurf", PROTO_AUTH_MASTER, PROTO_KIND_FRAMEWORK, "marathon", pnonce,
	                 mnonce, expect);
	snprintf(line, sizeof(line), "WELCOME version=1 master_id=x proof=%s", expect);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_auth_client_welcome(&c, &m, err, sizeof(err)) == 0);
	proto_msg_free(&m);
	proto_auth_proof("kitesurf", PROTO_AUTH_PEER, PROTO_KIND_FRAMEWORK, "marathon", pnonce,
	                 mnonce, expect);
	snprintf(line, sizeof(line), "WELCOME version=1 master_id=x proof=%s", expect);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_auth_client_welcome(&c, &m, err, sizeof(err)) == -1);
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "WELCOME version=1 master_id=x");
	CHECK(parse(&m, line) == 0);
	CHECK(proto_auth_client_welcome(&c, &m, err, sizeof(err)) == -1);
	proto_msg_free(&m);

	/* Without a credential: a plain HELLO, no CHALLENGE answered, any WELCOME taken. */
	proto_auth_client_init(&c, PROTO_KIND_CLI, NULL, NULL);
	buf_reset(&b);
	proto_auth_client_hello(&c, &b);
	CHECK(strstr(b.data, "principal") == NULL);
	snprintf(line, sizeof(line), "CHALLENGE nonce=%s", mnonce);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_auth_client_challenge(&c, &m, &b, err, sizeof(err)) == -1);
	CHECK(strstr(err, "credentials") != NULL);
	proto_msg_free(&m);
	buf_free(&b);
}

static void
test_refusals(void)
{
	struct proto_msg m;
	char err[ERR_BYTES], line[PROTO_LINE_MAX];
	const char *p, *n;

	snprintf(line, sizeof(line), "HELLO version=1 kind=agent principal=a nonce=xyz");
	CHECK(parse(&m, line) == 0);
	CHECK(proto_hello_auth_parse(&m, &p, &n, err, sizeof(err)) == -1);
	CHECK(strstr(err, "hex") != NULL);
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "HELLO version=1 kind=agent principal=a");
	CHECK(parse(&m, line) == 0);
	CHECK(proto_hello_auth_parse(&m, &p, &n, err, sizeof(err)) == -1);
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "HELLO version=1 kind=agent nonce=%064d", 0);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_hello_auth_parse(&m, &p, &n, err, sizeof(err)) == -1);
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "HELLO version=1 kind=agent principal=a%%0Ab nonce=%064d", 0);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_hello_auth_parse(&m, &p, &n, err, sizeof(err)) == -1);
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "HELLO version=1 kind=agent");
	CHECK(parse(&m, line) == 0);
	CHECK(proto_hello_auth_parse(&m, &p, &n, err, sizeof(err)) == 0 && p == NULL && n == NULL);
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "AUTHENTICATE proof=%063d", 0);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_authenticate_parse(&m, &p, err, sizeof(err)) == -1);
	proto_msg_free(&m);
	snprintf(line, sizeof(line), "CHALLENGE nonce=%064d", 0);
	CHECK(parse(&m, line) == 0);
	CHECK(proto_challenge_parse(&m, &p, err, sizeof(err)) == 0);
	proto_msg_free(&m);
}

int
main(void)
{
	test_cred();
	test_proof();
	test_exchange();
	test_refusals();
	return CHECK_DONE();
}
