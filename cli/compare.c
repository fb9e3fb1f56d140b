/* compare.c - leaf-by-leaf comparison of JSON documents with per-metric tolerances. */
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "util.h"

static const struct tc_tol *tol_for(const struct tc_tol_rules *r, const char *metric)
{
	const struct tc_tol *t = &r->def;
	for (size_t i = 0; i < r->n; i++)
		if (fnmatch(r->patterns[i], metric, 0) == 0)
			t = &r->tols[i];
	return t;
}

static int ignored(const char *const *ignore, const char *metric)
{
	for (; ignore && *ignore; ignore++)
		if (fnmatch(*ignore, metric, 0) == 0)
			return 1;
	return 0;
}

static struct tc_cmp_row *add_row(struct tc_cmp *c, const char *metric)
{
	if (tc_grow((void **)&c->rows, &c->cap, c->n + 1, sizeof(*c->rows)))
		abort();
	struct tc_cmp_row *r = &c->rows[c->n++];
	memset(r, 0, sizeof(*r));
	r->metric = tc_xstrdup(metric);
	return r;
}

static char *leaf_text(const json_t *v)
{
	if (!v)
		return tc_xstrdup("(absent)");
	if (json_is_string(v))
		return tc_xstrdup(json_string_value(v));
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
	char *copy = tc_xstrdup(s ? s : "?");
	free(s);
	return copy;
}

static void compare_leaf(const char *path, const json_t *want, const json_t *got,
			 const struct tc_tol_rules *rules, struct tc_cmp *c)
{
	struct tc_cmp_row *r = add_row(c, path);
	if (json_is_number(want) && json_is_number(got)) {
		const struct tc_tol *t = tol_for(rules, path);
		r->is_number = 1;
		r->want = json_number_value(want);
		r->got = json_number_value(got);
		double d = fabs(r->got - r->want);
		r->status = d <= t->abs || d <= t->rel * fabs(r->want) ? TC_CMP_PASS : TC_CMP_FAIL;
	} else {
		r->want_s = leaf_text(want);
		r->got_s = leaf_text(got);
		r->status = !got					? TC_CMP_MISSING
			    : json_equal((json_t *)want, (json_t *)got) ? TC_CMP_PASS
									: TC_CMP_FAIL;
	}
}

static void extra_row(struct tc_cmp *c, const char *metric, const json_t *got)
{
	struct tc_cmp_row *r = add_row(c, metric);
	r->want_s = tc_xstrdup("(absent)");
	r->got_s = leaf_text(got);
	r->status = TC_CMP_EXTRA;
}

/* The key an array element is known by: "rank<r>:<name>" for a per-rank row (steps),
 * else its "class", "name" or "kind". Empty when it has none of them. */
static void elem_key(const json_t *e, char *buf, size_t n)
{
	buf[0] = 0;
	if (!json_is_object(e))
		return;
	const json_t *rank = json_object_get(e, "rank"), *name = json_object_get(e, "name");
	static const char *const keys[] = {"class", "name", "kind"};
	if (json_is_integer(rank) && json_is_string(name)) {
		snprintf(buf, n, "rank%lld:%s", (long long)json_integer_value(rank),
			 json_string_value(name));
		return;
	}
	for (size_t i = 0; i < TC_ARRAY_LEN(keys); i++) {
		const json_t *k = json_object_get(e, keys[i]);
		if (json_is_string(k) && json_string_value(k)[0]) {
			snprintf(buf, n, "%s", json_string_value(k));
			return;
		}
	}
}

/* Keys of every element of an array (a repeated key gets "#2", "#3" in order), or NULL when
 * some element has none: then elements are compared by position. */
static char **array_keys(const json_t *a, size_t *n)
{
	*n = json_is_array(a) ? json_array_size(a) : 0;
	char **k = tc_xcalloc(*n ? *n : 1, sizeof(char *));
	for (size_t i = 0; i < *n; i++) {
		char buf[600];
		elem_key(json_array_get(a, i), buf, sizeof(buf));
		if (!buf[0]) {
			for (size_t j = 0; j < i; j++)
				free(k[j]);
			free(k);
			return NULL;
		}
		size_t rep = 1;
		for (size_t j = 0; j < i; j++)
			rep += strncmp(k[j], buf, strlen(buf)) == 0 &&
			       (k[j][strlen(buf)] == 0 || k[j][strlen(buf)] == '#');
		if (rep > 1) {
			size_t used = strlen(buf);
			snprintf(buf + used, sizeof(buf) - used, "#%zu", rep);
		}
		k[i] = tc_xstrdup(buf);
	}
	return k;
}

static void free_keys(char **k, size_t n)
{
	for (size_t i = 0; k && i < n; i++)
		free(k[i]);
	free(k);
}

static void walk(const char *path, const json_t *want, const json_t *got,
		 const struct tc_tol_rules *rules, const char *const *ignore, struct tc_cmp *c);

/* Arrays of named rows (by_class, top ops, steps) are compared by name, not position, and
 * read as objects: "by_class.gemm.projected_ns", "top_ops.by_change.<op>.change_ns". A
 * reordered list then changes no metric, and a row that left it is one MISSING row. */
