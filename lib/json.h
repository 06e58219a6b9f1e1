/*
 * json.h: the project's one JSON implementation.
 *
 * Writer: appends to a struct buf, keeps track of commas; strings are
 * escaped (control bytes as \u00XX, invalid UTF-8 replaced by U+FFFD).
 * Parser: strict RFC 8259, bounded (input size, depth, string length),
 * produces a tree; errors carry a byte offset and a reason.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define JSON_DEPTH_MAX 64
#define JSON_MAX_WRITER_DEPTH 64

/* ---- writer ---- */
struct json_w {
	struct buf *out;
	int depth;
	unsigned char need_comma[JSON_MAX_WRITER_DEPTH + 1];
	int after_key;
};

void json_w_init(struct json_w *w, struct buf *out);
void json_obj_begin(struct json_w *w);
void json_obj_end(struct json_w *w);
void json_arr_begin(struct json_w *w);
void json_arr_end(struct json_w *w);
void json_key(struct json_w *w, const char *key);      /* inside an object, before a value */
void json_str(struct json_w *w, const char *s);
void json_strn(struct json_w *w, const char *s, size_t len);
void json_int(struct json_w *w, long long v);
void json_double(struct json_w *w, double v);          /* shortest form that round-trips, "1.0" style for integers */
void json_bool(struct json_w *w, int v);
void json_null(struct json_w *w);
/* Append already-encoded JSON (must be one valid value). */
void json_raw(struct json_w *w, const char *json);
/* key + value shortcuts */
void json_kstr(struct json_w *w, const char *key, const char *s);
void json_kint(struct json_w *w, const char *key, long long v);
void json_kdouble(struct json_w *w, const char *key, double v);
void json_kbool(struct json_w *w, const char *key, int v);

/* ---- parser ---- */
enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	int boolean;
	double number;
	char *string;            /* JSON_STRING: decoded UTF-8, NUL-terminated */
	size_t string_len;
	struct json **items;     /* JSON_ARRAY: values; JSON_OBJECT: values in order */
	char **keys;             /* JSON_OBJECT: keys parallel to items */
	size_t n;
};

/*
 * Parse exactly one value (whitespace around it allowed). max_bytes caps
 * the input; depth is capped at JSON_DEPTH_MAX. Returns NULL with
 * err = "at byte 17: expected ':' after object key" (or similar).
 * Duplicate keys are an error.
 */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct json *j);

/* Object member lookup (NULL if absent or j is not an object). */
const struct json *json_get(const struct json *j, const char *key);
/* Path lookup with '.' separators, e.g. "upgradeStrategy.minimumHealthCapacity". */
const struct json *json_path(const struct json *j, const char *path);
const char *json_get_str(const struct json *j, const char *key);  /* NULL unless a string */
/* Number as integer if it is one exactly; returns 0 and sets *out, else -1. */
int json_as_int(const struct json *j, long long *out);

/* Re-serialise a parsed value. */
void json_write(struct json_w *w, const struct json *j);

#endif
