/* schema.c - the spec schema as a static tree, and validation of a JSON document against it:
 * unknown keys, wrong types, negative or absurd values, efficiency curves, required fields.
 * Every error names the file and the key path. docs/hwmodel.md lists the same fields. */
#include <math.h>
#include <string.h>

#include "hw_schema.h"

const char *const tc_hw_dt_keys[TC_HW_DT__COUNT] = {"fp64", "fp32", "tf32", "bf16",
						    "fp16", "fp8",  "int8", "fp4"};

static const char *const topologies[] = {"switch",  "mesh", "ring", "torus2d",
					 "torus3d", "pcie", NULL};
static const char *const algorithms[] = {"ring", "tree", "direct", "auto", NULL};

#define END                                                                                        \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL, NULL                                                       \
	}
#define NUM(k, f, lo, hi)                                                                          \
	{                                                                                          \
		k, TC_ST_NUM, f, lo, hi, NULL, NULL                                                \
	}
#define INT(k, f, lo, hi)                                                                          \
	{                                                                                          \
		k, TC_ST_INT, f, lo, hi, NULL, NULL                                                \
	}
#define STR(k, f)                                                                                  \
	{                                                                                          \
		k, TC_ST_STR, f, 0, 0, NULL, NULL                                                  \
	}
#define OBJ(k, f, kids)                                                                            \
	{                                                                                          \
		k, TC_ST_OBJ, f, 0, 0, kids, NULL                                                  \
	}

/* Lower bounds (issue 19): a rate, size or efficiency of 1e-12 passed "> 0" and made costs
 * overflow into fast, wrong answers. Each floor is far below any real device (and below the
 * shipped specs' smallest value by orders of magnitude), but keeps every op time of a real
 * trace well inside what the replay holds (2^61 ns). docs/hwmodel.md lists them. */
#define PEAK_MIN 1e-3	 /* TFLOP/s: 1 GFLOP/s */
#define BW_MIN 1.0	 /* GB/s, device memory */
#define LINK_BW_MIN 1e-2 /* GB/s, host link and network: 10 MB/s */
#define FRAC_MIN 1e-2	 /* efficiencies given as one number */

/* Peak dense TFLOP/s by dtype; 0 or absent = not supported. 100 PFLOP/s per device is absurd. */
#define PEAK(k) NUM(k, TC_SF_ZERO_OK, PEAK_MIN, 1e5)
static const struct tc_snode peaks[] = {PEAK("fp64"), PEAK("fp32"), PEAK("tf32"),
					PEAK("bf16"), PEAK("fp16"), PEAK("fp8"),
					PEAK("int8"), PEAK("fp4"),  END};

static const struct tc_snode matrix[] = {OBJ("peak_tflops", TC_SF_REQ, peaks),
					 {"efficiency", TC_ST_CURVE, TC_SF_REQ, 0, 0, NULL, NULL},
					 INT("tile_m", 0, 1, 4096),
					 INT("tile_n", 0, 1, 4096),
					 NUM("attention_efficiency", TC_SF_GT0, FRAC_MIN, 1),
					 END};

static const struct tc_snode vector[] = {OBJ("peak_tflops", TC_SF_REQ, peaks),
					 {"efficiency", TC_ST_CURVE, TC_SF_REQ, 0, 0, NULL, NULL},
					 END};

static const struct tc_snode compute[] = {
    NUM("clock_mhz", TC_SF_GT0, 1, 1e4), INT("units", TC_SF_REQ, 1, 1e6),  STR("unit_name", 0),
    OBJ("matrix", TC_SF_REQ, matrix),	 OBJ("vector", TC_SF_REQ, vector), END};

static const struct tc_snode hbm[] = {STR("type", 0),
				      NUM("capacity_gb", TC_SF_REQ | TC_SF_GT0, 1e-3, 1e5),
				      NUM("bw_gbs", TC_SF_REQ | TC_SF_GT0, BW_MIN, 1e6),
				      {"efficiency", TC_ST_CURVE, TC_SF_REQ, 0, 0, NULL, NULL},
				      END};

static const struct tc_snode l2[] = {NUM("capacity_mb", TC_SF_GT0, 1e-3, 1e5),
				     NUM("bw_gbs", TC_SF_GT0, BW_MIN, 1e6), END};

static const struct tc_snode host[] = {
    STR("type", 0), NUM("bw_gbs", TC_SF_REQ | TC_SF_GT0, LINK_BW_MIN, 1e4),
    NUM("latency_us", 0, 0, 1e4), NUM("efficiency", TC_SF_GT0, FRAC_MIN, 1), END};

