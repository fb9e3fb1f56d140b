/* json_simd.c - stage 1 of the JSON scanner, simdjson style: find the structure of 64-byte
 * blocks with bit tricks instead of a byte at a time.
 *
 * Per block a classifier (scalar, SSE2, AVX2 or NEON; picked once at run time) makes one
 * bit per byte for '"', '\\', whitespace and the operators {}[]:, . The rest is the same
 * integer code for every path, so every path gives the same bits:
 * - escaped bytes: odd runs of backslashes escape the byte after them (the carry of an
 *   add finds where each run starts on an even or odd bit; the state crosses blocks);
 * - real quotes = quotes not escaped; the in-string mask is their prefix XOR (carry-less
 *   multiply by all ones where PCLMUL is there, else a shift/xor cascade: same bits);
 * - structurals = operators outside strings, opening quotes, and the first byte of each
 *   scalar (number, literal) outside strings.
 *
 * tc_json_index gives the structural index of a buffer. The event parser (json.c) does not
 * walk it: measured on the HTA A100 trace, jumping to string ends and over blanks with
 * these bits cost more than the scanner's own 16-byte SSE2 search on Kineto's short
 * strings (0.130 s against 0.120 s CPU per ingest; docs/ingest.md). */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#if defined(__x86_64__) || defined(__i386__)
#define TC_X86 1
#include <immintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#define TC_NEON 1
#include <arm_neon.h>
#endif

/* ---- classifiers: one 64-byte block into raw bit masks -------------------------------- */

/* The masks of a vector's lanes (bit i = byte i of the vector) at byte offset at. */
static inline void put(struct tc_jraw *r, int at, uint64_t q, uint64_t b, uint64_t w, uint64_t o)
{
	r->quote |= q << at;
	r->bslash |= b << at;
	r->ws |= w << at;
	r->op |= o << at;
}

static void classify_scalar(const char *p, struct tc_jraw *r)
{
	uint64_t q = 0, b = 0, w = 0, o = 0;
	for (int i = 0; i < 64; i++) {
		unsigned char c = (unsigned char)p[i];
		uint64_t bit = 1ull << i;
		if (c == '"')
			q |= bit;
		else if (c == '\\')
			b |= bit;
		else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			w |= bit;
		else if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',')
			o |= bit;
	}
	r->quote = q;
	r->bslash = b;
	r->ws = w;
	r->op = o;
}

#ifdef TC_X86
__attribute__((target("sse2"))) static void classify_sse2(const char *p, struct tc_jraw *r)
{
	memset(r, 0, sizeof(*r));
	/* '{' | 0x20 = '{', '[' | 0x20 = '{', '}' | 0x20 = '}', ']' | 0x20 = '}': one compare
	 * each for the brackets after or-ing 0x20 */
	const __m128i cq = _mm_set1_epi8('"'), cb = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(' '),
		      nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), tb = _mm_set1_epi8('\t'),
		      x20 = _mm_set1_epi8(0x20), lb = _mm_set1_epi8('{'), rb = _mm_set1_epi8('}'),
		      co = _mm_set1_epi8(':'), cm = _mm_set1_epi8(',');
	for (int k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		__m128i y = _mm_or_si128(x, x20);
		uint64_t mq = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, cq));
		uint64_t mb = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, cb));
		uint64_t mw = (uint16_t)_mm_movemask_epi8(
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, nl)),
				 _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, tb))));
		uint64_t mo = (uint16_t)_mm_movemask_epi8(
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(y, lb), _mm_cmpeq_epi8(y, rb)),
				 _mm_or_si128(_mm_cmpeq_epi8(x, co), _mm_cmpeq_epi8(x, cm))));
		put(r, 16 * k, mq, mb, mw, mo);
	}
}

