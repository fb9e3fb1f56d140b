/* cmd_hw.c - `tracecast hw list|show|compare|coll`: look at the chip spec library and its
 * collective model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "hwmodel.h"
#include "tracecast.h"

#define HW_MAX_SETS 64

struct hw_args {
	const char *pos[3];
	int n_pos;
	const char *sets_a[HW_MAX_SETS], *sets_b[HW_MAX_SETS];
	size_t n_a, n_b;
	const char *specs;
	int json;
	/* coll */
	const char *kind, *bytes;
	unsigned long ranks, per_node;
};

static void hw_usage(void)
{
	printf(
	    "usage: tracecast hw list [--specs DIR] [--json]\n"
	    "       tracecast hw show CHIP [--set key.path=value ...] [--json]\n"
	    "       tracecast hw compare A B [--set k=v] [--set-a k=v] [--set-b k=v] [--json]\n"
	    "       tracecast hw coll CHIP --kind K --ranks N [--per-node R] --bytes S[,S...]\n\n"
	    "The chip spec library. CHIP is an id (h100-sxm5), an alias (h100) or a path to a\n"
	    "spec file (which may \"inherits\" a shipped chip). --set overrides one field of the\n"
	    "resolved spec (e.g. --set memory.hbm.bw_gbs=6000, --set compute.bf16.tflops=2000);\n"
	    "in compare it applies to both chips, --set-a / --set-b to one.\n"
	    "show prints every field with its source; --json prints the canonical resolved JSON.\n"
	    "list --json: id, name, vendor, peaks, memory, TDP, scale-up per chip; compare "
	    "--json:\n"
	    "every field of both chips with B/A.\n"
	    "--specs DIR reads the library from DIR ($TRACECAST_SPECS otherwise).\n"
	    "coll prints the collective model (docs/hwmodel.md §2.6) as nccl-tests would: K is\n"
	    "allreduce, allgather, reduce_scatter, alltoall or broadcast; S the nccl-tests size\n"
	    "in bytes (all-gather: the output); R ranks per scale-up domain (default: as many as\n"
	    "the domain holds); time, algorithm and bus bandwidth per size.\n"
	    "docs/hwmodel.md describes every field and the cost model.\n");
}

static int parse(struct tc_cli *cli, int argc, char **argv, struct hw_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		int which = !strcmp(s, "--set")	    ? 3
			    : !strcmp(s, "--set-a") ? 1
			    : !strcmp(s, "--set-b") ? 2
						    : 0;
		if (which) {
			if (i + 1 >= argc)
				return tc_cli_usage(cli, "hw", "%s needs key.path=value", s);
			if (a->n_a >= HW_MAX_SETS || a->n_b >= HW_MAX_SETS)
				return tc_cli_usage(cli, "hw", "at most %d overrides", HW_MAX_SETS);
			if (which & 1)
				a->sets_a[a->n_a++] = argv[i + 1];
			if (which & 2)
				a->sets_b[a->n_b++] = argv[i + 1];
			i++;
		} else if (!strcmp(s, "--specs")) {
			if (i + 1 >= argc)
				return tc_cli_usage(cli, "hw", "--specs needs a directory");
			a->specs = argv[++i];
		} else if (!strcmp(s, "--json")) {
			a->json = 1;
		} else if ((!strcmp(s, "--kind") || !strcmp(s, "--bytes")) && i + 1 < argc) {
			*(s[2] == 'k' ? &a->kind : &a->bytes) = argv[++i];
		} else if ((!strcmp(s, "--ranks") || !strcmp(s, "--per-node")) && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[i + 1], &end, 10);
			if (end == argv[i + 1] || *end || v < 1 || v > (1ul << 24) ||
			    argv[i + 1][0] == '-')
				return tc_cli_usage(cli, "hw", "%s needs a number 1..16777216", s);
			*(s[2] == 'r' ? &a->ranks : &a->per_node) = v;
			i++;
		} else if (s[0] == '-' && s[1]) {
			return tc_cli_usage(cli, "hw", "unknown option '%s'", s);
		} else {
			if (a->n_pos >= 3)
				return tc_cli_usage(cli, "hw", "too many arguments");
			a->pos[a->n_pos++] = s;
		}
	}
	return 0;
}

