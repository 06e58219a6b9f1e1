/*
 * fetch.h: the fetcher's own parts (mesos-fetcher is fetcher.c): a task's
 * URI with its options, local copies, the per-agent cache keyed by URI
 * with a size cap, and archive extraction with the system's tar and unzip.
 * Downloads are http_client_get_file's (lib/http_client.h).
 *
 * A URI as a task gives it (RUN_TASK's repeated uri field): the URI, then
 * optional ";key=value" options among executable, extract, cache (0/1) and
 * output_file (a name in the sandbox), as Mesos's CommandInfo.URI:
 *     http://host/app.tgz;extract=1;cache=1
 *     /opt/tools/run.sh;executable=1;output_file=run
 * Only trailing options with those keys are taken, so a URI that itself
 * holds a ';' survives.
 */
#ifndef FETCH_H
#define FETCH_H

#include <stddef.h>
#include <stdint.h>

#define FETCH_DEFAULT_STALL_MS 60000            /* Mesos --fetcher_stall_timeout */
#define FETCH_DEFAULT_CACHE_BYTES (2ull << 30)  /* Mesos --fetcher_cache_size */
#define FETCH_KEY_MAX 96                        /* bytes of a cache file name */

struct fetch_uri {
	char *value;            /* the URI without its options */
	int executable;
	int extract;            /* Mesos's default: 1 */
	int cache;
	char *output_file;      /* NULL: the URI's last path component */
};

/* Split a task's uri field into the URI and its options. 0, or -1 with err. */
int fetch_uri_parse(const char *spec, struct fetch_uri *u, char *err, size_t errlen);
void fetch_uri_free(struct fetch_uri *u);
/*
 * The file name the URI lands as in the sandbox (malloc'ed): output_file,
 * else the last component of its path without query. NULL with err when
 * that would leave the sandbox or is empty.
 */
char *fetch_target_name(const struct fetch_uri *u, char *err, size_t errlen);

enum fetch_scheme { FETCH_LOCAL, FETCH_FILE, FETCH_HTTP, FETCH_UNSUPPORTED };
/* How a URI is fetched: an absolute path, file://, http://, anything else. */
enum fetch_scheme fetch_scheme_of(const char *uri);

enum fetch_archive { FETCH_NOT_ARCHIVE, FETCH_TAR, FETCH_TAR_GZ, FETCH_ZIP };
enum fetch_archive fetch_archive_of(const char *name);

/* The cache's file name for a URI: a hash of it and a tame copy of its last component. */
void fetch_cache_key(const char *uri, char out[FETCH_KEY_MAX]);

/* Copy the file at path to fd. 0, or -1 with err. */
int fetch_copy(const char *path, int fd, char *err, size_t errlen);

/*
 * Unpack an archive in dir with tar or unzip found on PATH. 0, or -1 with
 * err ("cannot extract 'a.zip': unzip is not installed").
 */
int fetch_extract(const char *archive, enum fetch_archive kind, const char *dir, char *err,
                  size_t errlen);

/* Drop the least recently used entries of the cache dir until it holds at most cap bytes. */
void fetch_cache_trim(const char *dir, uint64_t cap);

#endif
