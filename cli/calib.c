/* calib.c - fitting a chip's matrix and memory curves and its kernel floor from measured
 * operators, as a correction of the spec (calib.h, docs/testbench.md §Calibration). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calib.h"

struct tc_hw_op tc_calib_hw_op(const struct tc_optable_row *r)
{
	struct tc_hw_op op;
	memset(&op, 0, sizeof(op));
	op.op_class = r->op_class;
	op.kind = TC_KIND_KERNEL;
	op.dtype = r->work.dtype;
	op.has_work = r->has_work;
	op.flops = r->work.flops;
	op.bytes_read = r->work.bytes_read;
	op.bytes_written = r->work.bytes_written;
	op.m = r->work.m;
	op.n = r->work.n;
	op.k = r->work.k;
	op.batch = r->work.batch;
	return op;
}

static void push(double **v, size_t *n, size_t *cap, double x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = tc_xrealloc(*v, *cap * sizeof(double));
	}
	(*v)[(*n)++] = x;
}

static int bin_of(double x)
{
	int b = (int)lround(log10(x)) + 3;
	return b < 0 ? 0 : (b >= TC_CALIB_BINS ? TC_CALIB_BINS - 1 : b);
}

void tc_calib_add(struct tc_calib_acc *a, const struct tc_chip *chip,
		  const struct tc_optable_row *r)
{
	if (!r->has_work || r->op_class == TC_CLASS_HOST || !(r->latency_ns > 0))
		return;
	struct tc_hw_op op = tc_calib_hw_op(r);
	struct tc_hw_cost c;
	if (tc_hw_op_cost(chip, &op, &c) < 0)
		return;
	tc_calib_class_add(a, r->op_class, &c, r->latency_ns);
	/* (measured, modelled before the floor): the floor fit needs both */
	push(&a->lat, &a->n_lat, &a->cap_lat, r->latency_ns);
	push(&a->lat, &a->n_lat, &a->cap_lat,
	     c.compute_ns > c.memory_ns ? c.compute_ns : c.memory_ns);
	/* the term that bounds the op decides which curve its measurement corrects; the
	 * floor is not applied here (it is fitted on its own) */
	if (c.compute_ns >= c.memory_ns &&
	    (r->op_class == TC_CLASS_GEMM || r->op_class == TC_CLASS_CONV)) {
		int b = bin_of((double)r->work.flops / 1e9);
		push(&a->mat[b], &a->n_mat[b], &a->cap_mat[b], c.compute_ns / r->latency_ns);
		push(&a->mat[b], &a->n_mat[b], &a->cap_mat[b], r->latency_ns);
	} else if (c.memory_ns > c.compute_ns && r->op_class != TC_CLASS_GEMM &&
		   r->op_class != TC_CLASS_CONV && r->op_class != TC_CLASS_ATTENTION) {
		/* only the memory-bound classes: a GEMM the model calls memory-bound runs at a
		 * low matrix efficiency, which says nothing about the memory system */
		int b = bin_of((double)(r->work.bytes_read + r->work.bytes_written) / 1e6);
		push(&a->mem[b], &a->n_mem[b], &a->cap_mem[b], c.memory_ns / r->latency_ns);
		push(&a->mem[b], &a->n_mem[b], &a->cap_mem[b], r->latency_ns);
	}
}

void tc_calib_acc_free(struct tc_calib_acc *a)
{
	for (int b = 0; b < TC_CALIB_BINS; b++) {
		free(a->mat[b]);
		free(a->mem[b]);
	}
	for (int k = 0; k < TC_CLASS__COUNT; k++)
		free(a->cls[k]);
	free(a->lat);
	memset(a, 0, sizeof(*a));
}

static int cmpd(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(double), cmpd);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Bins with fewer samples say little: they are left to their neighbours. */
#define MIN_SAMPLES 5

/* Median of the ratios of the (ratio, latency) pairs whose latency is at least `above`:
 * ops near the floor measure the launch and framework time, not the curve. */
static double median_above(const double *pairs, size_t n2, double above, size_t *used)
{
	size_t n = n2 / 2, k = 0;
	double *v = tc_xmalloc((n ? n : 1) * sizeof(double));
	for (size_t i = 0; i < n; i++)
		if (!(pairs[2 * i + 1] < above))
			v[k++] = pairs[2 * i];
	double m = k >= MIN_SAMPLES ? median(v, k) : NAN;
	*used += k;
	free(v);
	return m;
}