static const struct tc_snode memory[] = {OBJ("hbm", TC_SF_REQ, hbm), OBJ("l2", 0, l2),
					 OBJ("host", TC_SF_REQ, host), END};

static const struct tc_snode overheads[] = {NUM("launch_us", TC_SF_REQ, 0, 1e5),
					    NUM("min_kernel_us", TC_SF_REQ, 0, 1e5),
					    NUM("collective_launch_us", 0, 0, 1e5), END};

static const struct tc_snode tier[] = {
    STR("name", 0),
    {"topology", TC_ST_ENUM, TC_SF_REQ, 0, 0, NULL, topologies},
    {"algorithm", TC_ST_ENUM, 0, 0, 0, NULL, algorithms},
    INT("size", TC_SF_REQ, 1, 1e7),
    NUM("bw_gbs_per_device", TC_SF_REQ | TC_SF_GT0, LINK_BW_MIN, 1e5),
    NUM("bw_gbs_per_peer", TC_SF_GT0, LINK_BW_MIN, 1e5),
    NUM("latency_us", TC_SF_REQ, 0, 1e5),
    NUM("efficiency", TC_SF_REQ | TC_SF_GT0, FRAC_MIN, 1),
    {"in_network_reduction", TC_ST_BOOL, 0, 0, 0, NULL, NULL},
    NUM("nics_per_device", TC_SF_GT0, 0.01, 64),
    NUM("oversubscription", 0, 1, 1000),
    INT("rails", 0, 0, 1024),
    END};

static const struct tc_snode network[] = {OBJ("scale_up", TC_SF_REQ, tier),
					  OBJ("scale_out", TC_SF_REQ, tier), END};

static const struct tc_snode power[] = {
    NUM("tdp_w", TC_SF_REQ | TC_SF_GT0, 1, 1e4), NUM("idle_w", TC_SF_REQ, 0, 1e4),
    NUM("pj_per_flop", 0, 0, 1e4), NUM("pj_per_byte", 0, 0, 1e5), END};

static const struct tc_snode cost[] = {NUM("purchase_usd", 0, 0, 1e7),
				       NUM("lifetime_years", TC_SF_GT0, 0.1, 50),
				       NUM("usd_per_kwh", 0, 0, 10),
				       NUM("pue", 0, 1, 5),
				       NUM("rent_usd_per_hour", 0, 0, 1e4),
				       NUM("utilisation", TC_SF_GT0, 0.01, 1),
				       {"estimate_purchase", TC_ST_BOOL, 0, 0, 0, NULL, NULL},
				       STR("rent_source", 0),
				       END};

/* Fitted op classes (tracecast calibrate): docs/hwmodel.md §2.3 */
static const struct tc_snode class_fit[] = {
    NUM("floor_us", 0, 0, 1e5),
    NUM("fixed_us", 0, 0, 1e5),
    NUM("efficiency", TC_SF_GT0, FRAC_MIN, 1),
    {"curve", TC_ST_BOOL, 0, 0, 0, NULL, NULL},
    /* residual spread of predicted / measured after the fit: the projection's band */
    NUM("p10", TC_SF_GT0, 1e-3, 1),
    NUM("p90", TC_SF_GT0, 1, 1e3),
    END};

static const struct tc_snode classes[] = {
    OBJ("gemm", 0, class_fit),	    OBJ("conv", 0, class_fit),
    OBJ("attention", 0, class_fit), OBJ("elementwise", 0, class_fit),
    OBJ("reduction", 0, class_fit), OBJ("norm", 0, class_fit),
    OBJ("softmax", 0, class_fit),   OBJ("embedding", 0, class_fit),
    OBJ("optimizer", 0, class_fit), END};

static const struct tc_snode root_kids[] = {STR("id", 0),
					    STR("name", 0),
					    STR("vendor", TC_SF_REQ),
					    STR("form_factor", 0),
					    INT("launch_year", 0, 1990, 2100),
					    STR("inherits", 0),
					    STR("notes", 0),
					    {"aliases", TC_ST_STRLIST, 0, 0, 0, NULL, NULL},
					    {"device_names", TC_ST_STRLIST, 0, 0, 0, NULL, NULL},
					    {"sources", TC_ST_SOURCES, 0, 0, 0, NULL, NULL},
					    OBJ("compute", TC_SF_REQ, compute),
					    OBJ("memory", TC_SF_REQ, memory),
					    OBJ("overheads", TC_SF_REQ, overheads),
					    OBJ("network", TC_SF_REQ, network),
					    OBJ("power", TC_SF_REQ, power),
					    OBJ("cost", 0, cost),
					    OBJ("classes", 0, classes),
					    END};

