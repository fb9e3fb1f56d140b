#include <criterion/criterion.h>
#include <locale.h>
#include <string.h>

#include "util.h"

Test(util_fmt, fixed_and_double)
{
	char b[64];
	cr_assert_str_eq(tc_fmt_fixed(b, sizeof(b), 1.23456, 2), "1.23");
	cr_assert_str_eq(tc_fmt_fixed(b, sizeof(b), -0.0001, 2), "0.00");
	cr_assert_str_eq(tc_fmt_double(b, sizeof(b), 0.1), "0.1");
	cr_assert_str_eq(tc_fmt_double(b, sizeof(b), 3.0), "3");
	cr_assert_str_eq(tc_fmt_double(b, sizeof(b), 1.0 / 3.0), "0.3333333333333333");
	cr_assert_str_eq(tc_fmt_double(b, sizeof(b), 1e300 * 1e300), "null");
}

Test(util_fmt, units)
{
	char b[64];
	cr_assert_str_eq(tc_fmt_ns(b, sizeof(b), 812), "812 ns");
	cr_assert_str_eq(tc_fmt_ns(b, sizeof(b), 3412), "3.412 us");
	cr_assert_str_eq(tc_fmt_ns(b, sizeof(b), 75180000), "75.180 ms");
	cr_assert_str_eq(tc_fmt_ns(b, sizeof(b), 2.31e9), "2.310 s");
	cr_assert_str_eq(tc_fmt_bytes(b, sizeof(b), 512), "512 B");
	cr_assert_str_eq(tc_fmt_bytes(b, sizeof(b), 1500), "1.50 KB");
	cr_assert_str_eq(tc_fmt_bytes(b, sizeof(b), 34.8e6), "34.8 MB");
}

Test(util_fmt, independent_of_locale)
{
	/* de_DE may not be installed; where it is, printf would write "1,5". */
	char b[64];
	const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
	if (!loc)
		loc = setlocale(LC_NUMERIC, "fr_FR.UTF-8");
	cr_assert_str_eq(tc_fmt_fixed(b, sizeof(b), 1.5, 1), "1.5");
	cr_assert_str_eq(tc_fmt_double(b, sizeof(b), 2.25), "2.25");
	setlocale(LC_NUMERIC, "C");
	if (!loc)
		cr_log_info(
		    "no comma-decimal locale installed: the locale half of this test ran in C");
}

Test(util_fmt, string_helpers)
{
	cr_assert(tc_str_endswith("a.json.gz", ".gz"));
	cr_assert_not(tc_str_endswith("gz", ".gz"));
	cr_assert_not_null(tc_strcasestr("ncclDevKernel_AllReduce", "allreduce"));
	cr_assert_null(tc_strcasestr("gemm", "conv"));
}

Test(names, short_kernel_names)
{
	/* issue 18: readable kernel names in text and HTML (the JSON keeps the full one) */
	const char *cases[][2] = {
	    {"void at::native::(anonymous namespace)::vectorized_elementwise_kernel<4, "
	     "at::native::AddFunctor<float>, at::detail::Array<char*, 3> >(int, "
	     "at::native::AddFunctor<float>, at::detail::Array<char*, 3>)",
	     "at::native::vectorized_elementwise_kernel<...>"},
	    {"ncclKernel_SendRecv_RING_SIMPLE_Sum_int8_t(ncclWorkElem)",
	     "ncclKernel_SendRecv_RING_SIMPLE_Sum_int8_t"},
	    {"Memcpy HtoD (Pinned -> Device)", "Memcpy HtoD (Pinned -> Device)"},
	    {"ampere_sgemm_32x32_sliced1x4_nn", "ampere_sgemm_32x32_sliced1x4_nn"},
	    {"void f<a<b>", "f<a<b>"}, /* unbalanced: the rest as it is */
	};
	char out[160];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tc_short_name(out, sizeof(out), cases[i][0]);
		cr_expect_str_eq(out, cases[i][1], "case %zu", i);
	}
	tc_short_name(out, 8, cases[0][0]); /* truncated, terminated */
	cr_expect_eq(strlen(out), 7);
}