void tc_calib_finish(struct tc_calib_acc *a, struct tc_calib_fit *out)
{
	memset(out, 0, sizeof(*out));
	out->n_ops = a->n_lat / 2;
	/* The floor: the 1st percentile of the measured latencies (what the fastest ops cost
	 * whatever their size: launch and framework time of the measuring loop), but only when
	 * the data shows one: at least 5 ops (and 1 %) that the model makes more than twice as
	 * fast as it. Without such ops the fastest measured op is simply a fast op, and the
	 * spec's floor stays. */
	out->floor_ns = NAN;
	size_t n = a->n_lat / 2;
	if (n >= MIN_SAMPLES) {
		double *lat = tc_xmalloc(n * sizeof(double));
		for (size_t i = 0; i < n; i++)
			lat[i] = a->lat[2 * i];
		qsort(lat, n, sizeof(double), cmpd);
		double f = lat[(size_t)floor(0.01 * (double)(n - 1))];
		size_t below = 0;
		for (size_t i = 0; i < n; i++)
			below += a->lat[2 * i + 1] < f / 2;
		if (below >= MIN_SAMPLES && (double)below >= 0.01 * (double)n)
			out->floor_ns = f;
		free(lat);
	}
	/* The curves from the ops well above the floor: the model takes max(floor, kernel),
	 * and a curve cannot absorb a flat floor (time must grow with size, §2.1) */
	double above = isnan(out->floor_ns) ? 0 : 2 * out->floor_ns;
	for (int b = 0; b < TC_CALIB_BINS; b++) {
		out->r_mat[b] = median_above(a->mat[b], a->n_mat[b], above, &out->n_mat);
		out->r_mem[b] = median_above(a->mem[b], a->n_mem[b], above, &out->n_mem);
	}
	tc_calib_class_finish(a, out);
}

static double median_of(const double *v, size_t n)
{
	double tmp[64];
	size_t k = 0;
	for (size_t i = 0; i < n && k < 64; i++)
		if (!isnan(v[i]))
			tmp[k++] = v[i];
	return median(tmp, k);
}

void tc_calib_pool(const struct tc_calib_fit *fits, size_t n, struct tc_calib_fit *out)
{
	double v[64];
	memset(out, 0, sizeof(*out));
	n = n > 64 ? 64 : n;
	for (int b = 0; b < TC_CALIB_BINS; b++) {
		for (size_t i = 0; i < n; i++)
			v[i] = fits[i].r_mat[b];
		out->r_mat[b] = median_of(v, n);
		for (size_t i = 0; i < n; i++)
			v[i] = fits[i].r_mem[b];
		out->r_mem[b] = median_of(v, n);
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = fits[i].floor_ns;
		out->n_mat += fits[i].n_mat;
		out->n_mem += fits[i].n_mem;
		out->n_ops += fits[i].n_ops;
	}
	out->floor_ns = median_of(v, n);
	tc_calib_class_pool(fits, n, out);
}

/* The spec curve at x (log-linear between points, flat outside: docs/hwmodel.md §2.1). */
static double curve_at(json_t *c, double x)
{
	size_t n = json_array_size(c);
	if (!n)
		return 1.0;
	double x0 = json_number_value(json_array_get(json_array_get(c, 0), 0));
	double e0 = json_number_value(json_array_get(json_array_get(c, 0), 1));
	if (!(x > x0))
		return e0;
	for (size_t i = 0; i + 1 < n; i++) {
		double xa = json_number_value(json_array_get(json_array_get(c, i), 0));
		double ea = json_number_value(json_array_get(json_array_get(c, i), 1));
		double xb = json_number_value(json_array_get(json_array_get(c, i + 1), 0));
		double eb = json_number_value(json_array_get(json_array_get(c, i + 1), 1));
		if (x <= xb)
			return ea + (eb - ea) * log(x / xa) / log(xb / xa);
	}
	return json_number_value(json_array_get(json_array_get(c, n - 1), 1));
}

/* Corrected curve at the decade points: bins without samples take the nearest fitted one;
 * no fitted bin at all: NULL (the spec's curve stays). Efficiencies are capped at 1 (an op
 * faster than the peak allows is an L2 hit, not a faster HBM) and each step up is limited so
 * that time never falls with size (the validation rule of §2.1). */
static json_t *corrected(const struct tc_chip *base, const char *key, const double *r)
{
	const char *s = tc_chip_get(base, key, NULL);
	json_t *spec = s ? json_loads(s, 0, NULL) : NULL;
	int any = 0;
	for (int b = 0; b < TC_CALIB_BINS; b++)
		any |= !isnan(r[b]);
	if (!spec || !any) {
		json_decref(spec);
		return NULL;
	}
	double e[TC_CALIB_BINS];
	for (int b = 0; b < TC_CALIB_BINS; b++) {
		int near = -1;
		for (int d = 0; d < TC_CALIB_BINS && near < 0; d++) {
			if (b - d >= 0 && !isnan(r[b - d]))
				near = b - d;
			else if (b + d < TC_CALIB_BINS && !isnan(r[b + d]))
				near = b + d;
		}
		e[b] = curve_at(spec, pow(10.0, b - 3)) * r[near];
		if (e[b] > 1)
			e[b] = 1;
	}
	/* Right to left, so the large sizes keep their fitted value: a point may sit at most
	 * (1 + ln 10) below the next one (time never falls with size, §2.1); four decimals,
	 * rounded up, keep that true */
	for (int b = TC_CALIB_BINS - 1; b >= 0; b--) {
		if (b + 1 < TC_CALIB_BINS && e[b] < e[b + 1] / (1.0 + log(10.0)) * 1.001)
			e[b] = e[b + 1] / (1.0 + log(10.0)) * 1.001;
		e[b] = ceil(e[b] * 1e4) / 1e4;
		if (e[b] > 1)
			e[b] = 1;
	}
	json_t *out = json_array();
	for (int b = 0; b < TC_CALIB_BINS; b++) {
		json_t *pt = json_array();
		json_array_append_new(pt, json_real(pow(10.0, b - 3)));
		json_array_append_new(pt, json_real(e[b]));
		json_array_append_new(out, pt);
	}
	json_decref(spec);
	return out;
}

