/* hwmodel_spec.c - the spec library: shipped specs load, aliases, device-name matching,
 * inheritance, --set overrides, and every bad-spec case with its error naming the key. */
#include <math.h>

#include "hw_test.h"

/* ---- the shipped library ------------------------------------------------------------------ */

Test(spec, every_shipped_spec_loads)
{
	struct tc_hw *hw = hwt_library();
	const char *const *ids;
	size_t n = tc_hw_list(hw, &ids);
	/* issue #5 names 18 chips; a100-sxm4-40gb is the 19th (the corpus's A100-PG509-200);
	 * issue #13 adds the six GPUs of the NeuSight data */
	cr_assert_geq(n, 25);
	for (size_t i = 0; i < n; i++) {
		if (i)
			cr_assert_lt(strcmp(ids[i - 1], ids[i]), 0, "ids sorted");
		struct tc_chip *c = hwt_load(hw, ids[i], NULL, 0);
		cr_assert_str_eq(tc_chip_id(c), ids[i]);
		cr_assert_gt(tc_chip_mem_bw(c), 0);
		cr_assert_gt(tc_chip_tdp_w(c), 0);
		/* every number of a shipped spec has a citation (or says it is an assumption) */
		for (size_t k = 0; k < tc_chip_nfields(c); k++) {
			const char *path, *val, *src;
			cr_assert_eq(tc_chip_field(c, k, &path, &val, &src), 0);
			int hw_field =
			    !strncmp(path, "compute.", 8) || !strncmp(path, "memory.", 7) ||
			    !strncmp(path, "network.", 8) || !strncmp(path, "power.", 6) ||
			    !strncmp(path, "cost.", 5) || !strncmp(path, "overheads.", 10);
			if (hw_field && ((val[0] >= '0' && val[0] <= '9') || val[0] == '['))
				cr_assert(src[0], "%s: %s has no source", ids[i], path);
		}
		tc_chip_free(c);
	}
	tc_hw_free(hw);
}

Test(spec, required_chips_present)
{
	static const char *const want[] = {
	    "v100-sxm2", "a100-sxm4-80gb", "a100-pcie-40gb", "h100-sxm5", "h100-pcie",
	    "h200",	 "b200",	   "gb200",	     "l4",	  "l40s",
	    "mi250x",	 "mi300x",	   "mi325x",	     "tpu-v5e",	  "tpu-v5p",
	    "tpu-v6e",	 "gaudi2",	   "gaudi3",	     "p4",	  "p100-pcie",
	    "t4",	 "v100-pcie-32gb", "mi100",	     "mi210"};
	struct tc_hw *hw = hwt_library();
	for (size_t i = 0; i < TC_ARRAY_LEN(want); i++)
		cr_assert_str_eq(tc_hw_canonical_id(hw, want[i]), want[i]);
	tc_hw_free(hw);
}

Test(spec, numbers_match_the_datasheet)
{
	/* hardware-facts.md §1-§2: H100 SXM bf16 989.4 TF, 3350 GB/s; MI300X 1307.4 TF,
	 * 5300 GB/s; V100 has no bf16 (0). */
	struct tc_hw *hw = hwt_library();
	struct tc_chip *h = hwt_load(hw, "h100-sxm5", NULL, 0);
	cr_assert_float_eq(tc_chip_peak_flops(h, TC_DT_BF16, 1), 989.4e12, 1e3);
	cr_assert_float_eq(tc_chip_mem_bw(h), 3350e9, 1);
	struct tc_chip *m = hwt_load(hw, "mi300x", NULL, 0);
	cr_assert_float_eq(tc_chip_peak_flops(m, TC_DT_BF16, 1), 1307.4e12, 1e3);
	cr_assert_float_eq(tc_chip_mem_bw(m), 5300e9, 1);
	struct tc_chip *v = hwt_load(hw, "v100-sxm2", NULL, 0);
	cr_assert_eq(tc_chip_peak_flops(v, TC_DT_BF16, 1), 0);
	cr_assert_float_eq(tc_chip_peak_flops(v, TC_DT_F16, 1), 125e12, 1e3);
	tc_chip_free(h);
	tc_chip_free(m);
	tc_chip_free(v);
	tc_hw_free(hw);
}

