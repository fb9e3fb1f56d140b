/* strtab.c - string interning: dense ids in order of first appearance, id 0 = "". */
#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t str_hash(const char *s, size_t len)
{
	return tc_hash64(s, len, 0x7463);
}

static int index_insert(uint32_t *index, size_t cap, const struct tc_strtab *t, uint32_t id)
{
	size_t j = str_hash(t->strs[id], t->lens[id]) & (cap - 1);
	while (index[j])
		j = (j + 1) & (cap - 1);
	index[j] = id + 1;
	return 0;
}

static int add_string(struct tc_strtab *t, const char *s, size_t len, uint32_t *id)
{
	if (t->n >= UINT32_MAX - 1)
		return TC_ENOMEM;
	if (tc_grow((void **)&t->strs, &t->cap, t->n + 1, sizeof(*t->strs)))
		return TC_ENOMEM;
	uint32_t *lens = realloc(t->lens, t->cap * sizeof(*t->lens));
	if (!lens)
		return TC_ENOMEM;
	t->lens = lens;
	char *copy = tc_arena_strndup(&t->arena, s, len);
	if (!copy)
		return TC_ENOMEM;
	if ((t->n + 1) * 2 > t->index_cap) {
		size_t ncap = t->index_cap ? t->index_cap * 2 : 256;
		uint32_t *ni = calloc(ncap, sizeof(*ni));
		if (!ni)
			return TC_ENOMEM;
		for (uint32_t i = 0; i < t->n; i++)
			index_insert(ni, ncap, t, i);
		free(t->index);
		t->index = ni;
		t->index_cap = ncap;
	}
	t->strs[t->n] = copy;
	t->lens[t->n] = (uint32_t)len;
	index_insert(t->index, t->index_cap, t, (uint32_t)t->n);
	*id = (uint32_t)t->n++;
	return 0;
}

int tc_strtab_init(struct tc_strtab *t)
{
	uint32_t id;
	memset(t, 0, sizeof(*t));
	tc_arena_init(&t->arena, 0);
	return add_string(t, "", 0, &id);
}

int tc_strtab_find(const struct tc_strtab *t, const char *s, size_t len, uint32_t *id)
{
	if (!t->index_cap)
		return 0;
	size_t j = str_hash(s, len) & (t->index_cap - 1);
	while (t->index[j]) {
		uint32_t cand = t->index[j] - 1;
		if (t->lens[cand] == len && memcmp(t->strs[cand], s, len) == 0) {
			*id = cand;
			return 1;
		}
		j = (j + 1) & (t->index_cap - 1);
	}
	return 0;
}

int tc_strtab_intern(struct tc_strtab *t, const char *s, size_t len, uint32_t *id)
{
	if (len > UINT32_MAX)
		return TC_EINVAL;
	if (tc_strtab_find(t, s, len, id))
		return 0;
	return add_string(t, s, len, id);
}

void tc_strtab_free(struct tc_strtab *t)
{
	if (!t)
		return;
	tc_arena_free(&t->arena);
	free(t->strs);
	free(t->lens);
	free(t->index);
	memset(t, 0, sizeof(*t));
}