/* The collective model as nccl-tests reports it: size = the test's buffer (all-gather: the
 * output, others: the input), algbw = size / time, busbw = algbw x 2(n-1)/n for all-reduce,
 * x (n-1)/n for all-gather, reduce-scatter and all-to-all, x 1 for broadcast. */
static int cmd_coll(struct tc_cli *cli, struct tc_hw *hw, const struct hw_args *a)
{
	static const unsigned kinds[] = {TC_COLL_ALLREDUCE, TC_COLL_ALLGATHER,
					 TC_COLL_REDUCE_SCATTER, TC_COLL_ALLTOALL,
					 TC_COLL_BROADCAST};
	unsigned kind = 0;
	for (size_t i = 0; i < TC_ARRAY_LEN(kinds); i++)
		if (!strcmp(a->kind, tc_coll_name(kinds[i])))
			kind = kinds[i];
	if (!kind)
		return tc_cli_usage(
		    cli, "hw",
		    "--kind %s: want allreduce, allgather, reduce_scatter, alltoall or "
		    "broadcast",
		    a->kind);
	struct tc_err err = TC_ERR_INIT;
	struct tc_chip *c;
	if (tc_hw_load(hw, a->pos[1], a->sets_a, a->n_a, &c, &err) < 0)
		return tc_cli_fail(cli, &err);
	double n = (double)a->ranks, f = (n - 1) / n;
	double bus = kind == TC_COLL_ALLREDUCE ? 2 * f : kind == TC_COLL_BROADCAST ? 1 : f;
	printf("%-14s %12s %12s %12s\n", "bytes", "time_us", "algbw_gbs", "busbw_gbs");
	for (const char *p = a->bytes; *p;) {
		char *end;
		double S = strtod(p, &end);
		if (end == p || !(S >= 1) || (*end && *end != ',')) {
			tc_chip_free(c);
			return tc_cli_usage(cli, "hw",
					    "--bytes: want sizes >= 1 separated by commas");
		}
		p = *end ? end + 1 : end;
		struct tc_hw_op op;
		struct tc_hw_cost hc;
		memset(&op, 0, sizeof(op));
		op.op_class = TC_CLASS_COLLECTIVE;
		op.kind = TC_KIND_KERNEL;
		op.coll_kind = (uint8_t)kind;
		op.group_size = (uint32_t)a->ranks;
		op.ranks_per_node = (uint32_t)a->per_node;
		op.coll_bytes = (uint64_t)(kind == TC_COLL_ALLGATHER ? S / n : S);
		if (tc_hw_op_cost(c, &op, &hc) < 0 || !(hc.ns > 0)) {
			tc_chip_free(c);
			tc_err_set(&err, TC_EINVAL, "hw coll: no model for %s of %.0f bytes",
				   a->kind, S);
			return tc_cli_fail(cli, &err);
		}
		char b[4][32];
		printf("%-14s %12s %12s %12s\n", tc_fmt_fixed(b[0], 32, S, 0),
		       tc_fmt_fixed(b[1], 32, hc.ns / 1e3, 2), tc_fmt_fixed(b[2], 32, S / hc.ns, 2),
		       tc_fmt_fixed(b[3], 32, S / hc.ns * bus, 2));
	}
	tc_chip_free(c);
	return 0;
}

static double field_num(const struct tc_chip *c, const char *path)
{
	const char *v = tc_chip_get(c, path, NULL);
	return v ? strtod(v, NULL) : NAN;
}

static void num_cell(char *buf, size_t n, double v, int prec)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else
		tc_fmt_fixed(buf, n, v, prec);
}

/* --json: the library API's chip list (the Python package's tracecast.chips()) */
static int cmd_list_json(struct tc_cli *cli, const char *specs)
{
	struct tc_api *api = NULL;
	char *json = NULL;
	struct tc_err err = TC_ERR_INIT;
	int rc = tc_api_new(&api, specs);
	if (rc == 0 && (rc = tc_api_chips(api, &json)) == 0)
		printf("%s\n", json);
	else
		tc_err_set(&err, rc ? rc : TC_ENOMEM, "%s",
			   api ? tc_api_error(api) : "out of memory");
	tc_api_free(json);
	tc_api_free_ctx(api);
	return rc < 0 ? tc_cli_fail(cli, &err) : 0;
}

