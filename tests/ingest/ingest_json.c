/* Unit tests of the JSON scanner helpers (json.c): numbers without loss (sub-us timestamps,
 * ids above INT64_MAX), strings with escapes, malformed values refused at the right byte;
 * the inline fast paths (json_fast.h) against the scanner and byte-at-a-time references. */
#include <criterion/criterion.h>

#include "adapter.h"

static struct tc_jv val(const char *s)
{
	struct tc_jv v;
	const char *p = s;
	cr_assert_eq(tc_json_value(&p, s + strlen(s), &v), 0, "%s", s);
	return v;
}

Test(json, us_to_ns)
{
	int64_t ns;
	struct tc_jv v = val("1700000000000000.001");
	cr_assert_eq(tc_json_us_to_ns(&v, &ns), 0);
	cr_expect_eq(ns, 1700000000000000001LL); /* a double would give ...000000 */
	v = val("4458676523516.223");
	cr_assert_eq(tc_json_us_to_ns(&v, &ns), 0);
	cr_expect_eq(ns, 4458676523516223LL);
	v = val("97.58");
	tc_json_us_to_ns(&v, &ns);
	cr_expect_eq(ns, 97580);
	v = val("12");
	tc_json_us_to_ns(&v, &ns);
	cr_expect_eq(ns, 12000);
	v = val("0.0004");
	tc_json_us_to_ns(&v, &ns);
	cr_expect_eq(ns, 0); /* 0.4 ns rounds down */
	v = val("0.0015");
	tc_json_us_to_ns(&v, &ns);
	cr_expect_eq(ns, 2); /* 1.5 ns rounds half up */
	v = val("1.5e3");
	tc_json_us_to_ns(&v, &ns);
	cr_expect_eq(ns, 1500000);
	v = val("\"250\"");
	tc_json_us_to_ns(&v, &ns);
	cr_expect_eq(ns, 250000);
	v = val("99999999999999999999");
	cr_expect_lt(tc_json_us_to_ns(&v, &ns), 0); /* would overflow int64 ns */
	v = val("true");
	cr_expect_lt(tc_json_us_to_ns(&v, &ns), 0);
}

Test(json, integers)
{
	uint64_t u;
	int64_t i;
	struct tc_jv v = val("10159970886766084423");
	cr_assert_eq(tc_json_u64(&v, &u), 0);
	cr_expect_eq(u, 10159970886766084423ull);
	cr_expect_lt(tc_json_i64(&v, &i), 0); /* does not fit */
	v = val("18446744073709551616");
	cr_expect_lt(tc_json_u64(&v, &u), 0);
	v = val("-1");
	cr_assert_eq(tc_json_i64(&v, &i), 0);
	cr_expect_eq(i, -1);
	v = val("-9223372036854775808");
	cr_assert_eq(tc_json_i64(&v, &i), 0);
	cr_expect_eq(i, INT64_MIN);
	v = val("42.0");
	cr_assert_eq(tc_json_u64(&v, &u), 0);
	cr_expect_eq(u, 42u);
	v = val("42.5");
	cr_expect_lt(tc_json_u64(&v, &u), 0);
}

Test(json, strings_and_members)
{
	char buf[64];
	struct tc_jv v = val("\"a\\\"b\\u00e9\\n\\ud83d\\ude00\"");
	cr_expect_eq(v.esc, 1);
	tc_json_str(&v, buf, sizeof(buf));
	cr_expect_str_eq(buf, "a\"b\xc3\xa9\n\xf0\x9f\x98\x80");
	v = val("{\"x\": [1, {\"y\": null}], \"z\": \"w\"}");
	const char *it = v.p;
	struct tc_jv k, m;
	cr_assert_eq(tc_json_next_member(&it, v.p + v.n, &k, &m), 1);
	cr_expect(TC_JKEY(&k, "x"));
	cr_expect_eq(m.t, TC_J_ARR);
	cr_assert_eq(tc_json_next_member(&it, v.p + v.n, &k, &m), 1);
	cr_expect(TC_JKEY(&k, "z"));
	cr_expect_eq(m.t, TC_J_STR);
	cr_expect_eq(tc_json_next_member(&it, v.p + v.n, &k, &m), 0);
}

