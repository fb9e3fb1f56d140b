/* Unit tests of the JSON scanner helpers (json.c): numbers without loss (sub-us timestamps,
 * ids above INT64_MAX), strings with escapes, malformed values refused at the right byte. */
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
