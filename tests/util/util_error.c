#include <criterion/criterion.h>
#include <string.h>

#include "util.h"

Test(util_error, set_and_wrap_build_a_cause_chain)
{
	struct tc_err err = TC_ERR_INIT;
	int rc = tc_err_set(&err, TC_EFORMAT, "zstd: %s", "corrupted block");
	cr_assert_eq(rc, TC_EFORMAT);
	rc = tc_err_wrap(&err, "chunk %d at byte %d", 3, 18231);
	cr_assert_eq(rc, TC_EFORMAT);
	tc_err_wrap(&err, "reading %s", "run.tcs");
	cr_assert_str_eq(err.msg, "reading run.tcs: chunk 3 at byte 18231: zstd: corrupted block");
}

Test(util_error, messages_are_one_line)
{
	struct tc_err err = TC_ERR_INIT;
	tc_err_set(&err, TC_EINVAL, "a\nb\tc");
	cr_assert_str_eq(err.msg, "a b c");
}

Test(util_error, wrap_without_cause_names_the_code)
{
	struct tc_err err = TC_ERR_INIT;
	err.code = TC_EIO;
	tc_err_wrap(&err, "x.json");
	cr_assert_str_eq(err.msg, "x.json: i/o error");
	cr_assert_str_eq(tc_err_name(TC_ETRUNC), "truncated input");
	cr_assert_str_eq(tc_err_name(12345), "unknown error");
}

Test(util_error, long_chains_truncate_safely)
{
	struct tc_err err = TC_ERR_INIT;
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	tc_err_set(&err, TC_EIO, "%s", big);
	tc_err_wrap(&err, "%s", big);
	cr_assert_eq(strlen(err.msg), TC_ERR_MSG_MAX - 1);
	cr_assert_eq(tc_err_set(NULL, TC_EIO, "dropped"), TC_EIO);
}

Test(util_error, wrap_does_not_repeat_the_context_already_named)
{
	/* issue 19: project printed "f.tcs: f.tcs: chunk 0: ..." */
	struct tc_err err = TC_ERR_INIT;
	tc_err_set(&err, TC_EFORMAT, "f.tcs: chunk 0: truncated record");
	cr_assert_eq(tc_err_wrap(&err, "%s", "f.tcs"), TC_EFORMAT);
	cr_assert_str_eq(err.msg, "f.tcs: chunk 0: truncated record");
	/* only a whole leading context counts */
	tc_err_wrap(&err, "f.tc");
	cr_assert_str_eq(err.msg, "f.tc: f.tcs: chunk 0: truncated record");
	tc_err_wrap(&err, "project");
	cr_assert_str_eq(err.msg, "project: f.tc: f.tcs: chunk 0: truncated record");
}
