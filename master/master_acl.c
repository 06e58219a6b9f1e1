/*
 * master_acl.c: Mesos's authorization ACLs (--acls), read as Mesos writes
 * them (include/mesos/authorizer/acls.proto):
 *
 *   {"permissive": true,
 *    "register_frameworks": [{"principals": {"values": ["a"]}, "roles": {"type": "ANY"}}],
 *    "run_tasks": [{"principals": .., "users": ..}], ...}
 *
 * Each rule pairs a subject (principals) with an object (roles, users,
 * framework_principals); an entity is {"values": [..]} or {"type": "ANY"}
 * or {"type": "NONE"}. The first rule whose subject and object both match
 * decides: allowed unless either is NONE. A rule of values matches only a
 * request naming one of them; ANY and NONE match every request, one without
 * a principal too. With no rule matching, "permissive" (default true)
 * decides, as in Mesos's local authorizer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"
#include "json.h"
#include "master.h"
#include "xmem.h"

enum acl_type { ACL_SOME, ACL_ANY, ACL_NONE };

struct acl_entity {
	enum acl_type type;
	char **values;
	size_t n;
};

struct acl_rule {
	struct acl_entity subject, object;
};

struct master_acls {
	int permissive;
	struct acl_rule *rules[MASTER_ACL_NACTIONS];
	size_t nrules[MASTER_ACL_NACTIONS];
};

/* Each action's key in the file and its object's key; Mesos's spellings and the issue's. */
static const struct {
	const char *name, *alias, *object;
} actions[MASTER_ACL_NACTIONS] = {
	[MASTER_ACL_REGISTER_FRAMEWORKS] = { "register_frameworks", NULL, "roles" },
	[MASTER_ACL_RUN_TASKS] = { "run_tasks", NULL, "users" },
	[MASTER_ACL_TEARDOWN_FRAMEWORKS] = { "teardown_frameworks", NULL, "framework_principals" },
	[MASTER_ACL_UPDATE_QUOTAS] = { "update_quotas", "update_quota", "roles" },
	[MASTER_ACL_UPDATE_WEIGHTS] = { "update_weights", "update_weight", "roles" },
	[MASTER_ACL_ACCESS_SANDBOXES] = { "access_sandboxes", NULL, "users" },
	[MASTER_ACL_VIEW_FRAMEWORKS] = { "view_frameworks", NULL, "users" },
	[MASTER_ACL_VIEW_TASKS] = { "view_tasks", NULL, "users" },
};

const char *
master_acl_name(enum master_acl_action action)
{
	return actions[action].name;
}

static void
entity_free(struct acl_entity *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->values[i]);
	free(e->values);
}

void
master_acl_free(struct master_acls *a)
{
	if (a == NULL)
		return;
	for (int k = 0; k < MASTER_ACL_NACTIONS; k++) {
		for (size_t i = 0; i < a->nrules[k]; i++) {
			entity_free(&a->rules[k][i].subject);
			entity_free(&a->rules[k][i].object);
		}
		free(a->rules[k]);
	}
	free(a);
}

static int
entity_parse(const struct json *j, const char *what, struct acl_entity *e, char *err,
             size_t errlen)
{
	const struct json *values = json_get(j, "values");
	const char *type = json_get_str(j, "type");

	memset(e, 0, sizeof(*e));
	if (j == NULL || j->type != JSON_OBJECT) {
		snprintf(err, errlen, "'%s' must be {\"values\": [..]} or {\"type\": \"ANY\"|\"NONE\"}",
		         what);
		return -1;
	}
	if (values != NULL && type == NULL && values->type == JSON_ARRAY) {
		e->type = ACL_SOME;
		e->values = xcalloc(values->n + 1, sizeof(*e->values));
		for (size_t i = 0; i < values->n; i++) {
			if (values->items[i]->type != JSON_STRING) {
				snprintf(err, errlen, "'%s' values must be strings", what);
				entity_free(e);
				return -1;
			}
			e->values[e->n++] = xstrdup(values->items[i]->string);
		}
		return 0;
	}
	if (values == NULL && type != NULL && strcmp(type, "ANY") == 0) {
		e->type = ACL_ANY;
		return 0;
	}
	if (values == NULL && type != NULL && strcmp(type, "NONE") == 0) {
		e->type = ACL_NONE;
		return 0;
	}
	snprintf(err, errlen, "'%s' must be {\"values\": [..]} or {\"type\": \"ANY\"|\"NONE\"}", what);
	return -1;
}

