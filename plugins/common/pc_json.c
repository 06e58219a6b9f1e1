/*
 * pc_json.c: the plugins' JSON models in and out, in the shape Marathon
 * and Metronome answer: a definition is checked whole and every error
 * kept with its path, then answered as one 422 body ({"message": "Object
 * is not valid", "details": [{"path", "errors": [...]}]}), or 400 when a
 * value has the wrong JSON type. Also the pieces both models hold
 * (string maps such as env and labels, string lists such as args) and
 * numbers printed whole when they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "json.h"
#include "xmem.h"

#define ENTRIES_MAX 1024              /* entries of one map or list (env, labels, args) */
#define WHOLE_MAX 1e15                /* beyond this a double is printed as one */

void
pc_json_err(struct pc_json_errs *v, const char *path, const char *msg)
{
	if (v->n == PC_JSON_ERRORS_MAX)
		return;
	snprintf(v->errs[v->n].path, sizeof(v->errs[v->n].path), "%s", path);
	snprintf(v->errs[v->n].msg, sizeof(v->errs[v->n].msg), "%s", msg);
	v->n++;
}

void
pc_json_type(struct pc_json_errs *v, const char *path, const char *expected)
{
	char msg[PC_JSON_MSG_MAX];

	snprintf(msg, sizeof(msg), "error.expected.%s", expected);
	pc_json_err(v, path, msg);
	v->shape = 1;
}

int
pc_json_number(struct pc_json_errs *v, const struct json *x, const char *path, double def,
               double *out)
{
	*out = def;
	if (x == NULL || x->type == JSON_NULL)
		return 0;
	if (x->type != JSON_NUMBER) {
		pc_json_type(v, path, "jsnumber");
		return -1;
	}
	*out = x->number;
	return 0;
}

int
pc_json_int(struct pc_json_errs *v, const struct json *x, const char *path, long long def,
            long long *out)
{
	*out = def;
	if (x == NULL || x->type == JSON_NULL)
		return 0;
	if (x->type != JSON_NUMBER || json_as_int(x, out) == -1) {
		pc_json_type(v, path, "jsnumber");
		*out = def;
		return -1;
	}
	return 0;
}

void
pc_json_min(struct pc_json_errs *v, const char *path, double val, double min)
{
	char msg[PC_JSON_MSG_MAX];

	if (val < min) {
		snprintf(msg, sizeof(msg), "got %g, expected %g or more", val, min);
		pc_json_err(v, path, msg);
	}
}

void
pc_json_kv(struct pc_json_errs *v, const struct json *x, const char *path, struct pc_kv **out,
           size_t *n)
{
	char sub[PC_JSON_PATH_MAX];

	*out = NULL;
	*n = 0;
	if (x == NULL || x->type == JSON_NULL)
		return;
	if (x->type != JSON_OBJECT) {
		pc_json_type(v, path, "jsobject");
		return;
	}
	if (x->n > ENTRIES_MAX) {
		pc_json_err(v, path, "too many entries");
		return;
	}
	*out = xcalloc(x->n ? x->n : 1, sizeof(**out));
	for (size_t i = 0; i < x->n; i++) {
		if (x->items[i]->type != JSON_STRING) {
			snprintf(sub, sizeof(sub), "%s/%s", path, x->keys[i]);
			pc_json_type(v, sub, "jsstring");
			continue;
		}
		(*out)[*n].key = xstrdup(x->keys[i]);
		(*out)[(*n)++].value = xstrdup(x->items[i]->string);
	}
}

void
pc_json_strings(struct pc_json_errs *v, const struct json *x, const char *path, char ***out,
                size_t *n)
{
	*out = NULL;
	*n = 0;
	if (x == NULL || x->type == JSON_NULL)
		return;
	if (x->type != JSON_ARRAY) {
		pc_json_type(v, path, "jsarray");
		return;
	}
	if (x->n > ENTRIES_MAX) {
		pc_json_err(v, path, "too many entries");
		return;
	}
	*out = xcalloc(x->n ? x->n : 1, sizeof(**out));
	for (size_t i = 0; i < x->n; i++) {
		if (x->items[i]->type != JSON_STRING) {
			pc_json_type(v, path, "jsstring");
			continue;
		}
		(*out)[(*n)++] = xstrdup(x->items[i]->string);
	}
}

int
pc_json_errs_write(const struct pc_json_errs *v, struct json_w *w)
{
	json_obj_begin(w);
	json_kstr(w, "message", v->shape ? "Invalid JSON" : "Object is not valid");
	json_key(w, "details");
	json_arr_begin(w);
	for (size_t i = 0; i < v->n; i++) {
		size_t k;

		for (k = 0; k < i && strcmp(v->errs[k].path, v->errs[i].path) != 0; k++)
			;
		if (k < i)      /* already written with its path */
			continue;
		json_obj_begin(w);
		json_kstr(w, "path", v->errs[i].path);
		json_key(w, "errors");
		json_arr_begin(w);
		for (k = i; k < v->n; k++)
			if (strcmp(v->errs[k].path, v->errs[i].path) == 0)
				json_str(w, v->errs[k].msg);
		json_arr_end(w);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_obj_end(w);
	return v->shape ? 400 : 422;
}

void
pc_json_kv_free(struct pc_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void
pc_json_strings_free(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void
pc_json_kv_write(struct json_w *w, const char *key, const struct pc_kv *kv, size_t n)
{
	json_key(w, key);
	json_obj_begin(w);
	for (size_t i = 0; i < n; i++)
		json_kstr(w, kv[i].key, kv[i].value);
	json_obj_end(w);
}

void
pc_json_knum(struct json_w *w, const char *key, double v)
{
	if (v > -WHOLE_MAX && v < WHOLE_MAX && v == (double)(long long)v)
		json_kint(w, key, (long long)v);
	else
		json_kdouble(w, key, v);
}

int
pc_json_strings_differ(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 1;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 1;
	return 0;
}

int
pc_json_kv_differ(const struct pc_kv *a, size_t na, const struct pc_kv *b, size_t nb)
{
	if (na != nb)
		return 1;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) != 0 || strcmp(a[i].value, b[i].value) != 0)
			return 1;
	return 0;
}

static void
metrics_group(struct json_w *w, const char *group, const char *field, const struct pc_metric *m,
              size_t n)
{
	json_key(w, group);
	json_obj_begin(w);
	for (size_t i = 0; i < n; i++) {
		json_key(w, m[i].name);
		json_obj_begin(w);
		json_kint(w, field, m[i].value);
		json_obj_end(w);
	}
	json_obj_end(w);
}

void
pc_json_metrics(struct json_w *w, const struct pc_metric *gauges, size_t ngauges,
                const struct pc_metric *counters, size_t ncounters)
{
	json_obj_begin(w);
	json_kstr(w, "version", "4.0.0");
	metrics_group(w, "gauges", "value", gauges, ngauges);
	metrics_group(w, "counters", "count", counters, ncounters);
	metrics_group(w, "histograms", "count", NULL, 0);
	metrics_group(w, "meters", "count", NULL, 0);
	metrics_group(w, "timers", "count", NULL, 0);
	json_obj_end(w);
}