static void bad(const char *s, size_t at)
{
	struct tc_jv v;
	const char *p = s;
	cr_expect_lt(tc_json_value(&p, s + strlen(s), &v), 0, "accepted %s", s);
	cr_expect_eq((size_t)(p - s), at, "%s: stopped at %zu, want %zu", s, (size_t)(p - s), at);
}

Test(json, malformed)
{
	bad("{\"a\" 1}", 5);
	bad("[1,]", 3);
	bad("[1 2]", 3);
	bad("\"abc", 4);    /* unterminated: at the end */
	bad("\"a\\x\"", 2); /* bad escape */
	bad("\"\\u12g4\"", 1);
	bad("-", 1);
	bad("1.", 2);
	bad("tru", 0);
	bad("{\"a\":1", 6); /* truncated: at the end */
}

/* ---- the inline fast paths (json_fast.h) and the digit shortcuts against the plain
 * scanner and byte-at-a-time references, on generated input ---------------------------- */

#include "json_fast.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static unsigned rng(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

/* tc_json_us_to_ns before the eight-digit shortcut, one digit at a time */
static int ref_us_to_ns(const char *p, const char *e, int64_t *ns)
{
	int neg = 0, fd = 0;
	uint64_t ip = 0, frac = 0;
	if (p < e && *p == '-')
		neg = 1, p++;
	const char *s = p;
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (ip > (uint64_t)INT64_MAX / 10000)
			return -1;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -1;
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
			if (fd < 3)
				frac = frac * 10 + (uint64_t)(*p - '0'), fd++;
			else if (fd == 3)
				frac += *p >= '5', fd = 4;
		}
	}
	if (p != e)
		return 1; /* exponents and the rest: not compared */
	for (; fd < 3; fd++)
		frac *= 10;
	if (ip * 1000u + frac > (uint64_t)INT64_MAX)
		return -1;
	*ns = neg ? -(int64_t)(ip * 1000u + frac) : (int64_t)(ip * 1000u + frac);
	return 0;
}

Test(json_fast, numbers_as_the_digit_loops)
{
	static const char *edge[] = {"9223372036854775",
				     "9223372036854779",
				     "9223372036854780",
				     "922337203685477",
				     "99999999999999999",
				     "1.99995",
				     "0.0005",
				     "18446744073709551615",
				     "18446744073709551616",
				     "-0",
				     "00012"};
	char b[40];
	for (int it = 0; it < 400000; it++) {
		size_t n;
		if (it < (int)TC_ARRAY_LEN(edge)) {
			n = strlen(edge[it]);
			memcpy(b, edge[it], n);
		} else {
			n = rng(24);
			for (size_t i = 0; i < n; i++)
				b[i] = rng(12) ? (char)('0' + rng(10)) : "-.9"[rng(3)];
		}
		struct tc_jv v = {b, n, TC_J_NUM, 0};
		int64_t a = 0, r = 0;
		int ra = tc_json_us_to_ns(&v, &a), rr = ref_us_to_ns(b, b + n, &r);
		if (rr <= 0)
			cr_assert(ra == rr && (ra < 0 || a == r), "us_to_ns %.*s", (int)n, b);
		uint64_t u = 0, ur = 0;
		int ok = n > 0 && n <= 19;
		for (size_t i = 0; i < n; i++)
			ok &= b[i] >= '0' && b[i] <= '9';
		for (size_t i = 0; ok && i < n; i++)
			ur = ur * 10 + (uint64_t)(b[i] - '0');
		if (ok || (n && n <= 19 && !memchr(b, '.', n)))
			cr_assert(tc_json_u64(&v, &u) == (ok ? 0 : -1) && (!ok || u == ur),
				  "u64 %.*s", (int)n, b);
		if (tc_json_slice_int(b, n, &a) == 0)
			cr_assert(tc_json_i64(&v, &r) == 0 && a == r, "slice_int %.*s", (int)n, b);
	}
}