static int
rules_parse(struct master_acls *a, int k, const struct json *list, char *err, size_t errlen)
{
	char why[MASTER_ERR_MAX / 2];   /* room for the rule's name around it in err */

	if (list->type != JSON_ARRAY) {
		snprintf(err, errlen, "'%s' must be a list of rules", actions[k].name);
		return -1;
	}
	a->rules[k] = xcalloc(list->n + 1, sizeof(*a->rules[k]));
	for (size_t i = 0; i < list->n; i++) {
		const struct json *r = list->items[i];
		struct acl_rule *rule = &a->rules[k][a->nrules[k]];

		if (r->type != JSON_OBJECT ||
		    entity_parse(json_get(r, "principals"), "principals", &rule->subject, why,
		                 sizeof(why)) < 0) {
			snprintf(err, errlen, "%s rule %zu: %s", actions[k].name, i + 1,
			         r->type != JSON_OBJECT ? "not an object" : why);
			return -1;
		}
		if (entity_parse(json_get(r, actions[k].object), actions[k].object, &rule->object, why,
		                 sizeof(why)) < 0) {
			entity_free(&rule->subject);
			snprintf(err, errlen, "%s rule %zu: %s", actions[k].name, i + 1, why);
			return -1;
		}
		a->nrules[k]++;
	}
	return 0;
}

static int
known_key(const char *key)
{
	if (strcmp(key, "permissive") == 0)
		return 1;
	for (int k = 0; k < MASTER_ACL_NACTIONS; k++)
		if (strcmp(key, actions[k].name) == 0 ||
		    (actions[k].alias != NULL && strcmp(key, actions[k].alias) == 0))
			return 1;
	return 0;
}

struct master_acls *
master_acl_load(const char *path, char *err, size_t errlen)
{
	char *text, why[MASTER_ERR_MAX];
	size_t len;
	struct json *j;
	struct master_acls *a;

	if (cred_read_file(path, CRED_FILE_MAX, &text, &len, err, errlen) < 0)
		return NULL;
	j = json_parse(text, len, why, sizeof(why));
	free(text);
	if (j == NULL || j->type != JSON_OBJECT) {
		snprintf(err, errlen, "--acls '%s': %s", path, j == NULL ? why : "not a JSON object");
		json_free(j);
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->permissive = 1;
	for (size_t i = 0; i < j->n; i++) {
		if (!known_key(j->keys[i])) {
			/* A misspelt action would otherwise leave it to "permissive" without a word. */
			snprintf(err, errlen, "--acls '%s': unknown key '%.64s'", path, j->keys[i]);
			goto fail;
		}
	}
	const struct json *perm = json_get(j, "permissive");
	if (perm != NULL) {
		if (perm->type != JSON_BOOL) {
			snprintf(err, errlen, "--acls '%s': 'permissive' must be true or false", path);
			goto fail;
		}
		a->permissive = perm->boolean;
	}
	for (int k = 0; k < MASTER_ACL_NACTIONS; k++) {
		const struct json *list = json_get(j, actions[k].name);
		if (list == NULL && actions[k].alias != NULL)
			list = json_get(j, actions[k].alias);
		if (list != NULL && rules_parse(a, k, list, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--acls '%s': %s", path, why);
			goto fail;
		}
	}
	json_free(j);
	return a;
fail:
	json_free(j);
	master_acl_free(a);
	return NULL;
}

static int
entity_matches(const struct acl_entity *e, const char *value)
{
	if (e->type != ACL_SOME)
		return 1;
	if (value == NULL)
		return 0;
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->values[i], value) == 0)
			return 1;
	return 0;
}

int
master_acl_allows(const struct master_acls *a, enum master_acl_action action,
                  const char *principal, const char *object)
{
	if (a == NULL)
		return 1;
	for (size_t i = 0; i < a->nrules[action]; i++) {
		const struct acl_rule *r = &a->rules[action][i];
		if (entity_matches(&r->subject, principal) && entity_matches(&r->object, object))
			return r->subject.type != ACL_NONE && r->object.type != ACL_NONE;
	}
	return a->permissive;
}
