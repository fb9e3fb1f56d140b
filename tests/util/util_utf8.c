/* Text from inputs: UTF-8 validity (RFC 3629), repair with U+FFFD, terminal-safe copies. */
#include <criterion/criterion.h>
#include <string.h>

#include "util.h"

Test(util_utf8, validity_follows_rfc3629)
{
	const char *good[] = {"",
			      "plain",
			      "caf\xc3\xa9",
			      "\xe2\x82\xac",
			      "\xf0\x9f\x98\x80",
			      "\xf4\x8f\xbf\xbf" /* U+10FFFF */,
			      "\xef\xbf\xbd"};
	const char *bad[] = {"\xff",
			     "\x80",
			     "\xc0\xaf" /* overlong */,
			     "\xe0\x80\xaf",
			     "\xed\xa0\x80" /* U+D800, CESU-8 */,
			     "\xf4\x90\x80\x80" /* > U+10FFFF */,
			     "\xc3" /* cut */,
			     "\xe2\x82",
			     "a\xc3(b"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(tc_utf8_valid(good[i], strlen(good[i])), "good[%zu]", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!tc_utf8_valid(bad[i], strlen(bad[i])), "bad[%zu]", i);
}

Test(util_utf8, fix_replaces_each_bad_byte)
{
	char out[64];
	cr_assert_eq(tc_utf8_fix(out, "a\xffz", 3), 5);
	cr_assert_str_eq(out, "a\xef\xbf\xbdz");
	tc_utf8_fix(out, "\xed\xa0\x80!", 4);
	cr_assert_str_eq(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
	tc_utf8_fix(out, "caf\xc3\xa9", 5);
	cr_assert_str_eq(out, "caf\xc3\xa9", "valid text is kept");
	cr_assert(tc_utf8_valid(out, strlen(out)));
}

Test(util_utf8, printable_neutralises_terminal_controls)
{
	char out[128];
	tc_str_printable(out, sizeof(out), "a\nb\tc\x1b[31mRED\x1b[0m\x7f\xc2\x9b\xff caf\xc3\xa9");
	cr_assert_str_eq(out, "a b c\\x1b[31mRED\\x1b[0m\\x7f\\xc2\\x9b\\xff caf\xc3\xa9");
	/* truncation keeps whole escapes and terminates */
	tc_str_printable(out, 8, "abc\x1b\x1b");
	cr_assert_str_eq(out, "abc\\x1b");
	/* errors go through it: one harmless line whatever the input */
	struct tc_err err = TC_ERR_INIT;
	tc_err_set(&err, TC_EFORMAT, "node '%s'", "x\x1b]0;title\x07y");
	cr_assert_str_eq(err.msg, "node 'x\\x1b]0;title\\x07y'");
	tc_err_wrap(&err, "m.onnx\n");
	cr_assert_str_eq(err.msg, "m.onnx : node 'x\\x1b]0;title\\x07y'");
}
