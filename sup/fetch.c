/*
 * fetch.c: owns getting a task's URIs onto disk: the URI options, URL
 * parsing and redirects, a small blocking HTTP/1.1 client (only the
 * fetcher process uses it, never a daemon's loop), chunked decoding, local
 * copies, archive extraction through the system's tar and unzip, and the
 * cache's keys and trimming.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "fetch.h"
#include "net.h"
#include "xmem.h"

#define HTTP_DEFAULT_PORT 80
#define PORT_MAX 65535
#define REASON_MAX 64                   /* an HTTP reason phrase */
#define CERR_MAX 256                    /* a step's reason, wrapped into the caller's */
#define BLANK_LINE "\r\n\r\n"
#define BLANK_LINE_LEN 4
#define HEAD_MAX 16384                  /* bytes of a response head */
#define IO_CHUNK 65536
#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull
#define KEY_NAME_MAX 64                 /* bytes of the readable part of a cache key */
#define HTTP_OK_MIN 200
#define HTTP_OK_MAX 299
#define HTTP_REDIRECT_MIN 300
#define HTTP_REDIRECT_MAX 399
#define HEX_BASE 16
#define DEC_BASE 10
#define MS_PER_SECOND 1000
#define US_PER_MS 1000
#define PREVIEW 128                     /* bytes of a URI quoted in a message */
#define EXEC_FAILED_STATUS 127
#define DEFAULT_PATH "/usr/bin:/bin:/usr/local/bin"

enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

static const char *const option_keys[] = { "executable", "extract", "cache", "output_file" };

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* 1 if opt ("key=value") is one of our options, and then it is applied to u. */
static int
take_option(struct fetch_uri *u, const char *opt, char *err, size_t errlen)
{
	const char *eq = strchr(opt, '=');
	size_t klen;

	if (eq == NULL)
		return 0;
	klen = (size_t)(eq - opt);
	for (size_t i = 0; i < sizeof(option_keys) / sizeof(option_keys[0]); i++) {
		if (strlen(option_keys[i]) != klen || strncmp(opt, option_keys[i], klen) != 0)
			continue;
		if (i == 3) {
			if (u->output_file == NULL)
				u->output_file = xstrdup(eq + 1);
			return 1;
		}
		if (parse_bool(eq + 1, i == 0 ? &u->executable : i == 1 ? &u->extract : &u->cache) == -1) {
			snprintf(err, errlen, "URI option '%.*s' wants 0 or 1, not '%.16s'", (int)klen, opt,
			    eq + 1);
			return -1;
		}
		return 1;
	}
	return 0;
}

int
fetch_uri_parse(const char *spec, struct fetch_uri *u, char *err, size_t errlen)
{
	char *s = xstrdup(spec);
	char *semi;

	memset(u, 0, sizeof(*u));
	u->extract = 1;
	/* Options come last: peel ";key=value" off the end while the key is ours. */
	while ((semi = strrchr(s, ';')) != NULL) {
		int r = take_option(u, semi + 1, err, errlen);
		if (r == -1) {
			free(s);
			fetch_uri_free(u);
			return -1;
		}
		if (r == 0)
			break;
		*semi = '\0';
	}
	if (s[0] == '\0') {
		snprintf(err, errlen, "empty URI");
		free(s);
		fetch_uri_free(u);
		return -1;
	}
	u->value = s;
	return 0;
}

void
fetch_uri_free(struct fetch_uri *u)
{
	free(u->value);
	free(u->output_file);
	u->value = u->output_file = NULL;
}

static int
has_dotdot(const char *p)
{
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		p += *p == '/';
	}
	return 0;
}

