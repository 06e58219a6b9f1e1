/*
 * map.c: the string-keyed hash map behind every ID lookup in the daemons.
 * FNV-1a hashing, linear probing, tombstones on delete, growth at 70% load
 * (counting tombstones, so a churn of inserts and deletes rehashes instead
 * of degrading).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "xmem.h"

#define MAP_MIN_CAP 16
static char map_tombstone_byte;
#define MAP_TOMBSTONE (&map_tombstone_byte)

static uint64_t
hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

void
map_init(struct map *m)
{
	memset(m, 0, sizeof(*m));
}

void
map_free(struct map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != MAP_TOMBSTONE)
			free(m->slots[i].key);
	free(m->slots);
	map_init(m);
}

/* Slot holding key, or NULL. */
static struct map_slot *
find(const struct map *m, const char *key)
{
	if (m->cap == 0)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
		struct map_slot *s = &m->slots[i];
		if (s->key == NULL)
			return NULL;
		if (s->key != MAP_TOMBSTONE && strcmp(s->key, key) == 0)
			return s;
	}
}

static void
rehash(struct map *m, size_t newcap)
{
	struct map_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->slots = xcalloc(newcap, sizeof(*m->slots));
	m->cap = newcap;
	m->used = m->len;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key || old[i].key == MAP_TOMBSTONE)
			continue;
		size_t j = hash_key(old[i].key) & (newcap - 1);
		while (m->slots[j].key)
			j = (j + 1) & (newcap - 1);
		m->slots[j] = old[i];
	}
	free(old);
}

void *
map_get(const struct map *m, const char *key)
{
	struct map_slot *s = find(m, key);
	return s ? s->value : NULL;
}

void *
map_put(struct map *m, const char *key, void *value)
{
	struct map_slot *s = find(m, key);
	if (s) {
		void *prev = s->value;
		s->value = value;
		return prev;
	}
	if ((m->used + 1) * 10 >= m->cap * 7) {
		size_t newcap = m->cap ? m->cap : MAP_MIN_CAP;
		while ((m->len + 1) * 10 >= newcap * 5)
			newcap *= 2;
		rehash(m, newcap);
	}
	size_t mask = m->cap - 1;
	size_t i = hash_key(key) & mask;
	while (m->slots[i].key && m->slots[i].key != MAP_TOMBSTONE)
		i = (i + 1) & mask;
	if (m->slots[i].key == NULL)
		m->used++;
	m->slots[i].key = xstrdup(key);
	m->slots[i].value = value;
	m->len++;
	return NULL;
}

void *
map_del(struct map *m, const char *key)
{
	struct map_slot *s = find(m, key);
	if (!s)
		return NULL;
	void *value = s->value;
	free(s->key);
	s->key = MAP_TOMBSTONE;
	s->value = NULL;
	m->len--;
	return value;
}

size_t
map_len(const struct map *m)
{
	return m->len;
}

int
map_next(const struct map *m, size_t *iter, const char **key, void **value)
{
	while (*iter < m->cap) {
		struct map_slot *s = &m->slots[(*iter)++];
		if (s->key && s->key != MAP_TOMBSTONE) {
			if (key)
				*key = s->key;
			if (value)
				*value = s->value;
			return 1;
		}
	}
	return 0;
}
