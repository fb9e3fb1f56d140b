/* gen_optable.c - tracecast-gen-optable: writes small NeuSight-layout micro tables whose
 * "measured" latencies are the cost model's own prediction on each chip times a
 * deterministic noise factor in [1 - noise, 1 + noise]. The testbench's e2e test runs on
 * them: on the shipped specs it must pass its gates, and on tables made with one chip's
 * bandwidth changed (--set CHIP:key=value) it must fail them.
 *
 * usage: tracecast-gen-optable -o DIR --chips A,B,... [--set CHIP:key=value] [--noise F]
 *                               [--seed N]
 * Writes DIR/<op>/<chip>.csv for bmm, linear, add, addu, gelu, ln, softmax (GEMMs only on
 * NVIDIA chips, as in the NeuSight data). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hwmodel.h"
#include "ingest.h"

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* uniform integer in [lo, hi], log-distributed so small and large shapes both occur */
static long pick(uint64_t *s, long lo, long hi)
{
	double u = (double)lcg(s) / 2147483648.0;
	return lround(exp(log((double)lo) + u * (log((double)hi) - log((double)lo))));
}

/* The cost model's time of one micro op on a chip before the kernel floor (raw_ns), from
 * the same shapes the optable adapter builds; -1 when the model has no answer. */
static double raw_ns(const struct tc_chip *c, const char *op, int gemm, const long *d)
{
	int64_t a[3], b[3];
	struct tc_shape sh[2];
	uint8_t dt[2] = {TC_DT_F32, TC_DT_F32};
	const char *w = op;
	int cls = TC_CLASS_ELEMENTWISE;
	if (gemm) {
		cls = TC_CLASS_GEMM;
		a[0] = d[0], a[1] = d[1], a[2] = d[3];
		if (!strcmp(op, "bmm")) {
			b[0] = d[0], b[1] = d[3], b[2] = d[2];
			sh[1] = (struct tc_shape){3, b};
		} else {
			b[0] = d[2], b[1] = d[3];
			sh[1] = (struct tc_shape){2, b};
		}
		sh[0] = (struct tc_shape){3, a};
	} else {
		a[0] = b[0] = d[0];
		a[1] = b[1] = d[1];
		sh[0] = (struct tc_shape){2, a};
		sh[1] = (struct tc_shape){2, b};
		if (!strcmp(op, "ln")) {
			w = "layer_norm", cls = TC_CLASS_NORM;
			b[0] = d[1];
			sh[1] = (struct tc_shape){1, b};
		} else if (!strcmp(op, "softmax")) {
			cls = TC_CLASS_SOFTMAX;
			dt[1] = TC_DT_UNKNOWN;
		} else if (!strcmp(op, "addu")) {
			w = "add";
			dt[1] = TC_DT_UNKNOWN;
		} else if (!strcmp(op, "gelu")) {
			dt[1] = TC_DT_UNKNOWN;
		}
	}
	struct tc_work wk;
	if (!tc_work_of_op(w, sh, 2, dt, &wk))
		return -1;
	struct tc_hw_op o;
	memset(&o, 0, sizeof(o));
	o.op_class = (uint8_t)cls;
	o.kind = TC_KIND_KERNEL;
	o.dtype = TC_DT_F32;
	o.has_work = 1;
	o.flops = wk.flops;
	o.bytes_read = wk.bytes_read;
	o.bytes_written = wk.bytes_written;
	o.m = wk.m, o.n = wk.n, o.k = wk.k, o.batch = wk.batch;
	struct tc_hw_cost cost;
	return tc_hw_op_cost(c, &o, &cost) < 0 ? -1 : cost.raw_ns;
}

static const struct {
	const char *op;
	int gemm, n;
} ops[] = {
    {"bmm", 1, 40},  {"linear", 1, 40}, {"add", 0, 40},	    {"addu", 0, 40},
    {"gelu", 0, 40}, {"ln", 0, 30},	{"softmax", 0, 30},
};