char *
fetch_target_name(const struct fetch_uri *u, char *err, size_t errlen)
{
	const char *v = u->value, *end, *slash;

	if (u->output_file != NULL) {
		if (u->output_file[0] == '\0' || u->output_file[0] == '/' || has_dotdot(u->output_file)) {
			snprintf(err, errlen, "output_file '%.64s' must be a relative path inside the sandbox",
			    u->output_file);
			return NULL;
		}
		return xstrdup(u->output_file);
	}
	end = v + strcspn(v, "?#");
	slash = end;
	while (slash > v && slash[-1] != '/')
		slash--;
	if (slash == end || (end - slash == 2 && slash[0] == '.' && slash[1] == '.') ||
	    (end - slash == 1 && slash[0] == '.')) {
		snprintf(err, errlen, "cannot tell a file name from '%.*s': give it output_file", PREVIEW, v);
		return NULL;
	}
	return xstrndup(slash, (size_t)(end - slash));
}

static int
prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (tolower((unsigned char)*s) != *prefix)
			return 0;
	return 1;
}

enum fetch_scheme
fetch_scheme_of(const char *uri)
{
	if (uri[0] == '/')
		return FETCH_LOCAL;
	if (prefix_ci(uri, "file://"))
		return FETCH_FILE;
	if (prefix_ci(uri, "http://"))
		return FETCH_HTTP;
	return FETCH_UNSUPPORTED;
}

int
fetch_url_parse(const char *url, struct fetch_url *u, char *err, size_t errlen)
{
	const char *p, *hostend, *portstr = NULL;
	size_t hostlen;

	memset(u, 0, sizeof(*u));
	if (!prefix_ci(url, "http://")) {
		snprintf(err, errlen, "not an http:// URL: '%.*s'", PREVIEW, url);
		return -1;
	}
	p = url + strlen("http://");
	if (*p == '[') {
		hostend = strchr(p, ']');
		if (hostend == NULL) {
			snprintf(err, errlen, "bad IPv6 address in '%.*s'", PREVIEW, url);
			return -1;
		}
		hostlen = (size_t)(hostend - p - 1);
		memcpy(u->host, p + 1, hostlen < sizeof(u->host) ? hostlen : 0);
		p = hostend + 1;
	} else {
		hostend = p + strcspn(p, ":/?#");
		hostlen = (size_t)(hostend - p);
		if (hostlen < sizeof(u->host))
			memcpy(u->host, p, hostlen);
		p = hostend;
	}
	if (hostlen == 0 || hostlen >= sizeof(u->host)) {
		snprintf(err, errlen, "bad host in '%.*s'", PREVIEW, url);
		return -1;
	}
	u->host[hostlen] = '\0';
	u->port = HTTP_DEFAULT_PORT;
	if (*p == ':') {
		char *end;
		long port;

		portstr = p + 1;
		port = strtol(portstr, &end, DEC_BASE);
		if (end == portstr || port <= 0 || port > PORT_MAX || (*end != '\0' && !strchr("/?#", *end))) {
			snprintf(err, errlen, "bad port in '%.*s'", PREVIEW, url);
			return -1;
		}
		u->port = (int)port;
		p = end;
	}
	{
		size_t n = strcspn(p, "#");
		u->target = *p == '/' ? xstrndup(p, n) : xstrfmt("/%.*s", (int)n, p);
	}
	if (strpbrk(u->target, " \r\n") != NULL) {
		snprintf(err, errlen, "URL '%.*s' holds spaces or line breaks", PREVIEW, url);
		fetch_url_free(u);
		return -1;
	}
	return 0;
}

void
fetch_url_free(struct fetch_url *u)
{
	free(u->target);
	u->target = NULL;
}

char *
fetch_url_resolve(const struct fetch_url *base, const char *location)
{
	const char *slash;

	if (prefix_ci(location, "http://") || prefix_ci(location, "https://"))
		return xstrdup(location);
	if (location[0] == '/' && location[1] == '/')
		return xstrfmt("http:%s", location);
	if (location[0] == '/')
		return xstrfmt("http://%s%s%s:%d%s", strchr(base->host, ':') ? "[" : "", base->host,
		    strchr(base->host, ':') ? "]" : "", base->port, location);
	slash = strrchr(base->target, '/');
	return xstrfmt("http://%s%s%s:%d%.*s/%s", strchr(base->host, ':') ? "[" : "", base->host,
	    strchr(base->host, ':') ? "]" : "", base->port,
	    slash ? (int)(slash - base->target) : 0, base->target, location);
}

