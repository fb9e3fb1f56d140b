/* grid.c - the sweep plan: grid axes ("key=v1,v2" or "key=lo:hi:n"), the cross product in
 * mixed radix, deterministic random samples, and shards of an array job. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "st_internal.h"

static int number(const char *s, double *d)
{
	char *end;
	if (!*s || strchr(" \t\n", *s))
		return 0;
	*d = strtod(s, &end);
	return *end == 0 && isfinite(*d);
}

/* Values are stored canonical (shortest round trip) when numeric, so "5000" and "5e3" are
 * one configuration and hash the same. */
static char *canon(struct tc_arena *a, const char *s, size_t n)
{
	char *t = tc_arena_strndup(a, s, n);
	double d;
	char buf[64];
	if (t && number(t, &d))
		t = tc_arena_strdup(a, tc_fmt_double(buf, sizeof(buf), d));
	return t;
}

static int add_range(struct tc_grid *g, struct tc_grid_axis *ax, const char *arg, const char *spec,
		     struct tc_err *err)
{
	char lo_s[64], hi_s[64], n_s[32];
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	double lo, hi, nd;
	if (!c2 || strchr(c2 + 1, ':') || (size_t)(c1 - spec) >= sizeof(lo_s) ||
	    (size_t)(c2 - c1 - 1) >= sizeof(hi_s) || strlen(c2 + 1) >= sizeof(n_s))
		return tc_err_set(err, TC_EINVAL, "grid '%s': a range is lo:hi:n", arg);
	snprintf(lo_s, sizeof(lo_s), "%.*s", (int)(c1 - spec), spec);
	snprintf(hi_s, sizeof(hi_s), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	snprintf(n_s, sizeof(n_s), "%s", c2 + 1);
	if (!number(lo_s, &lo) || !number(hi_s, &hi))
		return tc_err_set(err, TC_EINVAL, "grid '%s': range ends must be numbers", arg);
	if (!number(n_s, &nd) || nd != floor(nd) || nd > 1e6)
		return tc_err_set(err, TC_EINVAL, "grid '%s': the count n must be a whole number",
				  arg);
	if (nd < 1)
		return tc_err_set(err, TC_EINVAL, "grid '%s': empty range (n = %s, needs >= 1)",
				  arg, n_s);
	if (hi < lo)
		return tc_err_set(err, TC_EINVAL, "grid '%s': empty range (hi %s < lo %s)", arg,
				  hi_s, lo_s);
	if (nd > 1 && hi == lo)
		return tc_err_set(err, TC_EINVAL, "grid '%s': %s values between equal ends", arg,
				  n_s);
	ax->n = (size_t)nd;
	ax->values = tc_arena_alloc(&g->arena, ax->n * sizeof(*ax->values));
	if (!ax->values)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	for (size_t i = 0; i < ax->n; i++) {
		char buf[64];
		/* both ends exact: lo + (hi - lo) * i / (n - 1) would round the last one */
		double v = i == 0	    ? lo
			   : i == ax->n - 1 ? hi
					    : lo + (hi - lo) * (double)i / (nd - 1);
		tc_fmt_double(buf, sizeof(buf), v);
		if (!(ax->values[i] = tc_arena_strdup(&g->arena, buf)))
			return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	return 0;
}

int tc_grid_add(struct tc_grid *g, const char *arg, struct tc_err *err)
{
	const char *eq = strchr(arg, '=');
	struct tc_grid_axis ax = {0};
	if (!eq || eq == arg)
		return tc_err_set(err, TC_EINVAL,
				  "grid '%s': expected key=v1,v2,... or key=lo:hi:n", arg);
	if (!(ax.key = tc_arena_strndup(&g->arena, arg, (size_t)(eq - arg))))
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	for (size_t i = 0; i < g->n_axes; i++)
		if (strcmp(g->axes[i].key, ax.key) == 0)
			return tc_err_set(err, TC_EINVAL, "grid '%s': key %s is already swept", arg,
					  ax.key);
	const char *spec = eq + 1;
	if (!*spec)
		return tc_err_set(err, TC_EINVAL, "grid '%s': no values", arg);
	if (strchr(spec, ':')) {
		TC_TRY(add_range(g, &ax, arg, spec, err));
	} else {
		size_t n = 1;
		for (const char *p = spec; *p; p++)
			n += *p == ',';
		ax.values = tc_arena_alloc(&g->arena, n * sizeof(*ax.values));
		if (!ax.values)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		for (const char *p = spec;; p++) {
			size_t len = strcspn(p, ",");
			if (len == 0)
				return tc_err_set(err, TC_EINVAL,
						  "grid '%s': empty value in the list", arg);
			if (!(ax.values[ax.n] = canon(&g->arena, p, len)))
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			for (size_t j = 0; j < ax.n; j++)
				if (strcmp(ax.values[j], ax.values[ax.n]) == 0)
					return tc_err_set(err, TC_EINVAL,
							  "grid '%s': value %s given twice", arg,
							  ax.values[ax.n]);
			ax.n++;
			p += len;
			if (!*p)
				break;
		}
	}
	struct tc_grid_axis *axes = tc_arena_alloc(&g->arena, (g->n_axes + 1) * sizeof(*axes));
	if (!axes)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (g->n_axes)
		memcpy(axes, g->axes, g->n_axes * sizeof(*axes));
	axes[g->n_axes++] = ax;
	g->axes = axes;
	return 0;
}

int tc_grid_check(const struct tc_grid *g, const struct tc_chip *base, struct tc_err *err)
{
	for (size_t i = 0; i < g->n_axes; i++) {
		if (strncmp(g->axes[i].key, "scale.", 6) == 0)
			continue; /* the job's size and layout, not a spec key: the sweep checks
				     them */
		const char *v = tc_chip_get(base, g->axes[i].key, NULL);
		double d;
		if (!v)
			return tc_err_set(err, TC_ENOTFOUND,
					  "grid key %s: the spec of %s has no such key",
					  g->axes[i].key, tc_chip_id(base));
		if (!number(v, &d))
			return tc_err_set(err, TC_EINVAL,
					  "grid key %s: %s holds %s there, not a number to sweep",
					  g->axes[i].key, tc_chip_id(base), v);
	}
	return 0;
}

int tc_grid_count(const struct tc_grid *g, uint64_t *out, struct tc_err *err)
{
	uint64_t n = 1;
	for (size_t i = 0; i < g->n_axes; i++) {
		if (g->axes[i].n > (1ULL << 40) / n)
			return tc_err_set(err, TC_EINVAL, "grid: more than 2^40 configurations");
		n *= g->axes[i].n;
	}
	*out = n;
	return 0;
}

void tc_grid_values(const struct tc_grid *g, uint64_t idx, const char **vals)
{
	for (size_t i = g->n_axes; i-- > 0;) {
		vals[i] = g->axes[i].values[idx % g->axes[i].n];
		idx /= g->axes[i].n;
	}
}

void tc_grid_free(struct tc_grid *g)
{
	tc_arena_free(&g->arena);
	g->axes = NULL;
	g->n_axes = 0;
}

/* ---- random samples ----------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int tc_sample_indices(uint64_t n, uint64_t k, uint64_t seed, uint64_t **out, uint64_t *n_out,
		      struct tc_err *err)
{
	struct tc_map64 chosen = TC_MAP64_INIT;
	uint64_t *v;
	if (k > n)
		k = n;
	if (k > (1ULL << 32))
		return tc_err_set(err, TC_EINVAL, "random sample of %llu is too large",
				  (unsigned long long)k);
	v = malloc((size_t)(k ? k : 1) * sizeof(*v));
	if (!v)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	/* Floyd's algorithm: k draws, each distinct, no O(n) memory */
	uint64_t st = seed, m = 0;
	for (uint64_t j = n - k; j < n; j++) {
		uint64_t t = splitmix(&st) % (j + 1);
		if (tc_map64_get(&chosen, t, NULL))
			t = j;
		if (tc_map64_put(&chosen, t, 1) < 0) {
			free(v);
			tc_map64_free(&chosen);
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		}
		v[m++] = t;
	}
	tc_map64_free(&chosen);
	qsort(v, (size_t)m, sizeof(*v), cmp_u64);
	*out = v;
	*n_out = m;
	return 0;
}

/* ---- shards ------------------------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > (1ULL << 40))
		return -1;
	*out = v;
	return 0;
}

int tc_shard_parse(const char *s, struct tc_shard *out, struct tc_err *err)
{
	char k[32];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(k))
		return tc_err_set(err, TC_EINVAL, "shard '%s': expected K/N", s);
	snprintf(k, sizeof(k), "%.*s", (int)(slash - s), s);
	if (parse_u64(k, &out->k) < 0 || parse_u64(slash + 1, &out->n) < 0 || out->n == 0)
		return tc_err_set(err, TC_EINVAL,
				  "shard '%s': K and N must be whole numbers, N >= 1", s);
	if (out->k >= out->n)
		return tc_err_set(err, TC_EINVAL, "shard '%s': K must be below N (0-based)", s);
	return 0;
}

static const char *std_getenv(const char *name)
{
	return getenv(name);
}

static const char *env_or_null(tc_getenv_fn fn, const char *name)
{
	const char *v = fn(name);
	return v && *v ? v : NULL;
}

int tc_shard_from_env(tc_getenv_fn getenv_fn, uint64_t count, struct tc_shard *out,
		      struct tc_err *err)
{
	tc_getenv_fn fn = getenv_fn ? getenv_fn : std_getenv;
	const char *id, *cnt, *min;
	uint64_t k, n = count, lo = 0;
	if ((id = env_or_null(fn, "SLURM_ARRAY_TASK_ID"))) {
		/* arrays may start anywhere (--array=1-8): K = id - min */
		cnt = env_or_null(fn, "SLURM_ARRAY_TASK_COUNT");
		min = env_or_null(fn, "SLURM_ARRAY_TASK_MIN");
		if (parse_u64(id, &k) < 0 || (min && parse_u64(min, &lo) < 0) || lo > k)
			return tc_err_set(err, TC_EINVAL,
					  "SLURM_ARRAY_TASK_ID=%s: not a task index", id);
		if (!count && (!cnt || parse_u64(cnt, &n) < 0))
			return tc_err_set(
			    err, TC_EINVAL,
			    "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is "
			    "not a count");
		k -= lo;
		if (cnt && min && count == 0) {
			/* a strided or sparse array has no dense K/N: ask for it */
			const char *max = env_or_null(fn, "SLURM_ARRAY_TASK_MAX");
			uint64_t hi;
			if (max && parse_u64(max, &hi) == 0 && hi - lo + 1 != n)
				return tc_err_set(
				    err, TC_EINVAL,
				    "Slurm array %s-%s has %s tasks: use a dense array "
				    "(--array=0-N) or give --shard",
				    min, max, cnt);
		}
	} else if ((id = env_or_null(fn, "JOB_COMPLETION_INDEX"))) {
		if (parse_u64(id, &k) < 0)
			return tc_err_set(err, TC_EINVAL, "JOB_COMPLETION_INDEX=%s: not an index",
					  id);
		if (!n && (cnt = env_or_null(fn, "TC_SHARD_COUNT")) && parse_u64(cnt, &n) < 0)
			return tc_err_set(err, TC_EINVAL, "TC_SHARD_COUNT=%s: not a count", cnt);
		if (!n)
			return tc_err_set(err, TC_EINVAL,
					  "JOB_COMPLETION_INDEX is set: give the job's completions "
					  "with --shard-count N or TC_SHARD_COUNT");
	} else if ((id = env_or_null(fn, "AWS_BATCH_JOB_ARRAY_INDEX"))) {
		if (parse_u64(id, &k) < 0)
			return tc_err_set(err, TC_EINVAL,
					  "AWS_BATCH_JOB_ARRAY_INDEX=%s: not an index", id);
		if (!n && (cnt = env_or_null(fn, "TC_SHARD_COUNT")) && parse_u64(cnt, &n) < 0)
			return tc_err_set(err, TC_EINVAL, "TC_SHARD_COUNT=%s: not a count", cnt);
		if (!n)
			return tc_err_set(err, TC_EINVAL,
					  "AWS_BATCH_JOB_ARRAY_INDEX is set: give the array size "
					  "with --shard-count N or TC_SHARD_COUNT");
	} else {
		return 0;
	}
	if (n == 0 || k >= n)
		return tc_err_set(err, TC_EINVAL, "array index %llu is not below the count %llu",
				  (unsigned long long)k, (unsigned long long)n);
	out->k = k;
	out->n = n;
	return 1;
}