Test(spec, fp32_paths_of_the_neusight_gpus)
{
	/* fp32 GEMMs: Pascal, Turing and Volta have no fp32 tensor path, so they run on the CUDA
	 * cores at the datasheet's single-precision rate; A100 has TF32 tensor cores (156 TF) but
	 * PyTorch >= 1.12 leaves torch.backends.cuda.matmul.allow_tf32 off, and the NeuSight
	 * tables show ampere_sgemm kernels, so fp32 must not pick the TF32 column; MI100/MI210
	 * run fp32 GEMMs on their matrix cores (46.1 / 45.3 TF). */
	static const struct {
		const char *id;
		double fp32_vec, fp32_gemm, bw;
	} t[] = {
	    {"p4", 5.5e12, 5.5e12, 192e9},
	    {"p100-pcie", 9.3e12, 9.3e12, 732e9},
	    {"t4", 8.1e12, 8.1e12, 320e9},
	    {"v100-pcie-32gb", 14e12, 14e12, 900e9},
	    {"a100-pcie-40gb", 19.5e12, 19.5e12, 1555e9},
	    {"mi100", 23.1e12, 46.1e12, 1228.8e9},
	    {"mi210", 22.6e12, 45.3e12, 1638.4e9},
	};
	struct tc_hw *hw = hwt_library();
	for (size_t i = 0; i < TC_ARRAY_LEN(t); i++) {
		struct tc_chip *c = hwt_load(hw, t[i].id, NULL, 0);
		cr_assert_float_eq(tc_chip_peak_flops(c, TC_DT_F32, 0), t[i].fp32_vec, 1e3, "%s",
				   t[i].id);
		cr_assert_float_eq(tc_chip_mem_bw(c), t[i].bw, 1, "%s", t[i].id);
		/* 4096^3 fp32 GEMM: compute-bound everywhere; its time gives the rate used */
		struct tc_hw_op op = {.op_class = TC_CLASS_GEMM,
				      .dtype = TC_DT_F32,
				      .kind = TC_KIND_KERNEL,
				      .has_work = 1,
				      .m = 4096,
				      .n = 4096,
				      .k = 4096,
				      .batch = 1};
		op.flops = 2ull * 4096 * 4096 * 4096;
		op.bytes_read = 2ull * 4096 * 4096 * 4;
		op.bytes_written = 4096ull * 4096 * 4;
		struct tc_hw_cost r;
		cr_assert_eq(tc_hw_op_cost(c, &op, &r), 0);
		cr_assert_eq(r.bound, TC_BOUND_COMPUTE, "%s", t[i].id);
		cr_assert_eq(r.dtype_fallback, 0, "%s", t[i].id);
		cr_assert_eq(r.dtype_used, 1 /* fp32 column, not tf32 */, "%s", t[i].id);
		double rate = (double)op.flops / (r.ns * 1e-9);
		/* the rate used is the fp32 GEMM peak times the curve's top (<= 1, >= 0.7) */
		cr_assert_leq(rate, t[i].fp32_gemm * 1.0001, "%s: %g", t[i].id, rate);
		cr_assert_geq(rate, t[i].fp32_gemm * 0.7, "%s: %g", t[i].id, rate);
		tc_chip_free(c);
	}
	tc_hw_free(hw);
}

Test(spec, aliases_and_case)
{
	struct tc_hw *hw = hwt_library();
	cr_assert_str_eq(tc_hw_canonical_id(hw, "h100"), "h100-sxm5");
	cr_assert_str_eq(tc_hw_canonical_id(hw, "H100"), "h100-sxm5");
	cr_assert_str_eq(tc_hw_canonical_id(hw, "mi300"), "mi300x");
	cr_assert_str_eq(tc_hw_canonical_id(hw, "a100"), "a100-sxm4-80gb");
	cr_assert_null(tc_hw_canonical_id(hw, "h900"));
	struct tc_chip *c = hwt_load(hw, "H100", NULL, 0);
	cr_assert_str_eq(tc_chip_id(c), "h100-sxm5");
	tc_chip_free(c);
	tc_hw_free(hw);
}