Test(json_fast, values_as_the_scanner)
{
	static const char al[] = "\"\\u0a9-.eE +{}[],:tfn\n";
	char b[48];
	for (int it = 0; it < 400000; it++) {
		size_t n = rng(40);
		for (size_t i = 0; i < n; i++)
			b[i] = rng(3) ? (char)('0' + rng(10)) : al[rng(sizeof(al) - 1)];
		if (n && rng(2))
			b[0] = "\"[-1 "[rng(5)];
		const char *p1 = b, *p2 = b;
		struct tc_jv v1 = {0}, v2 = {0};
		int r1 = tc_json_value_fast(&p1, b + n, &v1), r2 = tc_json_value(&p2, b + n, &v2);
		cr_assert(r1 == r2 && p1 == p2, "%.*s", (int)n, b);
		if (r1 == 0)
			cr_assert(v1.p == v2.p && v1.n == v2.n && v1.t == v2.t && v1.esc == v2.esc,
				  "%.*s", (int)n, b);
	}
}

/* Arrays the short loop takes must be what the container scanner takes, ending at the same
 * byte: the same text as an object member goes through the container scanner only. */
static void gen_value(char *b, size_t *n, int depth)
{
	static const char *leaf[] = {"1",    "-2",	   "0.5",    "1e3", "\"float\"",
				     "\"\"", "\"a\\\"b\"", "true",   "{}",  "-",
				     "1.",   "07",	   "[[[1]]]"};
	if (*n > 200)
		return;
	if (rng(3) == 0 && depth < 3) {
		b[(*n)++] = '[';
		for (unsigned i = 0, k = rng(4); i < k; i++) {
			if (i)
				b[(*n)++] = rng(5) ? ',' : ' ';
			if (rng(4) == 0)
				b[(*n)++] = ' ';
			gen_value(b, n, depth + 1);
		}
		b[(*n)++] = rng(12) ? ']' : ',';
		return;
	}
	const char *l = leaf[rng(TC_ARRAY_LEN(leaf))];
	memcpy(b + *n, l, strlen(l));
	*n += strlen(l);
}

Test(json_fast, arrays_as_the_container_scanner)
{
	char b[1024], o[1100];
	int accepted = 0;
	for (int it = 0; it < 200000; it++) {
		size_t n = 1;
		b[0] = '[';
		for (unsigned i = 0, k = rng(5); i < k; i++) {
			if (i)
				b[n++] = ',';
			gen_value(b, &n, 1);
		}
		b[n++] = ']';
		int m = snprintf(o, sizeof(o), "{\"a\":%.*s}", (int)n, b);
		const char *p1 = b, *p2 = o;
		struct tc_jv v1, v2;
		int r1 = tc_json_value(&p1, b + n, &v1), r2 = tc_json_value(&p2, o + m, &v2);
		cr_assert_eq(r1 == 0, r2 == 0, "%.*s", (int)n, b);
		if (r1 == 0) {
			cr_assert(v1.n == n && p1 == b + n && v1.t == TC_J_ARR, "%.*s", (int)n, b);
			accepted++;
		}
	}
	cr_expect_gt(accepted, 1000);
}

Test(json_fast, blanks_as_the_byte_loop)
{
	char b[48];
	for (int it = 0; it < 200000; it++) {
		size_t n = rng(40);
		for (size_t i = 0; i < n; i++)
			b[i] = rng(2) ? ' ' : "\n\t\r x\"{"[rng(7)];
		const char *r = b;
		while (r < b + n && TC_JSON_IS_WS(*r))
			r++;
		cr_assert(tc_json_skip_ws_long(b, b + n) == r && tc_json_skip_ws(b, b + n) == r,
			  "%.*s", (int)n, b);
	}
}