static int keyed_arrays(const char *path, const json_t *want, const json_t *got,
			const struct tc_tol_rules *rules, const char *const *ignore,
			struct tc_cmp *c)
{
	size_t nw, ng;
	char **kw = array_keys(want, &nw);
	if (!kw || !nw) {
		free_keys(kw, nw);
		return 0;
	}
	char **kg = json_is_array(got) ? array_keys(got, &ng) : NULL;
	if (json_is_array(got) && !kg) {
		free_keys(kw, nw);
		return 0;
	}
	if (!kg)
		ng = 0;
	char sub[1024];
	for (size_t i = 0; i < nw; i++) {
		const json_t *g = NULL;
		for (size_t j = 0; j < ng && !g; j++)
			if (strcmp(kw[i], kg[j]) == 0)
				g = json_array_get(got, j);
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", kw[i]);
		walk(sub, json_array_get(want, i), g, rules, ignore, c);
	}
	for (size_t j = 0; j < ng; j++) {
		int found = 0;
		for (size_t i = 0; i < nw && !found; i++)
			found = strcmp(kw[i], kg[j]) == 0;
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", kg[j]);
		if (!found && !ignored(ignore, sub))
			extra_row(c, sub, json_array_get(got, j));
	}
	free_keys(kw, nw);
	free_keys(kg, ng);
	return 1;
}

static void walk(const char *path, const json_t *want, const json_t *got,
		 const struct tc_tol_rules *rules, const char *const *ignore, struct tc_cmp *c)
{
	char sub[1024];
	if (ignored(ignore, path))
		return;
	if (json_is_object(want)) {
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)want, key, v)
		{
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key);
			walk(sub, v, json_is_object(got) ? json_object_get(got, key) : NULL, rules,
			     ignore, c);
		}
		if (json_is_object(got))
			json_object_foreach((json_t *)got, key, v)
			{
				if (json_object_get(want, key))
					continue;
				snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key);
				if (ignored(ignore, sub))
					continue;
				extra_row(c, sub, v);
			}
		return;
	}
	if (json_is_array(want)) {
		if (keyed_arrays(path, want, got, rules, ignore, c))
			return;
		size_t n = json_array_size(want), m = json_is_array(got) ? json_array_size(got) : 0;
		for (size_t i = 0; i < n || i < m; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (i < n) {
				walk(sub, json_array_get(want, i),
				     i < m ? json_array_get(got, i) : NULL, rules, ignore, c);
			} else if (!ignored(ignore, sub)) {
				extra_row(c, sub, json_array_get(got, i));
			}
		}
		return;
	}
	compare_leaf(path, want, got, rules, c);
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tc_cmp_row *)a)->metric,
		      ((const struct tc_cmp_row *)b)->metric);
}

void tc_compare_json(const json_t *want, const json_t *got, const struct tc_tol_rules *rules,
		     const char *const *ignore, struct tc_cmp *out)
{
	memset(out, 0, sizeof(*out));
	walk("", want, got, rules, ignore, out);
	qsort(out->rows, out->n, sizeof(*out->rows), row_cmp);
	for (size_t i = 0; i < out->n; i++)
		if (out->rows[i].status != TC_CMP_PASS)
			out->failed++;
}

void tc_cmp_free(struct tc_cmp *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->rows[i].metric);
		free(c->rows[i].want_s);
		free(c->rows[i].got_s);
	}
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

static int parse_one(const json_t *o, struct tc_tol *t, const char *where, char *msg, size_t n)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o)) {
		snprintf(msg, n, "%s: expected an object {\"rel\": x, \"abs\": y}", where);
		return -1;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		if (!json_is_number(v) || json_number_value(v) < 0) {
			snprintf(msg, n, "%s.%s: expected a number >= 0", where, key);
			return -1;
		}
		if (strcmp(key, "rel") == 0)
			t->rel = json_number_value(v);
		else if (strcmp(key, "abs") == 0)
			t->abs = json_number_value(v);
		else {
			snprintf(msg, n, "%s.%s: unknown key (rel, abs)", where, key);
			return -1;
		}
	}
	return 0;
}

int tc_tol_parse(const json_t *tol, struct tc_tol_rules *rules, char *msg, size_t n)
{
	const char *key;
	json_t *v;
	memset(rules, 0, sizeof(*rules));
	rules->def.rel = 1e-9; /* projections are deterministic: default is exact up to printing */
	if (!tol)
		return 0;
	if (!json_is_object(tol)) {
		snprintf(msg, n, "tolerance: expected an object");
		return -1;
	}
	/* the default first: metric rules inherit it whatever the key order */
	if (json_object_get(tol, "default") &&
	    parse_one(json_object_get(tol, "default"), &rules->def, "tolerance.default", msg, n))
		return -1;
	json_object_foreach((json_t *)tol, key, v)
	{
		if (strcmp(key, "default") == 0)
			continue;
		if (strcmp(key, "metrics") == 0 && json_is_object(v)) {
			size_t m = json_object_size(v), i = 0;
			const char *pat;
			json_t *pv;
			rules->patterns = tc_xcalloc(m, sizeof(*rules->patterns));
			rules->tols = tc_xcalloc(m, sizeof(*rules->tols));
			json_object_foreach(v, pat, pv)
			{
				char where[512];
				snprintf(where, sizeof(where), "tolerance.metrics.%s", pat);
				rules->tols[i] = rules->def;
				if (parse_one(pv, &rules->tols[i], where, msg, n))
					return -1;
				rules->patterns[i++] = pat;
			}
			rules->n = i;
		} else {
			snprintf(msg, n, "tolerance.%s: unknown key (default, metrics)", key);
			return -1;
		}
	}
	return 0;
}

void tc_tol_free(struct tc_tol_rules *rules)
{
	free(rules->patterns);
	free(rules->tols);
	memset(rules, 0, sizeof(*rules));
}
