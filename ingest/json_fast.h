/* json_fast.h - private to ingest/: the JSON scanner's common cases inline, for the loop
 * over events (chrome.c, chrome_args.c), where an event's twenty-odd keys and values made
 * the calls themselves (saving registers, dispatching on the first byte) most of the cost
 * of scanning them: Kineto's keys, names and numbers are short.
 *
 * Each fast path takes only input it can finish without a doubt (a string with no
 * backslash, a number with no exponent, a key followed by ':'); anything else goes to the
 * out-of-line scanner in json.c from the same byte, so what is accepted, where a scan
 * stops and where an error is reported are the scanner's own. */
#ifndef TC_INGEST_JSON_FAST_H
#define TC_INGEST_JSON_FAST_H

#include "adapter.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define TC_JSON_IS_DIGIT(c) ((unsigned)((unsigned char)(c) - '0') < 10u)

/* End of a run of ASCII digits at p: eight at a time while eight more bytes are there
 * (timestamps and ids run to 16 digits). */
static inline const char *tc_json_digits(const char *p, const char *end)
{
	while (end - p >= 8) {
		uint64_t w, lo, hi;
		memcpy(&w, p, 8);
		/* per byte: high nibble 3 and low nibble <= 9 (adding 6 does not carry out) */
		lo = w & 0xf0f0f0f0f0f0f0f0ull;
		hi = (w + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull;
		uint64_t bad = (lo ^ 0x3030303030303030ull) | (hi ^ 0x3030303030303030ull);
		if (bad)
			return p + (__builtin_ctzll(bad) >> 3);
		p += 8;
	}
	while (p < end && TC_JSON_IS_DIGIT(*p))
		p++;
	return p;
}

/* First '"' or '\\' in [p, end), or end: eight bytes at a time (the lowest flagged byte
 * of the zero-byte test is always a real match). Strings here are mostly short keys and
 * names, where a memchr call costs more than the scan. */
static inline const char *tc_json_find_quote(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
#ifdef __SSE2__
	/* sixteen at a time where SSE2 is there (every x86-64): kernel names run to hundreds
	 * of bytes */
	const __m128i dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		int m =
		    _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, dq), _mm_cmpeq_epi8(x, bs)));
		if (m)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	while (end - p >= 8) {
		uint64_t w, q, b, m;
		memcpy(&w, p, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		m = ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs);
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* tc_json_string_at (**pp is the opening '"'): a string without escapes here. */
static inline int tc_json_string_fast(const char **pp, const char *end, struct tc_jv *v)
{
	const char *s = *pp + 1, *q = tc_json_find_quote(s, end);
	if (q < end && *q == '"') {
		v->p = s;
		v->n = (size_t)(q - s);
		v->t = TC_J_STR;
		v->esc = 0;
		*pp = q + 1;
		return 0;
	}
	return tc_json_string_at(pp, end, v);
}

/* tc_json_value: strings and numbers without an exponent here. */
static inline int tc_json_value_fast(const char **pp, const char *end, struct tc_jv *v)
{
	const char *p = tc_json_skip_ws(*pp, end), *s = p;
	if (p >= end)
		return tc_json_value(pp, end, v);
	if (*p == '"') {
		*pp = p;
		return tc_json_string_fast(pp, end, v);
	}
	if (*p == '-')
		p++;
	if (p >= end || !TC_JSON_IS_DIGIT(*p))
		return tc_json_value(pp, end, v);
	p = tc_json_digits(p, end);
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !TC_JSON_IS_DIGIT(*p))
			return tc_json_value(pp, end, v);
		p = tc_json_digits(p, end);
	}
	if (p < end && (*p == 'e' || *p == 'E'))
		return tc_json_value(pp, end, v);
	v->p = s;
	v->n = (size_t)(p - s);
	v->t = TC_J_NUM;
	v->esc = 0;
	*pp = p;
	return 0;
}

/* One element of a JSON array at *it (the '[' before the first, or the ',' or ']' after the
 * previous one): 1 with the value read by value(), 0 at the end, -1 on bad input; *it is
 * left where the reading stopped. value is a constant at each call, so each caller gets
 * its own inlined copy: tc_json_next_elem (json.c) and the fast one below. */
static inline int tc_json_next_elem_with(const char **it, const char *end, struct tc_jv *val,
					 int (*value)(const char **, const char *, struct tc_jv *))
{
	const char *p = tc_json_skip_ws(*it, end);
	if (p < end && *p == '[') {
		p = tc_json_skip_ws(p + 1, end);
		if (p < end && *p == ']') {
			*it = p;
			return 0;
		}
	} else if (p < end && *p == ',') {
		p = tc_json_skip_ws(p + 1, end);
	} else if (p < end && *p == ']') {
		*it = p;
		return 0;
	} else {
		*it = p;
		return -1;
	}
	if (value(&p, end, val) < 0) {
		*it = p;
		return -1;
	}
	p = tc_json_skip_ws(p, end);
	*it = p;
	return p < end && (*p == ',' || *p == ']') ? 1 : -1;
}

/* tc_json_next_elem with its values through tc_json_value_fast. */
static inline int tc_json_next_elem_fast(const char **it, const char *end, struct tc_jv *val)
{
	return tc_json_next_elem_with(it, end, val, tc_json_value_fast);
}

/* A JSON integer of at most 18 digits ("-"? digits, not followed by '.', 'e' or 'E') at
 * *pp: its value, as tc_json_i64 reads it, and *pp past it. Returns 0, or -1 (*pp
 * unchanged) for anything else. */
static inline int tc_json_small_int(const char **pp, const char *end, int64_t *out)
{
	const char *p = *pp;
	int neg = 0;
	if (p < end && *p == '-')
		neg = 1, p++;
	const char *s = p;
	int64_t x = 0;
	while (p < end && TC_JSON_IS_DIGIT(*p) && p - s < 18)
		x = x * 10 + (*p++ - '0');
	if (p == s || (p < end && (TC_JSON_IS_DIGIT(*p) || *p == '.' || *p == 'e' || *p == 'E')))
		return -1;
	*out = neg ? -x : x;
	*pp = p;
	return 0;
}

/* A slice that is all one integer, "-"? and 1 to 18 digits: its value (as tc_json_i64
 * reads it) in *out and 0; else -1. */
static inline int tc_json_slice_int(const char *p, size_t n, int64_t *out)
{
	int neg = n && *p == '-';
	p += neg;
	n -= (size_t)neg;
	if (n == 0 || n > 18)
		return -1;
	int64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return -1;
		x = x * 10 + d;
	}
	*out = neg ? -x : x;
	return 0;
}

#endif
