/* json.c - a small validating JSON scanner over complete in-memory values. It never builds
 * a tree: values are slices of the source, decoded only when asked. The streaming splitter
 * in chrome.c isolates one event at a time and hands it here. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_DEPTH TC_JSON_MAX_DEPTH
/* not isdigit(): no locale table lookup on the hot path */
#define IS_DIGIT(c) TC_JSON_IS_DIGIT(c)

const char *tc_json_skip_ws_long(const char *p, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* a line break and up to eight spaces of indentation (Kineto's layout): one word */
	if (end - p >= 9 && *p == '\n') {
		uint64_t w;
		memcpy(&w, p + 1, 8);
		w ^= 0x2020202020202020ull;
		if (w) {
			const char *q = p + 1 + (__builtin_ctzll(w) >> 3);
			if (!TC_JSON_IS_WS(*q))
				return q;
		}
	}
#endif
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'),
		      tb = _mm_set1_epi8('\t');
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i ws =
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, nl)),
				 _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, tb)));
		unsigned m = (unsigned)_mm_movemask_epi8(ws) ^ 0xffffu;
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < end && TC_JSON_IS_WS(*p))
		p++;
	return p;
}

#define skip_ws tc_json_skip_ws

#define digits tc_json_digits
#define find_quote tc_json_find_quote

static int scan_string(const char **pp, const char *end, struct tc_jv *v)
{
	const char *p = *pp + 1, *s = p;
	uint8_t esc = 0;
	for (;;) {
		/* Raw control characters are tolerated (they cannot confuse the scanner and we
		 * never echo them). */
		p = find_quote(p, end);
		if (p >= end) {
			*pp = end;
			return -1;
		}
		if (*p == '"')
			break;
		esc = 1;
		if (p + 1 >= end) {
			*pp = p;
			return -1;
		}
		if (p[1] == 'u') {
			if (p + 6 > end) {
				*pp = p;
				return -1;
			}
			for (int i = 2; i < 6; i++)
				if (!isxdigit((unsigned char)p[i])) {
					*pp = p;
					return -1;
				}
			p += 6;
		} else if (p[1] && strchr("\"\\/bfnrt", p[1])) {
			p += 2;
		} else {
			*pp = p;
			return -1;
		}
	}
	v->p = s;
	v->n = (size_t)(p - s);
	v->t = TC_J_STR;
	v->esc = esc;
	*pp = p + 1;
	return 0;
}

static int scan_number(const char **pp, const char *end, struct tc_jv *v)
{
	const char *p = *pp, *s = p;
	if (p < end && *p == '-')
		p++;
	if (p >= end || !IS_DIGIT(*p)) {
		*pp = p;
		return -1;
	}
	p = digits(p, end);
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !IS_DIGIT(*p)) {
			*pp = p;
			return -1;
		}
		p = digits(p, end);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !IS_DIGIT(*p)) {
			*pp = p;
			return -1;
		}
		p = digits(p, end);
	}
	v->p = s;
	v->n = (size_t)(p - s);
	v->t = TC_J_NUM;
	v->esc = 0;
	*pp = p;
	return 0;
}

static int scan_lit(const char **pp, const char *end, const char *lit, uint8_t t, struct tc_jv *v)
{
	size_t n = strlen(lit);
	if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0)
		return -1;
	v->p = *pp;
	v->n = n;
	v->t = t;
	v->esc = 0;
	*pp += n;
	return 0;
}

/* Containers: validated iteratively with an explicit stack so deep nesting cannot blow the
 * C stack (fuzzers love "[[[[[[..."). */
static int scan_container(const char **pp, const char *end, struct tc_jv *v)
{
	char stack[MAX_DEPTH];
	int depth = 0;
	const char *p = *pp, *s = p;
	struct tc_jv tmp;

	stack[depth++] = *p == '{' ? '}' : ']';
	p++;
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end)
			goto bad;
		char close = stack[depth - 1];
		if (*p == close) { /* empty container or after a trailing check below */
			p++;
			depth--;
			goto after_value;
		}
		if (close == '}') {
			if (*p != '"' || tc_json_string_fast(&p, end, &tmp) < 0)
				goto bad;
			p = skip_ws(p, end);
			if (p >= end || *p != ':')
				goto bad;
			p = skip_ws(p + 1, end);
			if (p >= end)
				goto bad;
		}
		/* a value */
		if (*p == '{' || *p == '[') {
			if (depth >= MAX_DEPTH) {
				*pp = p;
				return TC_JSON_TOO_DEEP;
			}
			stack[depth++] = *p == '{' ? '}' : ']';
			p++;
			continue;
		}
		if (*p == '"') {
			if (tc_json_string_fast(&p, end, &tmp) < 0)
				goto bad;
		} else if (*p == 't') {
			if (scan_lit(&p, end, "true", TC_J_TRUE, &tmp) < 0)
				goto bad;
		} else if (*p == 'f') {
			if (scan_lit(&p, end, "false", TC_J_FALSE, &tmp) < 0)
				goto bad;
		} else if (*p == 'n') {
			if (scan_lit(&p, end, "null", TC_J_NULL, &tmp) < 0)
				goto bad;
		} else if (scan_number(&p, end, &tmp) < 0) {
			goto bad;
		}
	after_value:
		if (depth == 0)
			break;
		p = skip_ws(p, end);
		if (p >= end)
			goto bad;
		if (*p == ',') {
			p = skip_ws(p + 1, end);
			if (p < end && *p == stack[depth - 1])
				goto bad; /* trailing comma */
			continue;
		}
		if (*p == stack[depth - 1]) {
			p++;
			depth--;
			goto after_value;
		}
		goto bad;
	}
	v->p = s;
	v->n = (size_t)(p - s);
	v->t = *s == '{' ? TC_J_OBJ : TC_J_ARR;
	v->esc = 0;
	*pp = p;
	return 0;