__attribute__((target("avx2"))) static void classify_avx2(const char *p, struct tc_jraw *r)
{
	memset(r, 0, sizeof(*r));
	const __m256i cq = _mm256_set1_epi8('"'), cb = _mm256_set1_epi8('\\'),
		      sp = _mm256_set1_epi8(' '), nl = _mm256_set1_epi8('\n'),
		      cr = _mm256_set1_epi8('\r'), tb = _mm256_set1_epi8('\t'),
		      x20 = _mm256_set1_epi8(0x20), lb = _mm256_set1_epi8('{'),
		      rb = _mm256_set1_epi8('}'), co = _mm256_set1_epi8(':'),
		      cm = _mm256_set1_epi8(',');
	for (int k = 0; k < 2; k++) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
		__m256i y = _mm256_or_si256(x, x20);
		uint64_t mq = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, cq));
		uint64_t mb = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, cb));
		uint64_t mw = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(
		    _mm256_or_si256(_mm256_cmpeq_epi8(x, sp), _mm256_cmpeq_epi8(x, nl)),
		    _mm256_or_si256(_mm256_cmpeq_epi8(x, cr), _mm256_cmpeq_epi8(x, tb))));
		uint64_t mo = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(
		    _mm256_or_si256(_mm256_cmpeq_epi8(y, lb), _mm256_cmpeq_epi8(y, rb)),
		    _mm256_or_si256(_mm256_cmpeq_epi8(x, co), _mm256_cmpeq_epi8(x, cm))));
		put(r, 32 * k, mq, mb, mw, mo);
	}
}
#endif

#ifdef TC_NEON
/* 16 compare results (0xff / 0) to 16 bits: and with the bit weights, add pairwise. */
static inline uint64_t neon_mask16(uint8x16_t m)
{
	static const uint8_t wt[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
	uint8x16_t x = vandq_u8(m, vld1q_u8(wt));
	uint8x8_t lo = vget_low_u8(x), hi = vget_high_u8(x);
	return (uint64_t)vaddv_u8(lo) | (uint64_t)vaddv_u8(hi) << 8;
}

static void classify_neon(const char *p, struct tc_jraw *r)
{
	memset(r, 0, sizeof(*r));
	for (int k = 0; k < 4; k++) {
		uint8x16_t x = vld1q_u8((const uint8_t *)p + 16 * k);
		uint8x16_t y = vorrq_u8(x, vdupq_n_u8(0x20));
		uint64_t mq = neon_mask16(vceqq_u8(x, vdupq_n_u8('"')));
		uint64_t mb = neon_mask16(vceqq_u8(x, vdupq_n_u8('\\')));
		uint64_t mw = neon_mask16(vorrq_u8(
		    vorrq_u8(vceqq_u8(x, vdupq_n_u8(' ')), vceqq_u8(x, vdupq_n_u8('\n'))),
		    vorrq_u8(vceqq_u8(x, vdupq_n_u8('\r')), vceqq_u8(x, vdupq_n_u8('\t')))));
		uint64_t mo = neon_mask16(
		    vorrq_u8(vorrq_u8(vceqq_u8(y, vdupq_n_u8('{')), vceqq_u8(y, vdupq_n_u8('}'))),
			     vorrq_u8(vceqq_u8(x, vdupq_n_u8(':')), vceqq_u8(x, vdupq_n_u8(',')))));
		put(r, 16 * k, mq, mb, mw, mo);
	}
}
#endif

/* ---- choosing a path -------------------------------------------------------------------- */

static const char *const path_names[TC_SIMD_N] = {"scalar", "sse2", "avx2", "neon"};

const char *tc_json_simd_name(int path)
{
	return path >= 0 && path < TC_SIMD_N ? path_names[path] : "?";
}

int tc_json_simd_available(int path)
{
	switch (path) {
	case TC_SIMD_SCALAR:
		return 1;
#ifdef TC_X86
	case TC_SIMD_SSE2:
		return __builtin_cpu_supports("sse2");
	case TC_SIMD_AVX2:
		return __builtin_cpu_supports("avx2");
#endif
#ifdef TC_NEON
	case TC_SIMD_NEON:
		return 1;
#endif
	default:
		return 0;
	}
}

int tc_json_simd_parse(const char *name)
{
	for (int i = 0; i < TC_SIMD_N; i++)
		if (name && strcmp(name, path_names[i]) == 0)
			return i;
	return -1;
}

/* The best path here, or the one $TRACECAST_SIMD names when it is available here (an
 * unknown or unavailable name falls back to the best: benchmarks and tests check
 * tc_json_simd_available first). Read each time: the environment is the caller's. */
int tc_json_simd_default(void)
{
	int forced = tc_json_simd_parse(getenv("TRACECAST_SIMD"));
	if (forced >= 0 && tc_json_simd_available(forced))
		return forced;
	for (int i = TC_SIMD_N - 1; i > 0; i--)
		if (tc_json_simd_available(i))
			return i;
	return TC_SIMD_SCALAR;
}

tc_json_classify_fn tc_json_classifier(int path)
{
	switch (tc_json_simd_available(path) ? path : TC_SIMD_SCALAR) {
#ifdef TC_X86
	case TC_SIMD_SSE2:
		return classify_sse2;
	case TC_SIMD_AVX2:
		return classify_avx2;
#endif
#ifdef TC_NEON
	case TC_SIMD_NEON:
		return classify_neon;
#endif
	default:
		return classify_scalar;
	}
}

/* ---- the shared bit logic ----------------------------------------------------------- */

/* Bytes escaped by a backslash: the byte after each odd-length run of backslashes
 * (simdjson's find_escaped). *prev: whether the first byte of this block is escaped. */
static uint64_t find_escaped(uint64_t bs, uint64_t *prev)
{
	const uint64_t even = 0x5555555555555555ull;
	bs &= ~*prev; /* an escaped backslash starts no run */
	uint64_t follows = bs << 1 | *prev;
	uint64_t odd_starts = bs & ~even & ~follows;
	uint64_t seq_even;
	*prev = __builtin_add_overflow(odd_starts, bs, &seq_even);
	uint64_t invert = seq_even << 1;
	return (even ^ invert) & follows;
}

#ifdef TC_X86
__attribute__((target("pclmul,sse2"))) static uint64_t prefix_xor_clmul(uint64_t x)
{
	__m128i v = _mm_set_epi64x(0, (long long)x);
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(v, _mm_set1_epi8((char)0xff), 0));
}
#endif

