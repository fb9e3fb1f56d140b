/* map.c - hashing and an open-addressing uint64 -> uint64 map. */
#include <stdlib.h>
#include <string.h>

#include "util.h"

uint64_t tc_hash64(const void *data, size_t n, uint64_t seed)
{
	/* Word-at-a-time multiply/xorshift over little-endian 8-byte words (tail zero-padded),
	 * then a strong finaliser: fast on the read path, not cryptographic. The definition
	 * is part of the opstream format (record checks) and of stored content hashes: it must
	 * never change. */
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
	while (n >= 8) {
		uint64_t w = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
			     (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
			     (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		for (size_t i = 0; i < n; i++)
			w |= (uint64_t)p[i] << (8 * i);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return tc_hash_u64(h);
}

static int map_rehash(struct tc_map64 *m, size_t ncap)
{
	struct tc_map64 n = TC_MAP64_INIT;
	n.keys = malloc(ncap * sizeof(*n.keys));
	n.vals = malloc(ncap * sizeof(*n.vals));
	n.used = calloc(ncap, 1);
	if (!n.keys || !n.vals || !n.used) {
		free(n.keys);
		free(n.vals);
		free(n.used);
		return TC_ENOMEM;
	}
	n.cap = ncap;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->used[i])
			continue;
		size_t j = tc_hash_u64(m->keys[i]) & (ncap - 1);
		while (n.used[j])
			j = (j + 1) & (ncap - 1);
		n.used[j] = 1;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
	}
	n.len = m->len;
	tc_map64_free(m);
	*m = n;
	return 0;
}

int tc_map64_put(struct tc_map64 *m, uint64_t key, uint64_t val)
{
	if ((m->len + 1) * 4 > m->cap * 3) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		if (ncap < m->cap)
			return TC_ENOMEM;
		TC_TRY(map_rehash(m, ncap));
	}
	size_t j = tc_hash_u64(key) & (m->cap - 1);
	while (m->used[j]) {
		if (m->keys[j] == key) {
			m->vals[j] = val;
			return 0;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->used[j] = 1;
	m->keys[j] = key;
	m->vals[j] = val;
	m->len++;
	return 0;
}

int tc_map64_get(const struct tc_map64 *m, uint64_t key, uint64_t *val)
{
	if (!m->cap)
		return 0;
	size_t j = tc_hash_u64(key) & (m->cap - 1);
	while (m->used[j]) {
		if (m->keys[j] == key) {
			if (val)
				*val = m->vals[j];
			return 1;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return 0;
}

void tc_map64_clear(struct tc_map64 *m)
{
	if (m->used)
		memset(m->used, 0, m->cap);
	m->len = 0;
}

void tc_map64_free(struct tc_map64 *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	m->keys = m->vals = NULL;
	m->used = NULL;
	m->cap = m->len = 0;
}