int tc_calib_overlay(const struct tc_chip *base, const struct tc_calib_fit *fit,
		     const char *provenance, json_t **out, struct tc_err *err)
{
	char name[256], src[1024];
	json_t *o = json_object();
	json_t *sources = json_object();
	json_object_set_new(o, "inherits", json_string(tc_chip_id(base)));
	snprintf(name, sizeof(name), "%s (calibrated)", tc_chip_name(base));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "notes", json_string(provenance));
	snprintf(src, sizeof(src), "fitted by tracecast calibrate: %s", provenance);
	json_t *mat = corrected(base, "compute.matrix.efficiency", fit->r_mat);
	json_t *mem = corrected(base, "memory.hbm.efficiency", fit->r_mem);
	if (mat) {
		json_object_set_new(o, "compute",
				    json_pack("{s:{s:o}}", "matrix", "efficiency", mat));
		json_object_set_new(sources, "compute.matrix.efficiency", json_string(src));
	}
	if (mem) {
		json_object_set_new(o, "memory", json_pack("{s:{s:o}}", "hbm", "efficiency", mem));
		json_object_set_new(sources, "memory.hbm.efficiency", json_string(src));
	}
	if (!isnan(fit->floor_ns)) {
		double us = round(fit->floor_ns / 1e3 * 1e3) / 1e3;
		json_object_set_new(o, "overheads", json_pack("{s:f}", "min_kernel_us", us));
		json_object_set_new(sources, "overheads.min_kernel_us", json_string(src));
	}
	json_t *cls = tc_calib_class_json(fit);
	if (cls) {
		json_object_set_new(o, "classes", cls);
		json_object_set_new(sources, "classes", json_string(src));
	}
	json_object_set_new(o, "sources", sources);
	if (!mat && !mem && isnan(fit->floor_ns) && !cls) {
		json_decref(o);
		return tc_err_set(err, TC_EINVAL, "%s: no measured op to fit", tc_chip_id(base));
	}
	*out = o;
	return 0;
}

int tc_calib_load(struct tc_hw *hw, json_t *overlay, struct tc_chip **out, struct tc_err *err)
{
	char path[512];
	int fd = tc_tmpfile(path, sizeof(path), "tracecast-calib", ".json");
	if (fd < 0)
		return tc_err_set(err, TC_EIO, "cannot create a temporary overlay in %s", path);
	FILE *fp = fdopen(fd, "w");
	if (!fp) {
		close(fd);
		unlink(path);
		return tc_err_set(err, TC_EIO, "cannot write a temporary overlay");
	}
	json_dumpf(overlay, fp, JSON_REAL_PRECISION(10));
	fclose(fp);
	int rc = tc_hw_load(hw, path, NULL, 0, out, err);
	unlink(path);
	if (rc < 0)
		return tc_err_wrap(err, "calibrated overlay");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tc_calib_collect(const char *path, char ***files, size_t *n, size_t *cap, struct tc_err *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return tc_err_set(err, TC_EIO, "%s: cannot stat", path);
	if (!S_ISDIR(st.st_mode)) {
		if (tc_grow((void **)files, cap, *n + 1, sizeof(char *)) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		(*files)[(*n)++] = tc_xstrdup(path);
		return 0;
	}
	DIR *d = opendir(path);
	if (!d)
		return tc_err_set(err, TC_EIO, "%s: cannot open directory", path);
	char **names = NULL;
	size_t nn = 0, cn = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (tc_grow((void **)&names, &cn, nn + 1, sizeof(char *)) < 0) {
			closedir(d);
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		}
		names[nn++] = tc_xstrdup(de->d_name);
	}
	closedir(d);
	if (nn)
		qsort(names, nn, sizeof(char *), cmp_str);
	int rc = 0;
	for (size_t i = 0; i < nn; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;
		char *p = tc_xmalloc(len);
		snprintf(p, len, "%s/%s", path, names[i]);
		struct stat s2;
		if (rc == 0 && stat(p, &s2) == 0 &&
		    (S_ISDIR(s2.st_mode) || tc_calib_is_table(names[i])))
			rc = tc_calib_collect(p, files, n, cap, err);
		free(p);
		free(names[i]);
	}
	free(names);
	return rc;
}

const char *tc_calib_group(const struct tc_optable *t, const struct tc_optable_row *r)
{
	static const char *const micro[] = {"bmm", "linear", "conv", "ln", "softmax"};
	if (t->layout != TC_OPTABLE_MICRO)
		return tc_class_name(r->op_class);
	for (size_t i = 0; i < TC_ARRAY_LEN(micro); i++)
		if (strcmp(r->name, micro[i]) == 0)
			return micro[i];
	return "elementwise";
}