Test(spec, unknown_chip_lists_close_matches)
{
	struct tc_hw *hw = hwt_library();
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_hw_load(hw, "h10", NULL, 0, &c, &err), TC_ENOTFOUND);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, "unknown chip 'h10'"), "%s", err.msg);
	cr_assert(strstr(err.msg, "h100-sxm5"), "%s", err.msg);
	cr_assert(strstr(err.msg, "h100-pcie"), "%s", err.msg);
	cr_assert_eq(tc_hw_load(hw, "zzzzzzzz", NULL, 0, &c, &err), TC_ENOTFOUND);
	cr_assert(strstr(err.msg, "hw list"), "%s", err.msg);
	tc_hw_free(hw);
}

Test(spec, match_device_names)
{
	static const struct {
		const char *name, *id;
	} table[] = {
	    {"NVIDIA H100 80GB HBM3", "h100-sxm5"},
	    {"NVIDIA A100-SXM4-80GB", "a100-sxm4-80gb"},
	    {"NVIDIA A100-PG509-200", "a100-sxm4-40gb"}, /* 40 GB SXM4 board (42.3e9 B) */
	    {"Tesla V100-SXM2-32GB", "v100-sxm2"},
	    {"Tesla V100-DGXS-32GB", "v100-sxm2"},
	    {"AMD Instinct MI300X VF", "mi300x"},
	    {"AMD Instinct MI300X", "mi300x"},
	    {"NVIDIA B200", "b200"},
	    {"NVIDIA GB200", "gb200"}, /* not b200: whole tokens only */
	    {"NVIDIA L40S", "l40s"},   /* not l4 */
	    {"NVIDIA L4", "l4"},
	    {"NVIDIA H100 PCIe", "h100-pcie"},
	    {"NVIDIA H200", "h200"},
	    {"AMD Instinct MI325X", "mi325x"},
	    {"TPU v5 lite", "tpu-v5e"},
	    /* the device names of the NeuSight tables (torch.cuda.get_device_name) */
	    {"Tesla P4", "p4"},
	    {"Tesla P100-PCIE-16GB", "p100-pcie"},
	    {"Tesla T4", "t4"},
	    {"Tesla V100-PCIE-32GB", "v100-pcie-32gb"}, /* not the SXM2 board */
	    {"NVIDIA A100-PCIE-40GB", "a100-pcie-40gb"},
	    {"AMD Instinct MI100", "mi100"},
	    {"AMD Instinct MI210", "mi210"},
	    {"AMD Radeon Graphics", NULL}, /* MI250 traces: the name does not identify the chip */
	    {"", NULL},
	    {"NVIDIA GeForce RTX 3090", NULL},
	};
	struct tc_hw *hw = hwt_library();
	for (size_t i = 0; i < TC_ARRAY_LEN(table); i++) {
		const char *got = tc_hw_match_device(hw, table[i].name);
		if (table[i].id)
			cr_assert(got && strcmp(got, table[i].id) == 0, "%s -> %s", table[i].name,
				  got ? got : "NULL");
		else
			cr_assert_null(got, "%s -> %s", table[i].name, got);
	}
	cr_assert_null(tc_hw_match_device(hw, NULL));
	tc_hw_free(hw);
}

/* ---- inheritance and overrides ------------------------------------------------------------ */