static int
suffix_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && prefix_ci(s + n - m, suffix);
}

enum fetch_archive
fetch_archive_of(const char *name)
{
	static const char *const gz[] = { ".tar.gz", ".tgz" };
	static const char *const tar[] = { ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz" };

	for (size_t i = 0; i < sizeof(gz) / sizeof(gz[0]); i++)
		if (suffix_ci(name, gz[i]))
			return FETCH_TAR_GZ;
	for (size_t i = 0; i < sizeof(tar) / sizeof(tar[0]); i++)
		if (suffix_ci(name, tar[i]))
			return FETCH_TAR;
	if (suffix_ci(name, ".zip"))
		return FETCH_ZIP;
	return FETCH_NOT_ARCHIVE;
}

void
fetch_cache_key(const char *uri, char out[FETCH_KEY_MAX])
{
	uint64_t h = FNV_OFFSET;
	const char *end = uri + strcspn(uri, "?#"), *base = end;
	size_t n = 0;
	int len;

	for (const char *p = uri; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= FNV_PRIME;
	}
	while (base > uri && base[-1] != '/')
		base--;
	len = snprintf(out, FETCH_KEY_MAX, "%016llx-", (unsigned long long)h);
	for (const char *p = base; p < end && n < KEY_NAME_MAX; p++, n++)
		out[len + (int)n] = (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-') &&
		                    !(n == 0 && *p == '.') ? *p : '_';
	out[len + (int)n] = '\0';
}

/* --- chunked bodies ------------------------------------------------------------ */

void
fetch_chunked_init(struct fetch_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE;
}

/* One line of the size or trailer part; 1 when a whole line is in c->line. */
static int
take_line(struct fetch_chunked *c, const char **in, const char *end, char *err, size_t errlen)
{
	while (*in < end) {
		char ch = *(*in)++;
		if (ch == '\n') {
			if (c->line_len > 0 && c->line[c->line_len - 1] == '\r')
				c->line_len--;
			c->line[c->line_len] = '\0';
			c->line_len = 0;
			return 1;
		}
		if (c->line_len + 1 >= sizeof(c->line)) {
			snprintf(err, errlen, "bad chunked encoding: a line too long");
			return -1;
		}
		c->line[c->line_len++] = ch;
	}
	return 0;
}

int
fetch_chunked_feed(struct fetch_chunked *c, const char *in, size_t len, fetch_sink_fn sink,
                   void *arg, char *err, size_t errlen)
{
	const char *end = in + len;

	while (c->state != CH_DONE && in < end) {
		int r;

		if (c->state == CH_DATA) {
			size_t n = (size_t)(end - in) < c->left ? (size_t)(end - in) : (size_t)c->left;
			if (sink(in, n, arg) == -1) {
				snprintf(err, errlen, "cannot write the body: %s", strerror(errno));
				return -1;
			}
			in += n;
			c->left -= n;
			if (c->left == 0)
				c->state = CH_DATA_END;
			continue;
		}
		if ((r = take_line(c, &in, end, err, errlen)) <= 0)
			return r;
		if (c->state == CH_SIZE) {
			char *stop;
			unsigned long long size;

			errno = 0;
			size = strtoull(c->line, &stop, HEX_BASE);
			if (stop == c->line || errno != 0 || (*stop != '\0' && *stop != ';' && *stop != ' ')) {
				snprintf(err, errlen, "bad chunked encoding: chunk size '%.16s'", c->line);
				return -1;
			}
			c->left = size;
			c->state = size == 0 ? CH_TRAILER : CH_DATA;
		} else if (c->state == CH_DATA_END) {
			if (c->line[0] != '\0') {
				snprintf(err, errlen, "bad chunked encoding: no line end after a chunk");
				return -1;
			}
			c->state = CH_SIZE;
		} else if (c->line[0] == '\0') {
			c->state = CH_DONE;   /* the empty line that ends the trailer */
		}
	}
	return c->state == CH_DONE;
}

/* --- HTTP ---------------------------------------------------------------------- */

static int
sink_fd(const char *data, size_t len, void *arg)
{
	return compat_write_all(*(int *)arg, data, len);
}

static void
set_timeouts(int fd, int64_t ms)
{
	struct timeval tv;

	if (ms <= 0)
		return;
	tv.tv_sec = (time_t)(ms / MS_PER_SECOND);
	tv.tv_usec = (suseconds_t)((ms % MS_PER_SECOND) * US_PER_MS);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* read() that turns a timeout into a message. */
static ssize_t
read_some(int sock, char *buf, size_t len, int64_t stall_ms, char *err, size_t errlen)
{
	for (;;) {
		ssize_t n = read(sock, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			snprintf(err, errlen, "no data for %lld ms (stall timeout)", (long long)stall_ms);
		else
			snprintf(err, errlen, "read: %s", strerror(errno));
		return -1;
	}
}

struct head {
	int status;
	char reason[REASON_MAX];
	int chunked;
	int has_length;
	uint64_t length;
	char *location;
};

static char *
header_value(char *line, const char *name)
{
	size_t n = strlen(name);
	char *v;

	if (strncmp(line, name, n) != 0 && !prefix_ci(line, name))
		return NULL;
	if (line[n] != ':')
		return NULL;
	v = line + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

static int
parse_head(char *text, struct head *h, char *err, size_t errlen)
{
	char *line = text, *next;

	memset(h, 0, sizeof(*h));
	/* The width is REASON_MAX - 1. */
	if (sscanf(text, "HTTP/%*d.%*d %d %63[^\r\n]", &h->status, h->reason) < 1) {
		snprintf(err, errlen, "not an HTTP response");
		return -1;
	}
	for (; line != NULL; line = next) {
		char *v;

		next = strstr(line, "\r\n");
		if (next != NULL) {
			*next = '\0';
			next += 2;
		}
		if ((v = header_value(line, "content-length")) != NULL) {
			char *end;
			errno = 0;
			h->length = strtoull(v, &end, DEC_BASE);
			if (errno != 0 || end == v) {
				snprintf(err, errlen, "bad Content-Length '%.32s'", v);
				return -1;
			}
			h->has_length = 1;
		} else if ((v = header_value(line, "transfer-encoding")) != NULL) {
			for (char *p = v; *p != '\0'; p++)
				*p = (char)tolower((unsigned char)*p);
			h->chunked = strstr(v, "chunked") != NULL;
		} else if ((v = header_value(line, "location")) != NULL) {
			h->location = v;
		}
	}
	return 0;
}

static char *
find_blank(char *data, size_t len)
{
	for (size_t i = 0; i + BLANK_LINE_LEN <= len && i <= HEAD_MAX; i++)
		if (memcmp(data + i, BLANK_LINE, BLANK_LINE_LEN) == 0)
			return data + i;
	return NULL;
}

/* One GET; *location is set (malloc'ed) for a redirect. */
static int
get_once(const char *url, int fd, int64_t stall_ms, char **location, char *err, size_t errlen)
{
	struct fetch_url u;
	struct head h;
	struct buf req, head;
	char *chunk = NULL, *body;
	char cerr[CERR_MAX];
	int sock, rc = -1;
	size_t body_len;
	uint64_t got = 0;

	*location = NULL;
	if (fetch_url_parse(url, &u, err, errlen) == -1)
		return -1;
	sock = net_connect_blocking(u.host, u.port, stall_ms > 0 ? (int)stall_ms : 0, cerr, sizeof(cerr));
	if (sock == -1) {
		snprintf(err, errlen, "%s", cerr);
		fetch_url_free(&u);
		return -1;
	}
	set_timeouts(sock, stall_ms);
	buf_init(&req, 0);
	buf_init(&head, HEAD_MAX + IO_CHUNK);
	buf_printf(&req, "GET %s HTTP/1.1\r\nHost: %s%s%s", u.target, strchr(u.host, ':') ? "[" : "",
	    u.host, strchr(u.host, ':') ? "]" : "");
	if (u.port != HTTP_DEFAULT_PORT)
		buf_printf(&req, ":%d", u.port);
	buf_printf(&req, "\r\nUser-Agent: mesos-fetcher/1\r\nAccept: */*\r\nConnection: close\r\n\r\n");
	for (size_t off = 0; off < req.len;) {
		ssize_t n = compat_send(sock, req.data + off, req.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot send the request to %s:%d: %s", u.host, u.port,
			    strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	chunk = xmalloc(IO_CHUNK);
	/* The head, up to the empty line; what follows it is the start of the body. */
	for (;;) {
		ssize_t n = read_some(sock, chunk, IO_CHUNK, stall_ms, cerr, sizeof(cerr));
		char *blank;

		if (n < 0 || n == 0) {
			snprintf(err, errlen, "%s:%d: %s", u.host, u.port,
			    n == 0 ? "connection closed before the response head" : cerr);
			goto out;
		}
		buf_append(&head, chunk, (size_t)n);
		/* The body's first bytes may hold NULs: look for the blank line by length. */
		if ((blank = find_blank(head.data, head.len)) != NULL) {
			*blank = '\0';
			body = blank + BLANK_LINE_LEN;
			body_len = head.len - (size_t)(body - head.data);
			break;
		}
		if (head.len > HEAD_MAX) {
			snprintf(err, errlen, "%s:%d: response head over %d bytes", u.host, u.port, HEAD_MAX);
			goto out;
		}
	}
	if (parse_head(head.data, &h, cerr, sizeof(cerr)) == -1) {
		snprintf(err, errlen, "%s:%d: %s", u.host, u.port, cerr);
		goto out;
	}
	if (h.status >= HTTP_REDIRECT_MIN && h.status <= HTTP_REDIRECT_MAX && h.location != NULL) {
		*location = fetch_url_resolve(&u, h.location);
		rc = 0;
		goto out;
	}
	if (h.status < HTTP_OK_MIN || h.status > HTTP_OK_MAX) {
		snprintf(err, errlen, "HTTP %d %s from %.*s", h.status, h.reason, PREVIEW, url);
		goto out;
	}
	if (h.chunked) {
		struct fetch_chunked c;
		int r;

		fetch_chunked_init(&c);
		r = fetch_chunked_feed(&c, body, body_len, sink_fd, &fd, cerr, sizeof(cerr));
		while (r == 0) {
			ssize_t n = read_some(sock, chunk, IO_CHUNK, stall_ms, cerr, sizeof(cerr));
			if (n <= 0) {
				if (n == 0)
					snprintf(cerr, sizeof(cerr), "connection closed inside a chunked body");
				r = -1;
				break;
			}
			r = fetch_chunked_feed(&c, chunk, (size_t)n, sink_fd, &fd, cerr, sizeof(cerr));
		}
		if (r == -1) {
			snprintf(err, errlen, "%.*s: %s", PREVIEW, url, cerr);
			goto out;
		}
		rc = 0;
		goto out;
	}
	for (;;) {
		size_t take = body_len;
		ssize_t n;

		if (h.has_length && got + take > h.length)
			take = (size_t)(h.length - got);
		if (take > 0 && compat_write_all(fd, body, take) == -1) {
			snprintf(err, errlen, "cannot write the body: %s", strerror(errno));
			goto out;
		}
		got += take;
		if (h.has_length && got >= h.length)
			break;
		n = read_some(sock, chunk, IO_CHUNK, stall_ms, cerr, sizeof(cerr));
		if (n < 0) {
			snprintf(err, errlen, "%.*s: %s", PREVIEW, url, cerr);
			goto out;
		}
		if (n == 0) {
			if (h.has_length) {
				snprintf(err, errlen, "%.*s: connection closed after %llu of %llu bytes", PREVIEW,
				    url, (unsigned long long)got, (unsigned long long)h.length);
				goto out;
			}
			break;
		}
		body = chunk;
		body_len = (size_t)n;
	}
	rc = 0;
out:
	free(chunk);
	buf_free(&req);
	buf_free(&head);
	fetch_url_free(&u);
	close(sock);
	return rc;
}

int
fetch_http(const char *url, int fd, int64_t stall_ms, char *err, size_t errlen)
{
	char *cur = xstrdup(url);

	for (int hops = 0;; hops++) {
		char *location;

		if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1) {
			snprintf(err, errlen, "cannot reset the output file: %s", strerror(errno));
			free(cur);
			return -1;
		}
		if (get_once(cur, fd, stall_ms, &location, err, errlen) == -1) {
			free(cur);
			return -1;
		}
		if (location == NULL)
			break;
		if (hops >= FETCH_REDIRECTS_MAX) {
			snprintf(err, errlen, "more than %d redirects from %.*s", FETCH_REDIRECTS_MAX, PREVIEW,
			    url);
			free(location);
			free(cur);
			return -1;
		}
		if (fetch_scheme_of(location) != FETCH_HTTP) {
			snprintf(err, errlen, "redirect to an unsupported URL '%.*s'", PREVIEW, location);
			free(location);
			free(cur);
			return -1;
		}
		free(cur);
		cur = location;
	}
	free(cur);
	return 0;
}

int
fetch_copy(const char *path, int fd, char *err, size_t errlen)
{
	int in = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *chunk;

	if (in == -1) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a regular file", path);
		close(in);
		return -1;
	}
	chunk = xmalloc(IO_CHUNK);
	for (;;) {
		ssize_t n = read(in, chunk, IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && compat_write_all(fd, chunk, (size_t)n) == -1)) {
			snprintf(err, errlen, "cannot copy '%s': %s", path, strerror(errno));
			free(chunk);
			close(in);
			return -1;
		}
		if (n == 0)
			break;
	}
	free(chunk);
	close(in);
	return 0;
}

/* --- extraction -------------------------------------------------------------------- */

static char *
find_program(const char *name)
{
	const char *path = getenv("PATH");
	const char *p;

	for (p = path && *path ? path : DEFAULT_PATH; *p != '\0';) {
		size_t n = strcspn(p, ":");
		char *cand = xstrfmt("%.*s/%s", (int)(n ? n : 1), n ? p : ".", name);

		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += n;
		p += *p == ':';
	}
	return NULL;
}

int
fetch_extract(const char *archive, enum fetch_archive kind, const char *dir, char *err,
              size_t errlen)
{
	const char *tool = kind == FETCH_ZIP ? "unzip" : "tar";
	char *prog = find_program(tool);
	const char *argv[8];
	int status;
	pid_t pid;

	if (prog == NULL) {
		snprintf(err, errlen, "cannot extract '%s': %s is not installed", archive, tool);
		return -1;
	}
	if (kind == FETCH_ZIP) {
		const char *a[] = { "unzip", "-o", "-q", archive, "-d", dir, NULL };
		memcpy(argv, a, sizeof(a));
	} else {
		const char *a[] = { "tar", kind == FETCH_TAR_GZ ? "-xzf" : "-xf", archive, "-C", dir, NULL };
		memcpy(argv, a, sizeof(a));
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null != -1)
			dup2(null, STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(prog, (char *const *)argv);
		_exit(EXEC_FAILED_STATUS);
	}
	free(prog);
	if (pid == -1) {
		snprintf(err, errlen, "cannot extract '%s': fork: %s", archive, strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			snprintf(err, errlen, "cannot extract '%s': waitpid: %s", archive, strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "cannot extract '%s': %s failed (%s %d)", archive, tool,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	return 0;
}

/* --- the cache ------------------------------------------------------------------------ */

struct entry {
	char *path;
	uint64_t size;
	time_t mtime;
};

static int
by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

void
fetch_cache_trim(const char *dir, uint64_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct entry *list = NULL;
	size_t n = 0, alloc = 0;
	uint64_t total = 0;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *path;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp.") != NULL)
			continue;
		path = xstrfmt("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : HEX_BASE;
			list = xreallocarray(list, alloc, sizeof(*list));
		}
		list[n].path = path;
		list[n].size = (uint64_t)st.st_size;
		list[n].mtime = st.st_mtime;
		total += list[n].size;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(list, n, sizeof(*list), by_age);
	for (size_t i = 0; i < n; i++) {
		if (total > cap && unlink(list[i].path) == 0)
			total -= list[i].size;
		free(list[i].path);
	}
	free(list);
}
