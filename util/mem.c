/* mem.c - overflow-checked growth and arenas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int tc_mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int tc_grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap, bytes;
	void *p;
	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return TC_ENOMEM;
		ncap *= 2;
	}
	if (tc_mul_size(ncap, elem, &bytes))
		return TC_ENOMEM;
	p = realloc(*ptr, bytes);
	if (!p)
		return TC_ENOMEM;
	*ptr = p;
	*cap = ncap;
	return 0;
}

static void oom(size_t n)
{
	fprintf(stderr, "tracecast: out of memory allocating %zu bytes\n", n);
	abort();
}

void *tc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *tc_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom(n * m);
	return p;
}

void *tc_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *tc_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = tc_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

struct tc_arena_block {
	struct tc_arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

void tc_arena_init(struct tc_arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size;
	a->used_total = 0;
}

void *tc_arena_alloc(struct tc_arena *a, size_t n)
{
	struct tc_arena_block *b = a->head;
	size_t bs = a->block_size ? a->block_size : 65536;
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (!b || b->size - b->used < n) {
		size_t sz = n > bs / 4 ? n : bs;
		if (sz > SIZE_MAX - sizeof(*b))
			return NULL;
		b = malloc(sizeof(*b) + sz);
		if (!b)
			return NULL;
		b->size = sz;
		b->used = 0;
		if (a->head && sz != bs) {
			/* A big one-off allocation goes behind the current block so the current
			 * block's free space is not wasted. */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	void *p = b->data + b->used;
	b->used += n;
	a->used_total += n;
	memset(p, 0, n);
	return p;
}

char *tc_arena_strndup(struct tc_arena *a, const char *s, size_t n)
{
	char *p = tc_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *tc_arena_strdup(struct tc_arena *a, const char *s)
{
	return tc_arena_strndup(a, s, strlen(s));
}

void tc_arena_reset(struct tc_arena *a)
{
	struct tc_arena_block *b = a->head, *keep = NULL;
	while (b) {
		struct tc_arena_block *next = b->next;
		if (!next) {
			keep = b; /* the oldest block is a full-size one */
			break;
		}
		free(b);
		b = next;
	}
	if (keep)
		keep->used = 0;
	a->head = keep;
	a->used_total = 0;
}

void tc_arena_free(struct tc_arena *a)
{
	struct tc_arena_block *b = a->head;
	while (b) {
		struct tc_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used_total = 0;
}