static int cmd_list(struct tc_cli *cli, struct tc_hw *hw)
{
	struct tc_err err = TC_ERR_INIT;
	const char *const *ids;
	size_t n = tc_hw_list(hw, &ids);
	printf("%-15s %-44s %9s %8s %7s %6s %10s %6s\n", "id", "name", "bf16 TF", "mem GB/s",
	       "mem GB", "TDP W", "scale-up", "GB/s");
	for (size_t i = 0; i < n; i++) {
		struct tc_chip *c;
		if (tc_hw_load(hw, ids[i], NULL, 0, &c, &err) < 0)
			return tc_cli_fail(cli, &err);
		char tf[32], bw[32], cap[32], tdp[32], up[32];
		num_cell(tf, sizeof(tf), tc_chip_peak_flops(c, TC_DT_BF16, 1) / 1e12, 1);
		num_cell(bw, sizeof(bw), tc_chip_mem_bw(c) / 1e9, 0);
		num_cell(cap, sizeof(cap), field_num(c, "memory.hbm.capacity_gb"), 0);
		num_cell(tdp, sizeof(tdp), tc_chip_tdp_w(c), 0);
		num_cell(up, sizeof(up), field_num(c, "network.scale_up.bw_gbs_per_device"), 1);
		const char *upn = tc_chip_get(c, "network.scale_up.name", NULL);
		char upname[64];
		snprintf(upname, sizeof(upname), "%s", upn ? upn : "-");
		if (upname[0] == '"') { /* compact JSON string: strip the quotes */
			memmove(upname, upname + 1, strlen(upname));
			upname[strlen(upname) - 1] = 0;
		}
		printf("%-15s %-44s %9s %8s %7s %6s %10s %6s\n", ids[i], tc_chip_name(c),
		       tc_chip_peak_flops(c, TC_DT_BF16, 1) > 0 ? tf : "-", bw, cap, tdp, upname,
		       up);
		tc_chip_free(c);
	}
	printf("\n%zu chips in %s\n", n, tc_hw_dir(hw));
	return 0;
}

static int cmd_show(struct tc_cli *cli, struct tc_hw *hw, const struct hw_args *a)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_chip *c;
	if (tc_hw_load(hw, a->pos[1], a->sets_a, a->n_a, &c, &err) < 0)
		return tc_cli_fail(cli, &err);
	if (a->json) {
		tc_chip_print_json(c, stdout);
		tc_chip_free(c);
		return 0;
	}
	printf("%s: %s\n\n", tc_chip_id(c), tc_chip_name(c));
	for (size_t i = 0; i < tc_chip_nfields(c); i++) {
		const char *path, *val, *src;
		tc_chip_field(c, i, &path, &val, &src);
		printf("%-40s %-14s %s\n", path, strlen(val) > 14 ? "(see --json)" : val, src);
	}
	/* what the chip costs after --set moved it (docs/hwmodel.md §5): not spec fields */
	double buy = tc_chip_purchase_usd(c), rent = tc_chip_rent_usd_h(c);
	char b1[40], b2[40], b3[40];
	printf("\nderived cost (x%s: memory, bandwidth and compute against the spec that set the "
	       "price)\n",
	       tc_fmt_fixed(b1, sizeof(b1), tc_chip_price_factor(c), 4));
	printf("%-40s %s\n", "purchase_usd",
	       isnan(buy) ? "-" : tc_fmt_fixed(b2, sizeof(b2), buy, 0));
	printf("%-40s %s\n", "rent_usd_per_hour",
	       isnan(rent) ? "-" : tc_fmt_fixed(b3, sizeof(b3), rent, 3));
	tc_chip_free(c);
	return 0;
}