const struct tc_snode tc_hw_schema_root = {"", TC_ST_OBJ, 0, 0, 0, root_kids, NULL};

const struct tc_snode *tc_hw_schema_child(const struct tc_snode *node, const char *key, size_t len)
{
	if (!node || node->type != TC_ST_OBJ)
		return NULL;
	for (const struct tc_snode *k = node->kids; k->key; k++)
		if (strlen(k->key) == len && memcmp(k->key, key, len) == 0)
			return k;
	return NULL;
}

const struct tc_snode *tc_hw_schema_find(const char *path)
{
	const struct tc_snode *node = &tc_hw_schema_root;
	const char *p = path;
	while (node && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		node = tc_hw_schema_child(node, p, len);
		p += len;
		if (*p == '.')
			p++;
		if (dot && !*p)
			return NULL; /* trailing dot */
	}
	return node;
}

static const char *type_name(int t)
{
	switch (t) {
	case TC_ST_OBJ:
		return "an object";
	case TC_ST_NUM:
		return "a number";
	case TC_ST_INT:
		return "an integer";
	case TC_ST_STR:
		return "a string";
	case TC_ST_BOOL:
		return "true or false";
	case TC_ST_CURVE:
		return "a curve [[size, efficiency], ...]";
	case TC_ST_STRLIST:
		return "an array of strings";
	case TC_ST_SOURCES:
		return "an object of key path -> citation strings";
	case TC_ST_ENUM:
		return "one of the names listed in docs/hwmodel.md";
	}
	return "?";
}

static int check_curve(const char *file, const char *path, json_t *v, struct tc_err *err)
{
	size_t n = json_array_size(v);
	if (!json_is_array(v) || n == 0)
		return tc_err_set(err, TC_EFORMAT, "%s: %s: expected %s", file, path,
				  type_name(TC_ST_CURVE));
	if (n > TC_HW_CURVE_MAX)
		return tc_err_set(err, TC_EFORMAT, "%s: %s: at most %d points", file, path,
				  TC_HW_CURVE_MAX);
	double px = 0, pe = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *pt = json_array_get(v, i);
		if (!json_is_array(pt) || json_array_size(pt) != 2 ||
		    !json_is_number(json_array_get(pt, 0)) ||
		    !json_is_number(json_array_get(pt, 1)))
			return tc_err_set(err, TC_EFORMAT,
					  "%s: %s[%zu]: expected [size, efficiency]", file, path,
					  i);
		double x = json_number_value(json_array_get(pt, 0));
		double e = json_number_value(json_array_get(pt, 1));
		if (!(x > 0) || !isfinite(x))
			return tc_err_set(err, TC_EFORMAT, "%s: %s[%zu]: size must be > 0", file,
					  path, i);
		if (!(e > 0 && e <= 1))
			return tc_err_set(err, TC_EFORMAT,
					  "%s: %s[%zu]: efficiency must be in (0, 1]", file, path,
					  i);
		if (e < TC_HW_EFF_MIN)
			return tc_err_set(err, TC_EFORMAT,
					  "%s: %s[%zu]: efficiency must be >= %g (got %g)", file,
					  path, i, TC_HW_EFF_MIN, e);
		if (i > 0 && !(x > px))
			return tc_err_set(err, TC_EFORMAT, "%s: %s[%zu]: sizes must increase", file,
					  path, i);
		/* time = size / (peak * eff(size)) must not fall as size grows: with eff linear
		 * in ln(size), that holds when eff rises by at most eff_prev * ln(x/x_prev). */
		if (i > 0 && e - pe > pe * log(x / px) + 1e-9)
			return tc_err_set(
			    err, TC_EFORMAT,
			    "%s: %s[%zu]: efficiency rises too fast (a bigger op would "
			    "take less time); need e - %g <= %g * ln(%g / %g)",
			    file, path, i, pe, pe, x, px);
		px = x;
		pe = e;
	}
	return 0;
}