bad:
	*pp = p;
	return -1;
}

/* scan_container for the arrays an event's args hold (Input Dims, Input type, Concrete
 * Inputs): lists nested at most two deep of numbers without an exponent and strings
 * without escapes. Anything else (an object, a literal, an escape, an exponent, deeper
 * lists, an error) returns -1 and scan_container reads the value again from the start;
 * what is accepted here it accepts too, ending at the same byte. */
static int scan_array_fast(const char **pp, const char *end, struct tc_jv *v)
{
	const char *p = *pp, *s = p;
	int depth = 1;
	p++;
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end)
			return -1;
		if (*p == ']') {
			p++;
			depth--;
			goto after_value;
		}
		if (*p == '[') {
			if (depth >= 2)
				return -1;
			depth++;
			p++;
			continue;
		}
		if (*p == '"') {
			const char *q = find_quote(p + 1, end);
			if (q >= end || *q != '"')
				return -1;
			p = q + 1;
		} else {
			if (*p == '-')
				p++;
			if (p >= end || !IS_DIGIT(*p))
				return -1;
			p = digits(p, end);
			if (p < end && *p == '.') {
				p++;
				if (p >= end || !IS_DIGIT(*p))
					return -1;
				p = digits(p, end);
			}
			if (p < end && (*p == 'e' || *p == 'E'))
				return -1;
		}
	after_value:
		if (depth == 0)
			break;
		p = skip_ws(p, end);
		if (p >= end)
			return -1;
		if (*p == ',') {
			p = skip_ws(p + 1, end);
			if (p < end && *p == ']')
				return -1; /* trailing comma */
			continue;
		}
		if (*p == ']') {
			p++;
			depth--;
			goto after_value;
		}
		return -1;
	}
	v->p = s;
	v->n = (size_t)(p - s);
	v->t = TC_J_ARR;
	v->esc = 0;
	*pp = p;
	return 0;
}

int tc_json_string_at(const char **pp, const char *end, struct tc_jv *v)
{
	return scan_string(pp, end, v);
}

int tc_json_value(const char **pp, const char *end, struct tc_jv *v)
{
	const char *p = skip_ws(*pp, end);
	int rc;
	*pp = p;
	if (p >= end)
		return -1;
	switch (*p) {
	case '"':
		rc = scan_string(pp, end, v);
		break;
	case '[':
		if (scan_array_fast(pp, end, v) == 0)
			return 0;
		rc = scan_container(pp, end, v);
		break;
	case '{':
		rc = scan_container(pp, end, v);
		break;
	case 't':
		rc = scan_lit(pp, end, "true", TC_J_TRUE, v);
		break;
	case 'f':
		rc = scan_lit(pp, end, "false", TC_J_FALSE, v);
		break;
	case 'n':
		rc = scan_lit(pp, end, "null", TC_J_NULL, v);
		break;
	default:
		rc = scan_number(pp, end, v);
		break;
	}
	return rc;
}

/* Members of an already-validated object or array (from tc_json_value): *it starts at the
 * opening bracket. Validation already happened, so errors here are only defensive. */
int tc_json_next_member(const char **it, const char *end, struct tc_jv *key, struct tc_jv *val)
{
	const char *p = skip_ws(*it, end);
	if (p < end && *p == '{') {
		p = skip_ws(p + 1, end);
		if (p < end && *p == '}') {
			*it = p;
			return 0;
		}
	} else if (p < end && *p == ',') {
		p = skip_ws(p + 1, end);
	} else if (p < end && *p == '}') {
		*it = p;
		return 0;
	} else {
		goto bad;
	}
	if (p >= end || *p != '"' || scan_string(&p, end, key) < 0)
		goto bad;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		goto bad;
	p++;
	if (tc_json_value(&p, end, val) < 0)
		goto bad;
	p = skip_ws(p, end);
	if (p >= end || (*p != ',' && *p != '}'))
		goto bad;
	*it = p;
	return 1;
bad:
	*it = p;
	return -1;
}

