/* hw_test.h - helpers shared by the hwmodel tests: a temporary directory, a small test chip
 * with round numbers (so expected times can be worked out by hand), and spec files made from
 * it with one key changed. */
#ifndef TC_HW_TEST_H
#define TC_HW_TEST_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwmodel.h"

/* Test chip "tchip": 100 TFLOP/s bf16 and 50 fp32 on the matrix engine, 10 TFLOP/s fp32
 * vector, 1000 GB/s memory, flat efficiency 1.0 everywhere, 4 units of 128x128 tiles,
 * attention at 0.5 of the GEMM curve, min kernel 2 us; host link 10 GB/s at 0.5 with 1 us;
 * scale-up switch of 8 at 100 GB/s, eff 0.5, 1 us per step (ring); scale-out 10 GB/s,
 * eff 1.0, 10 us (auto: ring or tree); 100 W idle, 500 W TDP; $8766 over 1 year = $1/h, $0.1/kWh,
 * PUE 1.5. */
static const char TCHIP[] =
    "{\"name\": \"Test chip\", \"vendor\": \"test\","
    " \"compute\": {\"units\": 4,"
    "  \"matrix\": {\"peak_tflops\": {\"bf16\": 100, \"fp32\": 50}, \"efficiency\": [[1, 1.0]],"
    "              \"tile_m\": 128, \"tile_n\": 128, \"attention_efficiency\": 0.5},"
    "  \"vector\": {\"peak_tflops\": {\"fp32\": 10}, \"efficiency\": [[1, 1.0]]}},"
    " \"memory\": {\"hbm\": {\"capacity_gb\": 10, \"bw_gbs\": 1000, \"efficiency\": [[1, 1.0]]},"
    "            \"host\": {\"bw_gbs\": 10, \"latency_us\": 1, \"efficiency\": 0.5}},"
    " \"overheads\": {\"launch_us\": 4, \"min_kernel_us\": 2},"
    " \"network\": {\"scale_up\": {\"topology\": \"switch\", \"size\": 8, \"bw_gbs_per_device\": "
    "100,"
    "                            \"latency_us\": 1, \"efficiency\": 0.5},"
    "             \"scale_out\": {\"topology\": \"switch\", \"size\": 1024, \"bw_gbs_per_device\": "
    "10,"
    "                             \"latency_us\": 10, \"efficiency\": 1.0}},"
    " \"power\": {\"tdp_w\": 500, \"idle_w\": 100},"
    " \"cost\": {\"purchase_usd\": 8766, \"lifetime_years\": 1, \"usd_per_kwh\": 0.1, \"pue\": "
    "1.5},"
    " \"sources\": {\"memory.hbm\": \"made up for the tests\"}}";

static inline char *hwt_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *d = malloc(512);
	snprintf(d, 512, "%s/tc_hwtest.XXXXXX", base && base[0] ? base : "/tmp");
	cr_assert_not_null(mkdtemp(d));
	return d;
}

static inline char *hwt_write(const char *dir, const char *name, const char *text)
{
	char *p = malloc(1024);
	snprintf(p, 1024, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* Write TCHIP with the value at a dotted path replaced by value_json (NULL: removed). */
static inline char *hwt_write_mod(const char *dir, const char *name, const char *path,
				  const char *value_json)
{
	json_t *doc = json_loads(TCHIP, 0, NULL);
	cr_assert_not_null(doc);
	json_t *cur = doc;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	char *p = buf;
	for (char *dot; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
		*dot = 0;
		json_t *nx = json_object_get(cur, p);
		if (!nx) {
			nx = json_object();
			json_object_set_new(cur, p, nx);
		}
		cur = nx;
	}
	if (value_json)
		json_object_set_new(cur, p, json_loads(value_json, JSON_DECODE_ANY, NULL));
	else
		json_object_del(cur, p);
	char *text = json_dumps(doc, 0);
	char *out = hwt_write(dir, name, text);
	free(text);
	json_decref(doc);
	return out;
}

static inline void hwt_rmtree(char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(dir);
}

/* A temporary directory holding TCHIP as tchip.json, and its removal: a suite's fixture. */
static inline void hwt_tchip_setup(char **dir, char **path)
{
	*dir = hwt_mkdtemp();
	*path = hwt_write(*dir, "tchip.json", TCHIP);
}

static inline void hwt_tchip_teardown(char **dir, char **path)
{
	free(*path);
	hwt_rmtree(*dir);
	*path = *dir = NULL;
}

/* g_dir and g_path, with setup() and teardown() for a suite's .init and .fini */
#define HWT_TCHIP_FIXTURE                                                                          \
	static char *g_dir;                                                                        \
	static char *g_path;                                                                       \
	static void setup(void)                                                                    \
	{                                                                                          \
		hwt_tchip_setup(&g_dir, &g_path);                                                  \
	}                                                                                          \
	static void teardown(void)                                                                 \
	{                                                                                          \
		hwt_tchip_teardown(&g_dir, &g_path);                                               \
	}

static inline struct tc_hw *hwt_library(void)
{
	struct tc_hw *hw = NULL;
	struct tc_err err = TC_ERR_INIT;
	int rc = tc_hw_open(&hw, getenv("TC_SPECS"), &err);
	cr_assert_eq(rc, 0, "open: %s", err.msg);
	return hw;
}

static inline struct tc_chip *hwt_load(struct tc_hw *hw, const char *name, const char *const *sets,
				       size_t n)
{
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	int rc = tc_hw_load(hw, name, sets, n, &c, &err);
	cr_assert_eq(rc, 0, "load %s: %s", name, err.msg);
	return c;
}

#endif