static int cmd_compare(struct tc_cli *cli, struct tc_hw *hw, const struct hw_args *a)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_chip *x, *y;
	if (tc_hw_load(hw, a->pos[1], a->sets_a, a->n_a, &x, &err) < 0)
		return tc_cli_fail(cli, &err);
	if (tc_hw_load(hw, a->pos[2], a->sets_b, a->n_b, &y, &err) < 0) {
		tc_chip_free(x);
		return tc_cli_fail(cli, &err);
	}
	json_t *jf = a->json ? json_array() : NULL;
	if (!jf)
		printf("%-40s %-16s %-16s %s\n", "field", tc_chip_id(x), tc_chip_id(y), "B/A");
	/* Walk both sorted field lists together so a field only one chip has still shows. */
	size_t i = 0, j = 0, nx = tc_chip_nfields(x), ny = tc_chip_nfields(y);
	while (i < nx || j < ny) {
		const char *px = NULL, *vx = NULL, *py = NULL, *vy = NULL;
		if (i < nx)
			tc_chip_field(x, i, &px, &vx, NULL);
		if (j < ny)
			tc_chip_field(y, j, &py, &vy, NULL);
		int c = !px ? 1 : !py ? -1 : strcmp(px, py);
		const char *path = c <= 0 ? px : py;
		const char *va = c <= 0 ? vx : "-", *vb = c >= 0 ? vy : "-";
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		if (!strcmp(path, "aliases") || !strcmp(path, "device_names") ||
		    !strcmp(path, "id") || !strcmp(path, "notes") ||
		    (!jf && (strlen(va) > 16 || strlen(vb) > 16)))
			continue;
		char ratio[32] = "";
		char *ea, *eb;
		double da = strtod(va, &ea), db = strtod(vb, &eb);
		if (ea != va && eb != vb && !*ea && !*eb && da != 0 && strcmp(va, vb) != 0 &&
		    strcmp(path, "launch_year") != 0)
			tc_fmt_fixed(ratio, sizeof(ratio), db / da, 3);
		if (jf) {
			/* values as the spec holds them (compact JSON), "-" = absent: null */
			json_t *ja = strcmp(va, "-") ? json_loads(va, JSON_DECODE_ANY, NULL) : NULL;
			json_t *jb = strcmp(vb, "-") ? json_loads(vb, JSON_DECODE_ANY, NULL) : NULL;
			json_array_append_new(
			    jf, json_pack("{s:s, s:o, s:o, s:o}", "field", path, "a",
					  ja ? ja : json_null(), "b", jb ? jb : json_null(),
					  "ratio", ratio[0] ? json_real(db / da) : json_null()));
		} else {
			printf("%-40s %-16s %-16s %s\n", path, va, vb, ratio);
		}
	}
	if (jf) {
		json_t *o = json_pack("{s:s, s:s, s:o}", "a", tc_chip_id(x), "b", tc_chip_id(y),
				      "fields", jf);
		json_dumpf(o, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
		putchar('\n');
		json_decref(o);
	}
	tc_chip_free(x);
	tc_chip_free(y);
	return 0;
}

int tc_cmd_hw(struct tc_cli *cli, int argc, char **argv)
{
	if (tc_cli_wants_help(argc, argv)) {
		hw_usage();
		return 0;
	}
	struct hw_args a;
	int rc = parse(cli, argc, argv, &a);
	if (rc)
		return rc;
	if (a.n_pos == 0)
		return tc_cli_usage(cli, "hw", "missing subcommand: list, show or compare");
	const char *sub = a.pos[0];
	int coll = !strcmp(sub, "coll");
	int want = !strcmp(sub, "list")		  ? 1
		   : !strcmp(sub, "show") || coll ? 2
		   : !strcmp(sub, "compare")	  ? 3
						  : 0;
	if (!want)
		return tc_cli_usage(cli, "hw", "unknown subcommand '%s'", sub);
	if (a.n_pos != want)
		return tc_cli_usage(cli, "hw", "%s takes %d chip%s", sub, want - 1,
				    want == 2 ? "" : "s");
	if (coll && (!a.kind || !a.bytes || !a.ranks))
		return tc_cli_usage(cli, "hw", "coll needs --kind, --ranks and --bytes");

	struct tc_err err = TC_ERR_INIT;
	struct tc_hw *hw;
	if (tc_hw_open(&hw, a.specs, &err) < 0)
		return tc_cli_fail(cli, &err);
	rc = coll	 ? cmd_coll(cli, hw, &a)
	     : want == 1 ? (a.json ? cmd_list_json(cli, a.specs) : cmd_list(cli, hw))
	     : want == 2 ? cmd_show(cli, hw, &a)
			 : cmd_compare(cli, hw, &a);
	tc_hw_free(hw);
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
		tc_err_set(&err, TC_EIO, "writing to stdout failed");
		return tc_cli_fail(cli, &err);
	}
	return rc;
}
