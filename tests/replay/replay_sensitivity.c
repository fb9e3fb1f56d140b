/* replay_sensitivity.c - outputs must move when inputs move. Every corpus training trace is
 * projected onto its own chip with every compute, memory and network rate of the spec
 * changed through --set (tracecast hw show CHIP --json lists them):
 *   identity    the step equals the measured one exactly;
 *   rates x2    the step is never longer, and strictly shorter where the reported speedup
 *               ceiling is above 1.1x;
 *   rates x0.5  the step is never shorter, and strictly longer where the busiest GPU stream
 *               is busy for more than half of the step;
 *   GPU x1000   within 5 % of the reported host-only step (the ceiling). The spec bounds
 *               refuse rates 1000x a real chip as absurd, so this one uses --gpu-scale 0.001,
 *               which divides every re-timed GPU op the same way.
 * Plus the regression cases of the step-time issue (cross-chip directions) and a sweep grid
 * that must store distinct step times. Skipped with a message when the corpus is absent. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tc-sens-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_expect_eq(system(cmd), 0);
}

static const char *corpus(void)
{
	const char *c = getenv("TRACECAST_CORPUS");
	if (!c || !*c)
		c = getenv("TC_CORPUS_DEFAULT");
	struct stat st;
	return c && stat(c, &st) == 0 ? c : NULL;
}

static const char *exe(void)
{
	const char *e = getenv("TRACECAST");
	cr_assert(e, "TRACECAST must be set");
	return e;
}

/* --set KEY=VALUE for every rate of chip, multiplied by f, appended to buf. */
static void walk_rates(json_t *o, char *path, size_t plen, double f, char *buf, size_t cap)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (plen == 0 && strcmp(k, "sources") == 0)
			continue;
		size_t n = (size_t)snprintf(path + plen, 256 - plen, "%s%s", plen ? "." : "", k);
		if (json_is_object(v)) {
			walk_rates(v, path, plen + n, f, buf, cap);
		} else if (json_is_number(v) &&
			   (strstr(path, "peak_tflops") || strstr(path, "bw_gbs"))) {
			size_t used = strlen(buf);
			snprintf(buf + used, cap - used, " --set %s=%.17g", path,
				 json_number_value(v) * f);
		}
		path[plen] = 0;
	}
}