Test(spec, hypothetical_chip_in_five_lines)
{
	struct tc_hw *hw = hwt_library();
	char *dir = hwt_mkdtemp();
	char *p = hwt_write(dir, "h100-6tb.json",
			    "{\"inherits\": \"h100-sxm5\",\n \"name\": \"H100 with 6 TB/s\",\n"
			    " \"memory\": {\"hbm\": {\"bw_gbs\": 6000}}}\n");
	struct tc_chip *c = hwt_load(hw, p, NULL, 0);
	cr_assert_str_eq(tc_chip_id(c), "h100-6tb");
	cr_assert_str_eq(tc_chip_name(c), "H100 with 6 TB/s");
	cr_assert_float_eq(tc_chip_mem_bw(c), 6000e9, 1);
	/* everything else from h100-sxm5.json: 989.4 bf16, 80 GB, 700 W */
	cr_assert_float_eq(tc_chip_peak_flops(c, TC_DT_BF16, 1), 989.4e12, 1e3);
	cr_assert_str_eq(tc_chip_get(c, "memory.hbm.capacity_gb", NULL), "80");
	cr_assert_float_eq(tc_chip_tdp_w(c), 700, 1e-9);
	/* the changed number loses the datasheet citation, the kept ones keep it */
	const char *src = NULL;
	tc_chip_get(c, "memory.hbm.bw_gbs", &src);
	cr_assert(strstr(src, "h100-6tb.json"), "%s", src);
	tc_chip_get(c, "memory.hbm.capacity_gb", &src);
	cr_assert(strstr(src, "[gk-h100]"), "%s", src);
	/* identity is not inherited */
	cr_assert_null(tc_chip_get(c, "aliases", NULL));
	cr_assert_null(tc_chip_get(c, "device_names", NULL));
	tc_chip_free(c);
	free(p);
	hwt_rmtree(dir);
	tc_hw_free(hw);
}

Test(spec, null_removes_inherited_value)
{
	struct tc_hw *hw = hwt_library();
	struct tc_chip *c = hwt_load(hw, "h100-pcie", NULL, 0);
	/* h100-pcie.json sets cost.purchase_usd to null: the SXM price must not carry over */
	cr_assert_null(tc_chip_get(c, "cost.purchase_usd", NULL));
	cr_assert_str_eq(tc_chip_get(c, "memory.hbm.bw_gbs", NULL), "2000");
	tc_chip_free(c);
	tc_hw_free(hw);
}

Test(spec, set_overrides)
{
	struct tc_hw *hw = hwt_library();
	const char *sets[] = {"memory.hbm.bw_gbs=6000", "compute.bf16.tflops=2000",
			      "network.scale_up.topology=ring", "cost.rent_usd_per_hour=1.5"};
	struct tc_chip *c = hwt_load(hw, "h100", sets, 4);
	cr_assert_float_eq(tc_chip_mem_bw(c), 6000e9, 1);
	cr_assert_float_eq(tc_chip_peak_flops(c, TC_DT_BF16, 1), 2000e12, 1e3);
	cr_assert_str_eq(tc_chip_get(c, "network.scale_up.topology", NULL), "\"ring\"");
	const char *src = NULL;
	tc_chip_get(c, "memory.hbm.bw_gbs", &src);
	cr_assert_str_eq(src, "--set memory.hbm.bw_gbs=6000");
	/* a set reaches a field the spec did not have (mi250x has no cost section) */
	const char *s2[] = {"cost.rent_usd_per_hour=3"};
	struct tc_chip *m = hwt_load(hw, "mi250x", s2, 1);
	cr_assert(tc_chip_has_cost(m));
	/* 3 $/h for one hour, energy irrelevant with rent */
	cr_assert_float_eq(tc_chip_dollars(m, 3600e9, 1e9), 3.0, 1e-9);
	tc_chip_free(m);
	tc_chip_free(c);
	tc_hw_free(hw);
}

static void expect_set_error(const char *set, const char *what)
{
	struct tc_hw *hw = hwt_library();
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	const char *sets[] = {set};
	int rc = tc_hw_load(hw, "h100-sxm5", sets, 1, &c, &err);
	cr_assert_lt(rc, 0, "--set %s accepted", set);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, what), "--set %s: '%s' lacks '%s'", set, err.msg, what);
	tc_hw_free(hw);
}

