/* The varint and zigzag helpers every wire reader shares (.tcs columns, Input Dims, Chakra
 * and ONNX): encodings worked by hand, round trips at the edges, and the two failures a
 * reader must tell apart (cut by the end, longer than 10 bytes). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

Test(util_varint, known_encodings)
{
	uint8_t b[10];
	cr_assert_eq(tc_varint_put(b, 0), 1);
	cr_assert_eq(b[0], 0x00);
	cr_assert_eq(tc_varint_put(b, 127), 1);
	cr_assert_eq(b[0], 0x7f);
	/* 300 = 0b10_0101100: low 7 bits first with the continuation bit (protobuf's example) */
	cr_assert_eq(tc_varint_put(b, 300), 2);
	cr_assert_eq(b[0], 0xac);
	cr_assert_eq(b[1], 0x02);
	cr_assert_eq(tc_varint_put(b, UINT64_MAX), 10);
	cr_assert_eq(b[9], 0x01);
}

Test(util_varint, round_trip_at_the_edges)
{
	const uint64_t v[] = {
	    0, 1, 127, 128, 16383, 16384, (1ull << 35) - 1, 1ull << 35, UINT64_MAX - 1, UINT64_MAX};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t b[10];
		size_t n = tc_varint_put(b, v[i]);
		const uint8_t *p = b;
		uint64_t got = 0;
		cr_assert_eq(tc_varint_next(&p, b + n, &got), 0);
		cr_assert_eq(got, v[i]);
		cr_assert_eq(p, b + n, "reader stops right after the varint");
		size_t off = 0;
		cr_assert_eq(tc_varint_at(b, n, &off, &got), 0);
		cr_assert_eq(off, n);
		cr_assert_eq(got, v[i]);
	}
}

Test(util_varint, cut_and_overlong_fail_without_moving)
{
	uint8_t b[12];
	size_t n = tc_varint_put(b, 1ull << 40); /* 6 bytes */
	const uint8_t *p = b;
	uint64_t v = 7;
	cr_assert_eq(tc_varint_next(&p, b + n - 1, &v), -1, "cut by the end");
	cr_assert_eq(p, b, "position unchanged on failure");
	cr_assert_eq(v, 7);
	cr_assert_eq(tc_varint_next(&p, b, &v), -1, "empty input");
	memset(b, 0x80, sizeof(b)); /* continuation bits past 10 bytes */
	cr_assert_eq(tc_varint_next(&p, b + sizeof(b), &v), -1, "longer than 10 bytes");
	size_t off = 3;
	cr_assert_eq(tc_varint_at(b, sizeof(b), &off, &v), -1);
	cr_assert_eq(off, 3);
	off = 13;
	cr_assert_eq(tc_varint_at(b, sizeof(b), &off, &v), -1, "offset past the end");
}

Test(util_varint, zigzag)
{
	cr_assert_eq(tc_zigzag(0), 0);
	cr_assert_eq(tc_zigzag(-1), 1);
	cr_assert_eq(tc_zigzag(1), 2);
	cr_assert_eq(tc_zigzag(-2), 3);
	cr_assert_eq(tc_zigzag(INT64_MAX), UINT64_MAX - 1);
	cr_assert_eq(tc_zigzag(INT64_MIN), UINT64_MAX);
	const int64_t v[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_assert_eq(tc_unzigzag(tc_zigzag(v[i])), v[i]);
}
