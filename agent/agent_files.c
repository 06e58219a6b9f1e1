/*
 * agent_files.c: owns what the master may read of a sandbox for
 * mesosctl: READ_FILE (a piece of a file) and LIST_FILES (a directory),
 * both answered with FILE_DATA or FILE_ERROR, both confined to the
 * sandbox (launcher.c refuses "..", absolute paths and symlinks out), for
 * running tasks and for the last AGENT_COMPLETED_SANDBOXES_MAX finished
 * ones until their sandbox is collected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "buf.h"
#include "sup/launcher.h"
#include "log.h"
#include "proto.h"
#include "xmem.h"

#define FILE_DATA_OVERHEAD 1024      /* bytes of a FILE_DATA line besides data and request_id */
#define ESCAPED_BYTE_LEN 3           /* "%XX" */
#define ASCII_DEL 0x7f
#define LIST_BYTES_MAX 16384         /* bytes of listing in one FILE_DATA */

static void
file_error(struct agent *a, const char *rid, const char *reason)
{
	agent_send_fields(a, "FILE_ERROR", "request_id", rid, "reason", reason, (char *)NULL);
}

/* The protocol escapes these bytes as %XX (docs/PROTOCOL.md, "Syntax"). */
static size_t
escaped_len(unsigned char c)
{
	return (c <= ' ' || c == '%' || c == '=' || c == ASCII_DEL) ? ESCAPED_BYTE_LEN : 1;
}

/* How many of the n bytes fit in budget bytes once escaped. */
static size_t
fit_escaped(const char *data, size_t n, size_t budget)
{
	size_t used = 0, i;

	for (i = 0; i < n; i++) {
		size_t l = escaped_len((unsigned char)data[i]);
		if (used + l > budget)
			break;
		used += l;
	}
	return i;
}

/* The sandbox of a live or remembered task; *running says whether it may still grow. */
static const char *
sandbox_of(struct agent *a, const char *fw, const char *tid, int *known, int *running)
{
	char *key = xstrfmt("%s/%s", fw, tid);
	struct agent_task *t = map_get(&a->tasks, key);
	const char *sandbox;

	if (t != NULL && t->sandbox != NULL)
		sandbox = t->sandbox;
	else
		sandbox = map_get(&a->completed, key);
	*known = t != NULL || sandbox != NULL;
	*running = t != NULL && t->live;
	free(key);
	return sandbox;
}

/* The fields both requests share; NULL after a FILE_ERROR was sent. */
static const char *
request_sandbox(struct agent *a, const struct proto_msg *m, const char **rid, const char **path,
                long long *offset, long long dflt_length, long long *length, int *running)
{
	const char *fw, *tid, *sandbox;
	char err[AGENT_ERR_MAX];
	int known;

	*rid = proto_get(m, "request_id");
	if (*rid == NULL) {
		log_warnx("%s without request_id: ignored", m->verb);
		return NULL;
	}
	if ((fw = proto_need(m, "framework_id", err, sizeof(err))) == NULL ||
	    (tid = proto_need(m, "task_id", err, sizeof(err))) == NULL ||
	    proto_get_int(m, "offset", 0, offset, err, sizeof(err)) == -1 ||
	    proto_get_int(m, "length", dflt_length, length, err, sizeof(err)) == -1) {
		file_error(a, *rid, err);
		return NULL;
	}
	*path = proto_get(m, "path");
	if (*offset < 0 || *length < 0) {
		file_error(a, *rid, "offset and length must not be negative");
		return NULL;
	}
	if (strlen(*rid) * ESCAPED_BYTE_LEN >= PROTO_LINE_MAX - FILE_DATA_OVERHEAD) {
		file_error(a, *rid, "request_id too long");
		return NULL;
	}
	sandbox = sandbox_of(a, fw, tid, &known, running);
	if (sandbox == NULL)
		file_error(a, *rid, known ? "the task has no sandbox" : "no such task");
	return sandbox;
}

void
agent_files_handle_read(struct agent *a, const struct proto_msg *m)
{
	size_t budget = PROTO_LINE_MAX - FILE_DATA_OVERHEAD;
	const char *rid, *path, *sandbox;
	struct launcher_chunk chunk;
	char err[AGENT_ERR_MAX];
	long long offset, length;
	int running;
	struct buf b;
	size_t n;

	sandbox = request_sandbox(a, m, &rid, &path, &offset, AGENT_READ_MAX, &length, &running);
	if (sandbox == NULL)
		return;
	if (path == NULL) {
		file_error(a, rid, "missing field 'path'");
		return;
	}
	budget -= strlen(rid) * ESCAPED_BYTE_LEN;
	if (launcher_sandbox_read(sandbox, path, (uint64_t)offset,
	        length > AGENT_READ_MAX ? AGENT_READ_MAX : (size_t)length, &chunk, err, sizeof(err)) == -1) {
		file_error(a, rid, err);
		return;
	}
	n = fit_escaped(chunk.data, chunk.len, budget);
	buf_init(&b, 0);
	proto_begin(&b, "FILE_DATA");
	proto_add(&b, "request_id", rid);
	proto_addn(&b, "data", chunk.data ? chunk.data : "", n);
	proto_add_int(&b, "offset", offset);
	proto_add_int(&b, "size", (long long)chunk.size);
	proto_add_bool(&b, "eof", (uint64_t)offset + n >= chunk.size);
	proto_add_bool(&b, "running", running);
	agent_send_msg(a, &b);
	buf_free(&b);
	free(chunk.data);
}

void
agent_files_handle_list(struct agent *a, const struct proto_msg *m)
{
	const char *rid, *path, *sandbox;
	char err[AGENT_ERR_MAX];
	long long offset, length;
	struct buf list, b;
	size_t next;
	int eof, running;

	sandbox = request_sandbox(a, m, &rid, &path, &offset, LIST_BYTES_MAX, &length, &running);
	if (sandbox == NULL)
		return;
	buf_init(&list, 0);
	if (launcher_sandbox_list(sandbox, path, (size_t)offset,
	        length > LIST_BYTES_MAX ? LIST_BYTES_MAX : (size_t)length, &list, &next, &eof, err,
	        sizeof(err)) == -1) {
		buf_free(&list);
		file_error(a, rid, err);
		return;
	}
	buf_init(&b, 0);
	proto_begin(&b, "FILE_DATA");
	proto_add(&b, "request_id", rid);
	proto_addn(&b, "data", list.data ? list.data : "", list.len);
	proto_add_int(&b, "next", (long long)next);
	proto_add_bool(&b, "eof", eof);
	proto_add_bool(&b, "running", running);
	agent_send_msg(a, &b);
	buf_free(&b);
	buf_free(&list);
}