int tc_json_next_elem(const char **it, const char *end, struct tc_jv *val)
{
	return tc_json_next_elem_with(it, end, val, tc_json_value);
}

int tc_json_span(const char **pp, const char *end)
{
	const char *p = *pp;
	int depth = 0;
	while (p < end) {
		char c = *p++;
		if (c == '"') {
			for (;;) {
				const char *q = memchr(p, '"', (size_t)(end - p));
				if (!q)
					return -1;
				/* an odd run of backslashes before the quote escapes it */
				const char *b = q;
				while (b > p && b[-1] == '\\')
					b--;
				p = q + 1;
				if (((q - b) & 1) == 0)
					break;
			}
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth <= 0) {
				*pp = p;
				return 0;
			}
		}
	}
	return -1;
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

size_t tc_json_str(const struct tc_jv *v, char *buf, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return 0;
	if (v->t != TC_J_STR) {
		size_t n = v->t == TC_J_NUM ? TC_MIN(v->n, cap - 1) : 0;
		memcpy(buf, v->p, n);
		buf[n] = '\0';
		return n;
	}
	if (!v->esc) {
		size_t n = TC_MIN(v->n, cap - 1);
		memcpy(buf, v->p, n);
		buf[n] = '\0';
		return n;
	}
	for (size_t i = 0; i < v->n && o + 4 < cap; i++) {
		char c = v->p[i];
		if (c != '\\') {
			buf[o++] = c;
			continue;
		}
		c = v->p[++i];
		switch (c) {
		case 'n':
			buf[o++] = '\n';
			break;
		case 't':
			buf[o++] = '\t';
			break;
		case 'r':
			buf[o++] = '\r';
			break;
		case 'b':
			buf[o++] = '\b';
			break;
		case 'f':
			buf[o++] = '\f';
			break;
		case 'u': {
			unsigned cp = hex4(v->p + i + 1);
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < v->n && v->p[i + 1] == '\\' &&
			    v->p[i + 2] == 'u') {
				unsigned lo = hex4(v->p + i + 3);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp == 0)
				cp = '?'; /* keep C strings whole */
			else if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd; /* a lone surrogate: its CESU-8 bytes are not UTF-8 */
			if (cp < 0x80) {
				buf[o++] = (char)cp;
			} else if (cp < 0x800) {
				buf[o++] = (char)(0xc0 | (cp >> 6));
				buf[o++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				buf[o++] = (char)(0xe0 | (cp >> 12));
				buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[o++] = (char)(0x80 | (cp & 0x3f));
			} else {
				buf[o++] = (char)(0xf0 | (cp >> 18));
				buf[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[o++] = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			buf[o++] = c;
			break;
		}
	}
	buf[o] = '\0';
	return o;
}

/* Value of the eight ASCII digits at p (checked by the caller): three multiplies instead
 * of eight steps (timestamps run to 16 digits, ids to 10). Little-endian loads; the byte
 * loop elsewhere. */
static inline uint64_t eight_digits(const char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;
	memcpy(&v, p, 8);
	v -= 0x3030303030303030ull;
	v = v * 10 + (v >> 8);
	return (((v & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
		(((v >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >>
	       32;
#else
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x * 10 + (uint64_t)(p[i] - '0');
	return x;
#endif
}

/* Value of the n <= 16 ASCII digits at p (checked by the caller). */
static inline uint64_t digits_value(const char *p, size_t n)
{
	uint64_t x = 0;
	for (; n >= 8; n -= 8, p += 8)
		x = x * 100000000u + eight_digits(p);
	for (; n; n--)
		x = x * 10 + (uint64_t)(*p++ - '0');
	return x;
}

int tc_json_u64(const struct tc_jv *v, uint64_t *out)
{
	uint64_t x = 0;
	size_t i = 0;
	if ((v->t != TC_J_NUM && v->t != TC_J_STR) || v->n == 0 || v->esc)
		return -1;
	/* the usual case: up to 19 digits (they cannot overflow) and nothing else */
	if (v->n <= 19) {
		const char *p = v->p;
		size_t n = v->n;
		for (; n >= 8 && digits(p, p + 8) == p + 8; n -= 8, p += 8)
			x = x * 100000000u + eight_digits(p);
		for (; n; n--, p++) {
			unsigned d = (unsigned)(*p - '0');
			if (d > 9)
				break;
			x = x * 10 + d;
		}
		if (!n) {
			*out = x;
			return 0;
		}
		x = 0;
	}
	for (; i < v->n && v->p[i] >= '0' && v->p[i] <= '9'; i++) {
		unsigned d = (unsigned)(v->p[i] - '0');
		/* 19 digits always fit; past them, the exact overflow test (no division per
		 * digit) */
		if (i >= 19 &&
		    (__builtin_mul_overflow(x, 10u, &x) || __builtin_add_overflow(x, d, &x)))
			return -1;
		if (i < 19)
			x = x * 10 + d;
	}
	if (i == 0)
		return -1;
	/* "12.0" is tolerated for ids written through a double */
	if (i < v->n && v->p[i] == '.') {
		for (i++; i < v->n && v->p[i] == '0'; i++)
			;
	}
	if (i != v->n)
		return -1;
	*out = x;
	return 0;
}

int tc_json_i64(const struct tc_jv *v, int64_t *out)
{
	uint64_t u;
	struct tc_jv w = *v;
	int neg = 0;
	if (w.n > 0 && w.p[0] == '-') {
		neg = 1;
		w.p++;
		w.n--;
	}
	if (tc_json_u64(&w, &u) < 0) {
		/* exponent forms ("1e3"): go through a double, rare for integers */
		if (v->t != TC_J_NUM)
			return -1;
		double d = tc_json_double(v);
		if (!(d > -9.2e18 && d < 9.2e18))
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	if (u > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* Microseconds ip.frac (fd fraction digits, 4 = rounded already) to signed ns; -1 past
 * int64. */
static inline int ns_of(uint64_t ip, uint64_t frac, int fd, int neg, int64_t *ns)
{
	while (fd < 3) {
		frac *= 10;
		fd++;
	}
	uint64_t total = ip * 1000u + frac;
	if (total > (uint64_t)INT64_MAX)
		return -1;
	*ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}

/* tc_json_us_to_ns for up to 16 integer digits, an optional fraction and nothing after:
 * the same value and the same overflow test; -1 leaves the rest to the digit loop. */
static inline int us_to_ns_fast(const char *s, const char *e, int neg, int64_t *ns)
{
	const char *q = digits(s, e);
	size_t nd = (size_t)(q - s);
	uint64_t ip, frac = 0;
	int fd = 0;
	if (nd == 0 || nd > 16)
		return -1;
	ip = digits_value(s, nd);
	/* the loop refuses a 16th digit after more than INT64_MAX / 10000 */
	if (nd == 16 && ip / 10 > (uint64_t)INT64_MAX / 10000)
		return -1;
	if (q < e && *q == '.') {
		const char *f = q + 1;
		q = digits(f, e);
		size_t nf = (size_t)(q - f);
		for (size_t i = 0; i < nf && i < 3; i++)
			frac = frac * 10 + (uint64_t)(f[i] - '0');
		fd = nf < 3 ? (int)nf : 3;
		if (nf > 3) {
			if (f[3] >= '5')
				frac++; /* round half up on the 4th digit */
			fd = 4;
		}
	}
	if (q != e)
		return -1;
	return ns_of(ip, frac, fd, neg, ns);
}

int tc_json_us_to_ns(const struct tc_jv *v, int64_t *ns)
{
	const char *p = v->p, *e = v->p + v->n;
	int neg = 0;
	uint64_t ip = 0, frac = 0;
	int fd = 0;

	if ((v->t != TC_J_NUM && v->t != TC_J_STR) || v->n == 0)
		return -1;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	const char *s = p;
	if (us_to_ns_fast(s, e, neg, ns) == 0)
		return 0;
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (ip > (uint64_t)INT64_MAX / 10000)
			return -1; /* would overflow in ns */
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -1;
	if (p < e && *p == '.') {
		p++;
		for (; p < e && *p >= '0' && *p <= '9'; p++) {
			if (fd < 3) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fd++;
			} else if (fd == 3) {
				if (*p >= '5')
					frac++; /* round half up on the 4th digit */
				fd = 4;
			}
		}
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		double d = tc_json_double(v) * 1000.0;
		if (!(d > -9.2e18 && d < 9.2e18))
			return -1;
		*ns = (int64_t)llround(d);
		return 0;
	}
	if (p != e)
		return -1;
	return ns_of(ip, frac, fd, neg, ns);
}

double tc_json_double(const struct tc_jv *v)
{
	char buf[64];
	size_t n = TC_MIN(v->n, sizeof(buf) - 1);
	if (v->t != TC_J_NUM && v->t != TC_J_STR)
		return 0;
	memcpy(buf, v->p, n);
	buf[n] = '\0';
	return strtod(buf, NULL);
}