static int die(const char *msg, const char *arg)
{
	fprintf(stderr, "tracecast-gen-optable: %s%s\n", msg, arg ? arg : "");
	return 1;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *chips = NULL;
	const char *sets[16];
	size_t n_sets = 0;
	double noise = 0.08;
	uint64_t seed = 13;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--chips") && i + 1 < argc)
			chips = argv[++i];
		else if (!strcmp(argv[i], "--set") && i + 1 < argc && n_sets < 16)
			sets[n_sets++] = argv[++i];
		else if (!strcmp(argv[i], "--noise") && i + 1 < argc)
			noise = atof(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else
			return die(
			    "usage: -o DIR --chips A,B [--set CHIP:k=v] [--noise F] [--seed N]",
			    NULL);
	}
	if (!out || !chips)
		return die("-o and --chips are required", NULL);
	struct tc_hw *hw = NULL;
	struct tc_err err = TC_ERR_INIT;
	if (tc_hw_open(&hw, NULL, &err) < 0)
		return die(err.msg, NULL);
	mkdir(out, 0777);
	/* every listed chip as shipped: a shape that the kernel floor clips on any of them is
	 * drawn again, because scaling a floored time by the work's ratio is not defined
	 * (tc_hw_scale scales work, the floor is the target's; docs/testbench.md) */
	struct tc_chip *all[16];
	size_t n_all = 0;
	{
		char *l2 = strdup(chips), *sv = NULL;
		for (char *id = strtok_r(l2, ",", &sv); id && n_all < 16;
		     id = strtok_r(NULL, ",", &sv))
			if (tc_hw_load(hw, id, NULL, 0, &all[n_all], &err) == 0)
				n_all++;
		free(l2);
	}
	char *list = strdup(chips), *save = NULL;
	int rc = 0;
	for (char *id = strtok_r(list, ",", &save); id && !rc; id = strtok_r(NULL, ",", &save)) {
		const char *mine[16];
		size_t nm = 0;
		for (size_t i = 0; i < n_sets; i++) {
			const char *colon = strchr(sets[i], ':');
			if (colon && (size_t)(colon - sets[i]) == strlen(id) &&
			    !strncmp(sets[i], id, strlen(id)))
				mine[nm++] = colon + 1;
		}
		struct tc_chip *c = NULL;
		if (tc_hw_load(hw, id, mine, nm, &c, &err) < 0) {
			rc = die(err.msg, NULL);
			break;
		}
		const char *dev = tc_chip_name(c);
		const char *back = tc_hw_match_device(hw, dev);
		if (!back || strcmp(back, tc_chip_id(c))) {
			tc_chip_free(c);
			rc = die("chip name does not map back to the chip: ", dev);
			break;
		}
		int nvidia = !strcmp(tc_chip_vendor(c), "nvidia");
		for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]) && !rc; o++) {
			if (ops[o].gemm && !nvidia)
				continue;
			char dir[1024], path[1200];
			snprintf(dir, sizeof(dir), "%s/%s", out, ops[o].op);
			mkdir(dir, 0777);
			snprintf(path, sizeof(path), "%s/%s.csv", dir, tc_chip_id(c));
			/* shapes: the same for every chip (seeded by the op), noise per chip */
			uint64_t s = seed * 1000003u + o;
			FILE *fp = fopen(path, "w");
			if (!fp) {
				rc = die("cannot write ", path);
				break;
			}
			fprintf(fp, ops[o].gemm ? "OPName,Latency,Device,B,M,N,K\n"
						: "OPName,Latency,Device,B,H\n");
			for (int r = 0; r < ops[o].n; r++) {
				long d[4];
				for (int tries = 0;; tries++) {
					if (ops[o].gemm) {
						d[0] = pick(&s, 1, 64);
						d[1] = pick(&s, 16, 1024);
						d[2] = pick(&s, 16, 1024);
						d[3] = pick(&s, 16, 1024);
					} else {
						d[0] = pick(&s, 1, 4096);
						d[1] = pick(&s, 64, 8192);
					}
					int clipped = 0;
					for (size_t k = 0; k < n_all && !clipped; k++) {
						double t =
						    raw_ns(all[k], ops[o].op, ops[o].gemm, d);
						clipped =
						    !(t > 1.5 * tc_chip_min_kernel_ns(all[k]));
					}
					if (!clipped || tries > 10000)
						break;
				}
				if (ops[o].gemm)
					fprintf(fp, "%s,0,%s,%ld,%ld,%ld,%ld\n", ops[o].op, dev,
						d[0], d[1], d[2], d[3]);
				else
					fprintf(fp, "%s,0,%s,%ld,%ld\n", ops[o].op, dev, d[0],
						d[1]);
			}
			fclose(fp);
			/* read the rows back for their work, then write the latencies */
			struct tc_optable *t = NULL;
			if (tc_optable_read(&t, path, &err) < 0) {
				rc = die(err.msg, NULL);
				break;
			}
			fp = fopen(path, "w");
			fprintf(fp, ops[o].gemm ? "OPName,Latency,Device,B,M,N,K\n"
						: "OPName,Latency,Device,B,H\n");
			uint64_t ns = seed ^ tc_hash64(tc_chip_id(c), strlen(tc_chip_id(c)), o);
			for (size_t r = 0; r < t->n_rows; r++) {
				const struct tc_optable_row *row = &t->rows[r];
				struct tc_hw_op op;
				memset(&op, 0, sizeof(op));
				op.op_class = row->op_class;
				op.kind = TC_KIND_KERNEL;
				op.dtype = row->work.dtype;
				op.has_work = 1;
				op.flops = row->work.flops;
				op.bytes_read = row->work.bytes_read;
				op.bytes_written = row->work.bytes_written;
				op.m = row->work.m;
				op.n = row->work.n;
				op.k = row->work.k;
				op.batch = row->work.batch;
				struct tc_hw_cost cost;
				if (tc_hw_op_cost(c, &op, &cost) < 0) {
					rc = die("no cost for a row of ", path);
					break;
				}
				double u = (double)lcg(&ns) / 2147483648.0 * 2.0 - 1.0;
				double ms = cost.ns * (1.0 + noise * u) / 1e6;
				char dims[200];
				snprintf(dims, sizeof(dims), "%s", row->dims);
				for (char *q = dims; *q; q++)
					if (*q == ' ')
						*q = ',';
				/* dims "B=2,M=3,..." -> "2,3,..." */
				char vals[200], *v = vals;
				for (char *q = dims; *q; q++) {
					if (*q == '=') {
						q++;
						while (*q && *q != ',')
							*v++ = *q++;
						*v++ = ',';
						if (!*q)
							break;
					}
				}
				v[-1] = '\0';
				fprintf(fp, "%s,%.9g,%s,%s\n", row->name, ms, dev, vals);
			}
			fclose(fp);
			tc_optable_free(t);
		}
		tc_chip_free(c);
	}
	free(list);
	for (size_t k = 0; k < n_all; k++)
		tc_chip_free(all[k]);
	tc_hw_free(hw);
	return rc;
}