Test(spec, bad_sets)
{
	expect_set_error("memory.hbm.bw_gbs=-5", "memory.hbm.bw_gbs: must not be negative");
	expect_set_error("memory.hbm.bw_gbs=0", "memory.hbm.bw_gbs: must be > 0");
	expect_set_error("memory.hbm.bw_gbs=abc", "memory.hbm.bw_gbs: expected a number");
	expect_set_error("memory.hbm.bwgbs=1", "memory.hbm.bwgbs: unknown key path");
	expect_set_error("memory.hbm=1", "memory.hbm: is an object");
	expect_set_error("nokey", "expected key.path=value");
	expect_set_error("=3", "expected key.path=value");
	expect_set_error("network.scale_up.topology=star", "expected one of switch, mesh");
	expect_set_error("compute.units=1.5", "compute.units: expected an integer");
	expect_set_error("power.idle_w=900", "power.idle_w");
	expect_set_error("memory.hbm.bw_gbs=1e9", "absurd");
	/* issue 19: positive but below any device, these made costs overflow into a "speedup" */
	expect_set_error("memory.hbm.bw_gbs=1e-12", "memory.hbm.bw_gbs: must be >= 1 (got 1e-12)");
	expect_set_error("memory.hbm.bw_gbs=1e-9", "memory.hbm.bw_gbs: must be >= 1 (got 1e-09)");
	expect_set_error("compute.bf16.tflops=1e-300",
			 "compute.matrix.peak_tflops.bf16: must be >= 0.001 (got 1e-300) or 0");
	expect_set_error("compute.matrix.efficiency=[[1,1e-9]]",
			 "compute.matrix.efficiency[0]: efficiency must be >= 0.001 (got 1e-09)");
	expect_set_error("network.scale_out.bw_gbs_per_device=1e-6",
			 "network.scale_out.bw_gbs_per_device: must be >= 0.01");
	expect_set_error("network.scale_up.efficiency=1e-5",
			 "network.scale_up.efficiency: must be >= 0.01");
	expect_set_error("memory.host.bw_gbs=1e-300", "memory.host.bw_gbs: must be >= 0.01");
	expect_set_error("compute.clock_mhz=1e-3", "compute.clock_mhz: must be >= 1");
	expect_set_error("power.tdp_w=1e-9", "power.tdp_w: must be >= 1");
}

Test(spec, physical_floors_are_inclusive)
{
	/* the floors themselves pass, as does 0 for a peak (the dtype is not supported) */
	const char *sets[] = {
	    "memory.hbm.bw_gbs=1", "compute.fp64.tflops=0.001", "compute.matrix.peak_tflops.fp4=0",
	    "network.scale_out.efficiency=0.01", "compute.matrix.efficiency=[[1,0.001]]"};
	struct tc_hw *hw = hwt_library();
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct tc_chip *c = NULL;
		struct tc_err err = TC_ERR_INIT;
		cr_assert_eq(tc_hw_load(hw, "h100-sxm5", &sets[i], 1, &c, &err), 0, "%s: %s",
			     sets[i], err.msg);
		tc_chip_free(c);
	}
	tc_hw_free(hw);
}

/* ---- bad spec files ----------------------------------------------------------------------- */

static void expect_file_error(const char *path, const char *value_json, const char *what)
{
	char *dir = hwt_mkdtemp();
	char *p = hwt_write_mod(dir, "bad.json", path, value_json);
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	int rc = tc_hw_load(NULL, p, NULL, 0, &c, &err);
	cr_assert_lt(rc, 0, "%s=%s accepted", path, value_json ? value_json : "(removed)");
	cr_assert_null(c);
	cr_assert(strstr(err.msg, "bad.json"), "no file in '%s'", err.msg);
	cr_assert(strstr(err.msg, what), "'%s' lacks '%s'", err.msg, what);
	free(p);
	hwt_rmtree(dir);
}

Test(spec, test_chip_is_valid)
{
	char *dir = hwt_mkdtemp();
	char *p = hwt_write(dir, "tchip.json", TCHIP);
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_hw_load(NULL, p, NULL, 0, &c, &err), 0, "%s", err.msg);
	cr_assert_str_eq(tc_chip_id(c), "tchip");
	tc_chip_free(c);
	free(p);
	hwt_rmtree(dir);
}