static uint64_t prefix_xor_shift(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

static uint64_t prefix_xor(uint64_t x, int clmul)
{
#ifdef TC_X86
	if (clmul)
		return prefix_xor_clmul(x);
#endif
	(void)clmul;
	return prefix_xor_shift(x);
}

void tc_jscan_init(struct tc_jscan *s, int path)
{
	memset(s, 0, sizeof(*s));
	s->classify = tc_json_classifier(path);
#ifdef TC_X86
	/* the carry-less multiply only with a vector path: scalar stays plain C throughout */
	s->clmul = path != TC_SIMD_SCALAR && __builtin_cpu_supports("pclmul");
#endif
}

void tc_jscan_block(struct tc_jscan *s, const char *p, struct tc_jblock *out)
{
	struct tc_jraw r;
	s->classify(p, &r);
	uint64_t escaped = find_escaped(r.bslash, &s->prev_escaped);
	uint64_t quote = r.quote & ~escaped;
	uint64_t in_str = prefix_xor(quote, s->clmul) ^ s->prev_in_string;
	s->prev_in_string = (uint64_t)((int64_t)in_str >> 63);
	/* scalar bytes: neither blank, operator nor quote; a scalar starts after a blank, an
	 * operator or a string's closing quote */
	uint64_t scalar = ~(r.ws | r.op | r.quote);
	uint64_t prev_sc = scalar << 1 | s->prev_scalar;
	s->prev_scalar = scalar >> 63;
	uint64_t starts = scalar & ~prev_sc;
	out->quote = quote;
	out->in_string = in_str;
	out->escaped = escaped;
	out->structural = ((r.op | starts) & ~in_str) | (quote & in_str);
}

size_t tc_json_index(int path, const char *buf, size_t n, uint32_t *idx, size_t cap,
		     int *in_string_at_end)
{
	struct tc_jscan s;
	struct tc_jblock b;
	char tail[64];
	size_t k = 0;
	tc_jscan_init(&s, path);
	for (size_t off = 0; off < n; off += 64) {
		const char *p = buf + off;
		if (n - off < 64) {
			/* the last block padded with blanks: they add no structure */
			memset(tail, ' ', sizeof(tail));
			memcpy(tail, p, n - off);
			p = tail;
		}
		tc_jscan_block(&s, p, &b);
		for (uint64_t m = b.structural; m; m &= m - 1) {
			if (k < cap)
				idx[k] = (uint32_t)(off + (size_t)__builtin_ctzll(m));
			k++;
		}
	}
	if (in_string_at_end)
		*in_string_at_end = (int)(s.prev_in_string & 1);
	return k;
}
