/*
 * map.h: a string-keyed hash map (open addressing, linear probing) for the
 * daemons' lookup tables: agents, frameworks, tasks and offers by ID.
 * Keys are copied; values are the caller's pointers. musl has no
 * <sys/queue.h> or reentrant hsearch, so we carry our own.
 */
#ifndef MAP_H
#define MAP_H

#include <stddef.h>

struct map_slot {
	char *key;          /* NULL = empty; MAP_TOMBSTONE = deleted */
	void *value;
};

struct map {
	struct map_slot *slots;
	size_t cap;         /* power of two, or 0 */
	size_t len;         /* live entries */
	size_t used;        /* live + tombstones */
};

void map_init(struct map *m);
/* Frees the table and its keys, not the values. */
void map_free(struct map *m);
void *map_get(const struct map *m, const char *key);
/* Insert or replace; returns the previous value or NULL. */
void *map_put(struct map *m, const char *key, void *value);
/* Remove; returns the value or NULL. */
void *map_del(struct map *m, const char *key);
size_t map_len(const struct map *m);

/*
 * Iteration: for (size_t i = 0; map_next(m, &i, &key, &value); ) ...
 * Deleting the current entry while iterating is allowed; inserting is not.
 */
int map_next(const struct map *m, size_t *iter, const char **key, void **value);

#endif