static void rates(const char *chip, double f, char *buf, size_t cap)
{
	char cmd[1024], out[512], path[256] = "";
	snprintf(out, sizeof(out), "%s/chip.json", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s' hw show %s --json > '%s'", exe(), chip, out);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	json_error_t je;
	json_t *j = json_load_file(out, 0, &je);
	cr_assert_not_null(j, "%s: %s", out, je.text);
	buf[0] = 0;
	walk_rates(j, path, 0, f, buf, cap);
	json_decref(j);
	cr_assert(strstr(buf, "peak_tflops") && strstr(buf, "hbm.bw_gbs"), "no rates in %s", chip);
}

struct sum {
	double src, proj, ceil, ceiling, busiest;
};

static struct sum project(const char *tcs, const char *args)
{
	char cmd[8192], out[512];
	snprintf(out, sizeof(out), "%s/p.json", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s' -q project '%s' %s --json '%s' -q", exe(), tcs, args, out);
	cr_assert_eq(system(cmd), 0, "project failed: %s", cmd);
	json_error_t je;
	json_t *j = json_load_file(out, 0, &je);
	cr_assert_not_null(j, "%s: %s", out, je.text);
	json_t *s = json_object_get(j, "summary");
	struct sum r = {json_number_value(json_object_get(s, "source_step_ns")),
			json_number_value(json_object_get(s, "projected_step_ns")),
			json_number_value(json_object_get(s, "host_only_step_ns")),
			json_number_value(json_object_get(s, "speedup_ceiling")),
			json_number_value(json_object_get(s, "busiest_stream_busy_ns"))};
	json_decref(j);
	cr_assert(r.src > 0 && r.proj > 0, "no step in %s", cmd);
	return r;
}

/* Under valgrind (meson test --setup valgrind) only the small traces run: the memory checks
 * need the code paths, not every trace, and the main pass runs them all natively. */
static int small_enough(const char *path)
{
	struct stat st;
	const char *v = getenv("TC_UNDER_VALGRIND");
	return !(v && *v) || (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && st.st_size < 200000);
}

/* Ingest a corpus input (a file, or every *.json.gz of a folder: one job) once. */
static int ingest(const char *rel, char *tcs, size_t n)
{
	const char *c = corpus();
	if (!c)
		return 0;
	char path[1024], cmd[2048];
	snprintf(path, sizeof(path), "%s/%s", c, rel);
	struct stat st;
	if (stat(path, &st) != 0 || !small_enough(path))
		return 0;
	snprintf(tcs, n, "%s/in.tcs", tmpdir);
	if (S_ISDIR(st.st_mode))
		snprintf(cmd, sizeof(cmd), "'%s' -q ingest '%s'/*.json.gz -o '%s'", exe(), path,
			 tcs);
	else
		snprintf(cmd, sizeof(cmd), "'%s' -q ingest '%s' -o '%s'", exe(), path, tcs);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	return 1;
}

static void sensitivity(const char *rel, const char *chip, const char *source_opt)
{
	char tcs[512], args[6144], r2[4096], r05[4096];
	if (!ingest(rel, tcs, sizeof(tcs))) {
		cr_skip_test("corpus trace %s absent (set TRACECAST_CORPUS), or too large under "
			     "valgrind",
			     rel);
		return;
	}
	snprintf(args, sizeof(args), "%s --target %s", source_opt, chip);
	struct sum id = project(tcs, args);
	cr_expect_eq(id.proj, id.src, "%s identity: %.0f != %.0f ns", rel, id.proj, id.src);

	rates(chip, 2.0, r2, sizeof(r2));
	snprintf(args, sizeof(args), "%s --target %s %s", source_opt, chip, r2);
	struct sum x2 = project(tcs, args);
	cr_expect(x2.proj <= x2.src, "%s rates x2: step %.0f > %.0f ns", rel, x2.proj, x2.src);
	if (id.ceiling > 1.1)
		cr_expect(x2.proj < x2.src,
			  "%s rates x2: ceiling %.3fx but step %.0f not below %.0f", rel,
			  id.ceiling, x2.proj, x2.src);

	rates(chip, 0.5, r05, sizeof(r05));
	snprintf(args, sizeof(args), "%s --target %s %s", source_opt, chip, r05);
	struct sum x05 = project(tcs, args);
	cr_expect(x05.proj >= x05.src, "%s rates x0.5: step %.0f < %.0f ns", rel, x05.proj,
		  x05.src);
	if (id.busiest > 0.5 * id.src)
		cr_expect(x05.proj > x05.src,
			  "%s rates x0.5: busiest stream %.0f of %.0f ns but the step did not grow",
			  rel, id.busiest, id.src);

	snprintf(args, sizeof(args), "%s --target %s --gpu-scale 0.001", source_opt, chip);
	struct sum fast = project(tcs, args);
	cr_expect(fabs(fast.proj - fast.ceil) <= 0.05 * fast.ceil,
		  "%s GPU x1000: step %.0f not within 5%% of the host-only step %.0f", rel,
		  fast.proj, fast.ceil);
	cr_log_info("%s: step %.3f ms; x2 %.3f; x0.5 %.3f; x1000 %.3f; ceiling %.3fx", rel,
		    id.src / 1e6, x2.proj / 1e6, x05.proj / 1e6, fast.proj / 1e6, id.ceiling);
}

#define SENS(name, rel, chip, src)                                                                 \
	Test(sensitivity, name, .init = setup, .fini = teardown, .timeout = 300)                   \
	{                                                                                          \
		sensitivity(rel, chip, src);                                                       \
	}

SENS(hta_dlrm_a100, "HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz", "a100-sxm4-40gb",
     "")
SENS(hta_ddp_a100, "HolisticTraceAnalysis/nccl_data.json.gz", "a100-sxm4-40gb", "")
SENS(hta_sampled_rank0, "HolisticTraceAnalysis/sampled_rank-0.json.gz", "h100-sxm5",
     "--source h100-sxm5")
SENS(hta_mi250_minitoy, "HolisticTraceAnalysis/mi250_minitoy_train_ROCm6_2_kineto.json.gz",
     "mi250x", "--source mi250x")
SENS(tracelens_resnet_mi300x, "TraceLens/mi300/resnet_act_checkpoint.json.gz", "mi300x", "")
SENS(tracelens_b200_eager, "TraceLens/b200/eager_trace.json.gz", "b200", "")
SENS(kineto_v100, "kineto/gpu_metrics_input.json", "v100-sxm2", "")
SENS(param_dlrm_v100x8, "param/dlrm_kineto", "v100-sxm2", "")

/* ---- regression cases: cross-chip directions that once gave 1.000x --------------------- */

static double speedup(const char *rel, const char *args)
{
	char tcs[512];
	if (!ingest(rel, tcs, sizeof(tcs)))
		return NAN;
	struct sum s = project(tcs, args);
	return s.src / s.proj;
}

Test(regression, resnet_mi300x_onto_a100_is_slower, .init = setup, .fini = teardown, .timeout = 120)
{
	double s = speedup("TraceLens/mi300/resnet_act_checkpoint.json.gz", "--target a100");
	if (isnan(s))
		cr_skip_test("corpus absent, or too large under valgrind");
	cr_expect(1.0 / s >= 1.5, "MI300X ResNet on an A100: step only %.3fx longer", 1.0 / s);
}

Test(regression, hta_a100_onto_b200_is_faster, .init = setup, .fini = teardown, .timeout = 120)
{
	/* mostly host-bound: the host-only step caps it near 1.19x (docs/validation.md) */
	double s =
	    speedup("HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz", "--target b200");
	if (isnan(s))
		cr_skip_test("corpus absent, or too large under valgrind");
	cr_expect(s > 1.05, "HTA A100 trace on a B200: speedup %.4f", s);
}

Test(regression, sampled_h100_onto_l4_is_slower, .init = setup, .fini = teardown, .timeout = 120)
{
	double s = speedup("HolisticTraceAnalysis/sampled_rank-0.json.gz",
			   "--source h100-sxm5 --target l4");
	if (isnan(s))
		cr_skip_test("corpus absent, or too large under valgrind");
	cr_expect(s < 0.5, "sampled rank 0, H100 -> L4: speedup %.3f", s);
}

/* Sweep tcs on base over grid (--grid arguments); the points stored and their distinct
 * step times. */
static void sweep_counts(const char *tcs, const char *base, const char *grid, long *distinct,
			 long *total)
{
	char cmd[2048], out[512];
	snprintf(cmd, sizeof(cmd),
		 "'%s' -q sweep --traces '%s' --base %s %s --db '%s/r.db' --jobs 1 >/dev/null",
		 exe(), tcs, base, grid, tmpdir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(out, sizeof(out), "%s/q.txt", tmpdir);
	snprintf(
	    cmd, sizeof(cmd),
	    "'%s' query '%s/r.db' --sql 'SELECT COUNT(DISTINCT step_ns), COUNT(*) FROM results' "
	    "> '%s'",
	    exe(), tmpdir, out);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	FILE *fp = fopen(out, "r");
	cr_assert_not_null(fp);
	char line[256] = "";
	*distinct = *total = 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%ld%*[ ,|\t]%ld", distinct, total) == 2)
			break;
	fclose(fp);
}

Test(regression, sweep_grid_stores_distinct_step_times, .init = setup, .fini = teardown,
     .timeout = 300)
{
	char tcs[512];
	long distinct, total;
	if (!ingest("HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz", tcs,
		    sizeof(tcs)))
		cr_skip_test("corpus absent, or too large under valgrind");
	sweep_counts(tcs, "a100-sxm4-40gb",
		     "--grid memory.hbm.bw_gbs=800,1555,3000 "
		     "--grid compute.matrix.peak_tflops.bf16=156,312,624",
		     &distinct, &total);
	cr_expect_eq(total, 9, "9 points stored (got %ld)", total);
	cr_expect_geq(distinct, 5, "only %ld distinct step times in 9 points", distinct);
}

/* ---- scale-out what-ifs (issue 14): network and world size must move the answer -------- */

/* The projected step of tcs with the arguments printf-formatted from fmt. */
static double stepf(const char *tcs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static double stepf(const char *tcs, const char *fmt, ...)
{
	char a[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a, sizeof(a), fmt, ap);
	va_end(ap);
	return project(tcs, a).proj;
}

Test(scaleout, dlrm_network_and_world_move_the_step, .init = setup, .fini = teardown,
     .timeout = 300)
{
	char tcs[512];
	if (!ingest("param/dlrm_kineto", tcs, sizeof(tcs)))
		cr_skip_test("corpus param/dlrm_kineto absent (set TRACECAST_CORPUS)");
	const char *t = "--target v100-sxm2";
	double base = stepf(tcs, "%s", t);
	/* identity: the traced world and layout change nothing */
	cr_expect_eq(stepf(tcs, "%s --world-size 8 --parallel dp=8 --source-parallel dp=8", t),
		     base, "8 -> 8 changed the step");
	/* every rank its own node: the collectives leave NVLink for 6.25 GB/s EDR */
	double alone = stepf(tcs, "%s --set network.scale_up.size=1", t);
	cr_expect_gt(alone, base, "scale_up.size=1: %.0f not above %.0f", alone, base);
	/* more ranks, and the scale-out bandwidth halved / doubled at 64 ranks */
	double w64 = stepf(tcs, "%s --world-size 64", t);
	cr_expect_gt(w64, base, "64 ranks: %.0f not above 8 ranks' %.0f", w64, base);
	double half =
	    stepf(tcs, "%s --world-size 64 --set network.scale_out.bw_gbs_per_device=3.125", t);
	double twice =
	    stepf(tcs, "%s --world-size 64 --set network.scale_out.bw_gbs_per_device=12.5", t);
	cr_expect_gt(half, w64, "scale-out /2: %.0f not above %.0f", half, w64);
	cr_expect_lt(twice, w64, "scale-out x2: %.0f not below %.0f", twice, w64);
	double w1024 = stepf(tcs, "%s --world-size 1024", t);
	cr_expect_gt(w1024, w64, "1024 ranks: %.0f not above 64 ranks' %.0f", w1024, w64);
	cr_log_info("dlrm: 8 %.3f ms, scale_up.size=1 %.3f, 64 %.3f (out /2 %.3f, x2 %.3f), "
		    "1024 %.3f",
		    base / 1e6, alone / 1e6, w64 / 1e6, half / 1e6, twice / 1e6, w1024 / 1e6);
}

Test(scaleout, hta_rank_slice_follows_the_network, .init = setup, .fini = teardown, .timeout = 300)
{
	char tcs[512];
	if (!ingest("HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz", tcs,
		    sizeof(tcs)))
		cr_skip_test("corpus HTA A100 trace absent, or too large under valgrind");
	const char *t = "--target a100-sxm4-40gb";
	double base = stepf(tcs, "%s", t);
	cr_expect_eq(stepf(tcs, "%s --world-size 8", t), base, "8 -> 8 changed the step");
	double w128 = stepf(tcs, "%s --world-size 128", t);
	double slow =
	    stepf(tcs, "%s --world-size 128 --set network.scale_out.bw_gbs_per_device=12.5", t);
	cr_expect_geq(w128, base, "128 ranks: %.0f below 8 ranks' %.0f", w128, base);
	cr_expect_gt(slow, w128, "scale-out /2 at 128 ranks: %.0f not above %.0f", slow, w128);
}

/* Bad layouts: refused with one line on stderr and a non-zero exit (no corpus needed). */
Test(scaleout, bad_layouts_refused_by_the_cli, .init = setup, .fini = teardown)
{
	const char *src = getenv("TC_SRCDIR");
	cr_assert(src);
	static const char *const cases[][2] = {
	    {"--world-size 12 --parallel tp=8", "world size 12 is not divisible by tp x pp = 8"},
	    {"--parallel tp=16", "tp=16 is larger than a scale-up domain (8 on h100-sxm5)"},
	    {"--parallel dp=2,xp=4", "unknown group kind 'xp'"},
	    {"--source-parallel dp=3", "dp x tp x pp = 3, not the world size 2"},
	    {"--world-size 0", "--world-size needs a number"},
	    {"--straggler 9=2 --world-size 4", "rank 9 is outside the world (4 ranks)"},
	    {"--straggler x", "--straggler needs RANK=FACTOR"},
	    {"--world-size 16 --validate", "--validate replays the trace as measured"},
	    {"--rank-chip 9=h100 --world-size 4",
	     "--rank-chip: rank 9 is outside the world (4 ranks)"},
	    {"--rank-chip 1=nope", "unknown chip 'nope'"},
	    {"--rank-chip x", "--rank-chip needs RANK=CHIP"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[4096], err[512], line[1024] = "";
		snprintf(err, sizeof(err), "%s/err.txt", tmpdir);
		snprintf(cmd, sizeof(cmd),
			 "'%s' project '%s/traces/sample/train_a100_rank0.json.gz' "
			 "'%s/traces/sample/train_a100_rank1.json.gz' --target h100 %s >/dev/null "
			 "2>'%s'",
			 exe(), src, src, cases[i][0], err);
		int rc = system(cmd);
		cr_expect_neq(rc, 0, "%s: exit 0", cases[i][0]);
		FILE *fp = fopen(err, "r");
		cr_assert_not_null(fp);
		int lines = 0;
		char buf[1024];
		while (fgets(buf, sizeof(buf), fp))
			if (!strstr(buf, "warning:") && lines++ == 0)
				snprintf(line, sizeof(line), "%s", buf);
		fclose(fp);
		cr_expect_eq(lines, 1, "%s: %d error lines", cases[i][0], lines);
		cr_expect(strstr(line, cases[i][1]) != NULL, "%s: got '%s'", cases[i][0], line);
	}
}

/* Sweeps take the world size and network fields as axes: every point its own step. */
Test(scaleout, sweep_over_world_and_network, .init = setup, .fini = teardown, .timeout = 300)
{
	char tcs[512];
	long distinct, total;
	if (!ingest("param/dlrm_kineto", tcs, sizeof(tcs)))
		cr_skip_test("corpus param/dlrm_kineto absent (set TRACECAST_CORPUS)");
	sweep_counts(tcs, "v100-sxm2",
		     "--grid scale.world_size=16,64,1024 "
		     "--grid network.scale_out.bw_gbs_per_device=3.125,6.25,12.5",
		     &distinct, &total);
	cr_expect_eq(total, 9, "9 points stored (got %ld)", total);
	cr_expect_eq(distinct, 9, "only %ld distinct step times in 9 points", distinct);
}