int tc_hw_check_value(const struct tc_snode *s, const char *file, const char *path, json_t *v,
		      struct tc_err *err)
{
	switch (s->type) {
	case TC_ST_NUM:
	case TC_ST_INT: {
		if (!json_is_number(v) || (s->type == TC_ST_INT && !json_is_integer(v)))
			return tc_err_set(err, TC_EFORMAT, "%s: %s: expected %s", file, path,
					  type_name(s->type));
		double x = json_number_value(v);
		if (!isfinite(x))
			return tc_err_set(err, TC_EFORMAT, "%s: %s: not a finite number", file,
					  path);
		if (x < 0 && s->min >= 0)
			return tc_err_set(err, TC_EFORMAT, "%s: %s: must not be negative (got %g)",
					  file, path, x);
		if ((s->flags & TC_SF_GT0) && !(x > 0))
			return tc_err_set(err, TC_EFORMAT, "%s: %s: must be > 0 (got %g)", file,
					  path, x);
		if (x < s->min && !((s->flags & TC_SF_ZERO_OK) && x == 0))
			return tc_err_set(err, TC_EFORMAT, "%s: %s: must be >= %g (got %g)%s", file,
					  path, s->min, x,
					  s->flags & TC_SF_ZERO_OK ? " or 0 for unsupported" : "");
		if (x > s->max)
			return tc_err_set(err, TC_EFORMAT, "%s: %s: %g is absurd (limit %g)", file,
					  path, x, s->max);
		return 0;
	}
	case TC_ST_STR:
		if (!json_is_string(v))
			return tc_err_set(err, TC_EFORMAT, "%s: %s: expected a string", file, path);
		return 0;
	case TC_ST_BOOL:
		if (!json_is_boolean(v))
			return tc_err_set(err, TC_EFORMAT, "%s: %s: expected true or false", file,
					  path);
		return 0;
	case TC_ST_ENUM:
		if (json_is_string(v))
			for (const char *const *e = s->enumv; *e; e++)
				if (strcmp(*e, json_string_value(v)) == 0)
					return 0;
		{
			char list[256] = "";
			size_t used = 0;
			for (const char *const *e = s->enumv; *e; e++) {
				int w = snprintf(list + used, sizeof(list) - used, "%s%s",
						 e == s->enumv ? "" : ", ", *e);
				if (w > 0 && used + (size_t)w < sizeof(list))
					used += (size_t)w;
			}
			return tc_err_set(err, TC_EFORMAT, "%s: %s: expected one of %s", file, path,
					  list);
		}
	case TC_ST_CURVE:
		return check_curve(file, path, v, err);
	case TC_ST_STRLIST:
		if (!json_is_array(v))
			return tc_err_set(err, TC_EFORMAT, "%s: %s: expected an array of strings",
					  file, path);
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return tc_err_set(err, TC_EFORMAT, "%s: %s[%zu]: expected a string",
						  file, path, i);
		return 0;
	case TC_ST_SOURCES: {
		if (!json_is_object(v))
			return tc_err_set(err, TC_EFORMAT, "%s: %s: expected %s", file, path,
					  type_name(TC_ST_SOURCES));
		const char *k;
		json_t *c;
		json_object_foreach(v, k, c)
		{
			if (!json_is_string(c))
				return tc_err_set(err, TC_EFORMAT, "%s: %s.%s: expected a string",
						  file, path, k);
			if (!tc_hw_schema_find(k) || !k[0])
				return tc_err_set(err, TC_EFORMAT,
						  "%s: %s: '%s' names no spec field", file, path,
						  k);
		}
		return 0;
	}
	case TC_ST_OBJ:
		break;
	}
	return 0;
}

int tc_hw_check_tree(const struct tc_snode *s, const char *file, const char *path, json_t *v,
		     int need_required, struct tc_err *err)
{
	if (s->type != TC_ST_OBJ)
		return tc_hw_check_value(s, file, path[0] ? path : "(root)", v, err);
	if (!json_is_object(v))
		return tc_err_set(err, TC_EFORMAT, "%s: %s: expected an object", file,
				  path[0] ? path : "(root)");
	char sub[256];
	const char *k;
	json_t *c;
	json_object_foreach(v, k, c)
	{
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", k);
		const struct tc_snode *ks = tc_hw_schema_child(s, k, strlen(k));
		if (!ks)
			return tc_err_set(err, TC_EFORMAT, "%s: %s: unknown key", file, sub);
		if (json_is_null(c) && !need_required)
			continue; /* a child's "remove the inherited value"; gone after the merge */
		TC_TRY(tc_hw_check_tree(ks, file, sub, c, need_required, err));
	}
	if (!need_required)
		return 0;
	for (const struct tc_snode *ks = s->kids; ks->key; ks++) {
		if (!(ks->flags & TC_SF_REQ) || json_object_get(v, ks->key))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", ks->key);
		return tc_err_set(err, TC_EFORMAT, "%s: %s: required field missing", file, sub);
	}
	return 0;
}