Test(spec, bad_files)
{
	expect_file_error("compute.matrix.peak_tflop", "1",
			  "compute.matrix.peak_tflop: unknown key");
	expect_file_error("memory.hbm.bw_gbs", "\"fast\"", "memory.hbm.bw_gbs: expected a number");
	expect_file_error("power.tdp_w", "-1", "power.tdp_w: must not be negative");
	expect_file_error("memory.hbm.bw_gbs", "1e9", "memory.hbm.bw_gbs: 1e+09 is absurd");
	expect_file_error("compute.matrix.peak_tflops.bf16", "1e6", "peak_tflops.bf16");
	expect_file_error("memory.hbm.bw_gbs", NULL, "memory.hbm.bw_gbs: required field missing");
	expect_file_error("network.scale_out", NULL, "network.scale_out: required field missing");
	expect_file_error("vendor", NULL, "vendor: required field missing");
	expect_file_error("compute.units", "1.5", "compute.units: expected an integer");
	expect_file_error("network.scale_up.topology", "\"star\"", "network.scale_up.topology");
	expect_file_error("network.scale_up.efficiency", "1.5", "network.scale_up.efficiency");
	expect_file_error("compute.matrix.efficiency", "[[0.1, 0.1], [1, 0.9]]",
			  "compute.matrix.efficiency[1]: efficiency rises too fast");
	expect_file_error("compute.matrix.efficiency", "[[1, 0.5], [1, 0.6]]",
			  "compute.matrix.efficiency[1]: sizes must increase");
	expect_file_error("memory.hbm.efficiency", "[[1, 1.5]]", "memory.hbm.efficiency[0]");
	expect_file_error("memory.hbm.efficiency", "[]", "memory.hbm.efficiency: expected a curve");
	expect_file_error("memory.hbm.efficiency", "[[0, 0.5]]", "size must be > 0");
	expect_file_error("power.idle_w", "600", "power.idle_w: 600 W exceeds tdp_w");
	expect_file_error("aliases", "\"h100\"", "aliases: expected an array of strings");
	expect_file_error("compute.matrix.peak_tflops", "{\"bf16\": 0}", "no dtype with a peak");
	expect_file_error("network.scale_out.size", "4", "network.scale_out.size");
	expect_file_error("memory.host.bw_gbs", "true", "memory.host.bw_gbs: expected a number");
	expect_file_error("network.scale_up.in_network_reduction", "1", "expected true or false");
	expect_file_error("memory.hbm.capacity_gb", "null",
			  "memory.hbm.capacity_gb: expected a number");
	expect_file_error("memory.hbm.bw_gbs", "1e-308",
			  "memory.hbm.bw_gbs: must be >= 1 (got 1e-308)");
	expect_file_error("memory.hbm.efficiency", "[[1, 1e-308]]",
			  "memory.hbm.efficiency[0]: efficiency must be >= 0.001");
}

Test(spec, bad_sources_key)
{
	char *dir = hwt_mkdtemp();
	json_t *doc = json_loads(TCHIP, 0, NULL);
	json_object_set_new(json_object_get(doc, "sources"), "memory.hbm.bandwidth",
			    json_string("x"));
	char *text = json_dumps(doc, 0);
	char *p = hwt_write(dir, "bad.json", text);
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_lt(tc_hw_load(NULL, p, NULL, 0, &c, &err), 0);
	cr_assert(strstr(err.msg, "bad.json: sources: 'memory.hbm.bandwidth' names no spec field"),
		  "%s", err.msg);
	free(text);
	json_decref(doc);
	free(p);
	hwt_rmtree(dir);
}

Test(spec, malformed_json_and_missing_file)
{
	char *dir = hwt_mkdtemp();
	char *p = hwt_write(dir, "bad.json", "{\"name\": \"x\",\n \"vendor\": }\n");
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_hw_load(NULL, p, NULL, 0, &c, &err), TC_EFORMAT);
	cr_assert(strstr(err.msg, "bad.json: line 2"), "%s", err.msg);
	char *q = hwt_write(dir, "dup.json", "{\"vendor\": \"a\", \"vendor\": \"b\"}");
	cr_assert_eq(tc_hw_load(NULL, q, NULL, 0, &c, &err), TC_EFORMAT);
	cr_assert(strstr(err.msg, "dup.json"), "%s", err.msg);
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/none.json", dir);
	cr_assert_lt(tc_hw_load(NULL, missing, NULL, 0, &c, &err), 0);
	cr_assert(strstr(err.msg, "none.json"), "%s", err.msg);
	free(p);
	free(q);
	hwt_rmtree(dir);
}

Test(spec, inheritance_cycles)
{
	char *dir = hwt_mkdtemp();
	char *a = hwt_write(dir, "a.json", "{\"inherits\": \"b.json\", \"name\": \"a\"}");
	char *b = hwt_write(dir, "b.json", "{\"inherits\": \"a.json\", \"name\": \"b\"}");
	char *s = hwt_write(dir, "self.json", "{\"inherits\": \"./self.json\"}");
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_hw_load(NULL, a, NULL, 0, &c, &err), TC_EFORMAT);
	cr_assert(strstr(err.msg, "inherits: cycle a.json -> b.json -> a.json"), "%s", err.msg);
	cr_assert_eq(tc_hw_load(NULL, s, NULL, 0, &c, &err), TC_EFORMAT);
	cr_assert(strstr(err.msg, "cycle self.json -> self.json"), "%s", err.msg);
	free(a);
	free(b);
	free(s);
	hwt_rmtree(dir);
}

Test(spec, unknown_parent)
{
	struct tc_hw *hw = hwt_library();
	char *dir = hwt_mkdtemp();
	char *p = hwt_write(dir, "x.json", "{\"inherits\": \"h10\"}");
	struct tc_chip *c = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_hw_load(hw, p, NULL, 0, &c, &err), TC_ENOTFOUND);
	cr_assert(strstr(err.msg, "x.json: inherits: unknown chip 'h10' (did you mean:"), "%s",
		  err.msg);
	free(p);
	hwt_rmtree(dir);
	tc_hw_free(hw);
}

Test(spec, library_rejects_clashes)
{
	char *dir = hwt_mkdtemp();
	char *p = hwt_write(dir, "one.json", "{\"vendor\": \"x\", \"aliases\": [\"same\"]}");
	char *q = hwt_write(dir, "two.json", "{\"vendor\": \"x\", \"aliases\": [\"same\"]}");
	struct tc_hw *hw = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_lt(tc_hw_open(&hw, dir, &err), 0);
	cr_assert_null(hw);
	cr_assert(strstr(err.msg, "name 'same' also used by"), "%s", err.msg);
	free(q);
	q = hwt_write(dir, "two.json", "{\"id\": \"three\", \"vendor\": \"x\"}");
	cr_assert_lt(tc_hw_open(&hw, dir, &err), 0);
	cr_assert(strstr(err.msg, "two.json: id: must equal the file name 'two'"), "%s", err.msg);
	free(p);
	free(q);
	hwt_rmtree(dir);
}

Test(spec, print_json_is_canonical)
{
	struct tc_hw *hw = hwt_library();
	struct tc_chip *a = hwt_load(hw, "h200", NULL, 0);
	struct tc_chip *b = hwt_load(hw, "h200", NULL, 0);
	char *ba = NULL, *bb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&ba, &la), *fb = open_memstream(&bb, &lb);
	cr_assert_eq(tc_chip_print_json(a, fa), 0);
	cr_assert_eq(tc_chip_print_json(b, fb), 0);
	fclose(fa);
	fclose(fb);
	cr_assert_eq(la, lb);
	cr_assert_str_eq(ba, bb);
	cr_assert(strstr(ba, "\"sources\""));
	cr_assert(strstr(ba, "\"bw_gbs\": 4800"), "h200.json: 4800 GB/s");
	char *ca = tc_chip_config_json(a);
	cr_assert_null(strstr(ca, "sources"));
	free(ca);
	free(ba);
	free(bb);
	tc_chip_free(a);
	tc_chip_free(b);
	tc_hw_free(hw);
}
