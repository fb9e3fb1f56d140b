/* spec.c - loading a chip: find the file, resolve "inherits" (deep merge, cycle check), apply
 * --set overrides, validate against the schema, and fill the resolved struct tc_chip.
 * Sources follow the values: a value a child file or a --set replaces loses its parent's
 * citation, so `hw show` never attributes a changed number to a datasheet. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hw_schema.h"
#include "hw_spec.h"

#define TC_HW_INHERIT_MAX 16
#define TC_REAL_FMT JSON_REAL_PRECISION(12)

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int looks_like_path(const char *s)
{
	return strchr(s, '/') != NULL || tc_str_endswith(s, ".json");
}

/* Drop every source at path or below it ("memory.hbm" drops "memory.hbm.bw_gbs"). */
static void drop_sources(json_t *sources, const char *path)
{
	size_t l = strlen(path);
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(sources, tmp, k, v)
	{
		if (strncmp(k, path, l) == 0 && (k[l] == 0 || k[l] == '.'))
			json_object_del(sources, k);
	}
}

/* Does the child give a citation for path or one of its prefixes? */
static int has_source(json_t *sources, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		if (json_object_get(sources, buf))
			return 1;
		char *dot = strrchr(buf, '.');
		if (!dot)
			return 0;
		*dot = 0;
	}
}

/* Merge src into dst: objects merge key by key, anything else replaces. */
static void merge(json_t *dst, json_t *src, const char *path, json_t *dst_src, json_t *src_src,
		  const char *file)
{
	const char *k;
	json_t *v;
	char sub[256];
	json_object_foreach(src, k, v)
	{
		if (!path[0] && (strcmp(k, "sources") == 0 || strcmp(k, "inherits") == 0))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", k);
		json_t *d = json_object_get(dst, k);
		const struct tc_snode *s = tc_hw_schema_find(sub);
		if (json_is_null(v)) {
			/* null removes an inherited value (an H100 PCIe has no H100 SXM price) */
			json_object_del(dst, k);
			drop_sources(dst_src, sub);
			continue;
		}
		if (d && json_is_object(d) && json_is_object(v) && s && s->type == TC_ST_OBJ) {
			merge(d, v, sub, dst_src, src_src, file);
			continue;
		}
		json_object_set_new(dst, k, json_deep_copy(v));
		if (!has_source(src_src, sub)) {
			drop_sources(dst_src, sub);
			char note[300];
			snprintf(note, sizeof(note), "set in %s (no source given)", file);
			json_object_set_new(dst_src, sub, json_string(note));
		}
	}
}

static int resolve_parent(struct tc_hw *hw, const char *ref, const char *child_path, char **out,
			  struct tc_err *err)
{
	*out = NULL;
	if (looks_like_path(ref)) {
		char joined[PATH_MAX];
		const char *slash = strrchr(child_path, '/');
		if (ref[0] == '/' || !slash)
			snprintf(joined, sizeof(joined), "%s", ref);
		else
			snprintf(joined, sizeof(joined), "%.*s/%s", (int)(slash - child_path),
				 child_path, ref);
		*out = tc_xstrdup(joined);
		return 0;
	}
	const char *p = hw ? tc_hw_lookup(hw, ref) : NULL;
	if (!p) {
		char sugg[256] = "";
		if (hw && tc_hw_suggest(hw, ref, sugg, sizeof(sugg)))
			return tc_err_set(err, TC_ENOTFOUND,
					  "%s: inherits: unknown chip '%s' (did you mean: %s?)",
					  child_path, ref, sugg);
		return tc_err_set(err, TC_ENOTFOUND, "%s: inherits: unknown chip '%s'", child_path,
				  ref);
	}
	*out = tc_xstrdup(p);
	return 0;
}

/* Load path and everything it inherits into one document with a merged "sources" map.
 * chain holds the canonical paths being loaded, to detect cycles. */
static int load_doc(struct tc_hw *hw, const char *path, char **chain, int depth, json_t **out,
		    struct tc_err *err)
{
	*out = NULL;
	char canon[PATH_MAX];
	if (!realpath(path, canon))
		snprintf(canon, sizeof(canon), "%s", path);
	for (int i = 0; i < depth; i++) {
		if (strcmp(chain[i], canon) != 0)
			continue;
		char msg[512] = "";
		size_t used = 0;
		for (int j = i; j < depth; j++) {
			int w =
			    snprintf(msg + used, sizeof(msg) - used, "%s -> ", base_name(chain[j]));
			if (w > 0 && used + (size_t)w < sizeof(msg))
				used += (size_t)w;
		}
		return tc_err_set(err, TC_EFORMAT, "%s: inherits: cycle %s%s", chain[depth - 1],
				  msg, base_name(canon));
	}
	if (depth >= TC_HW_INHERIT_MAX)
		return tc_err_set(err, TC_EFORMAT, "%s: inherits: more than %d levels", path,
				  TC_HW_INHERIT_MAX);

	json_error_t jerr;
	char *text;
	size_t len;
	/* whole-file read, then parse from memory: jansson's file reader goes through getc,
	 * which dominated sweeps that load a spec per configuration */
	if (tc_read_file(path, &text, &len, err) < 0)
		return err ? err->code : TC_EIO;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!doc)
		return tc_err_set(err, TC_EFORMAT, "%s: line %d column %d: %s", path, jerr.line,
				  jerr.column, jerr.text);
	int rc = tc_hw_check_tree(&tc_hw_schema_root, path, "", doc, 0, err);
	if (rc < 0)
		goto fail;
	json_t *jsrc = json_object_get(doc, "sources");
	json_t *inh = json_object_get(doc, "inherits");
	if (!inh) {
		if (!jsrc)
			json_object_set_new(doc, "sources", json_object());
		tc_hw_price_ref_snapshot(doc, doc);
		*out = doc;
		return 0;
	}

	char *ppath = NULL;
	rc = resolve_parent(hw, json_string_value(inh), path, &ppath, err);
	if (rc < 0)
		goto fail;
	chain[depth] = canon;
	json_t *parent = NULL;
	rc = load_doc(hw, ppath, chain, depth + 1, &parent, err);
	free(ppath);
	if (rc < 0)
		goto fail;
	/* Identity does not inherit: an H200 is not an "h100" alias. */
	json_object_del(parent, "id");
	json_object_del(parent, "name");
	json_object_del(parent, "aliases");
	json_object_del(parent, "device_names");
	json_object_del(parent, "notes");
	json_t *psrc = json_object_get(parent, "sources");
	json_t *empty = json_object();
	merge(parent, doc, "", psrc, jsrc ? jsrc : empty, base_name(path));
	json_decref(empty);
	if (jsrc)
		json_object_update(psrc, jsrc);
	tc_hw_price_ref_snapshot(parent, doc);
	json_decref(doc);
	*out = parent;
	return 0;
fail:
	json_decref(doc);
	return rc;
}

static void canonical_key(const char *key, size_t len, char *buf, size_t n);

void tc_hw_canonical_key(const char *key, char *buf, size_t n)
{
	canonical_key(key, strlen(key), buf, n);
}

/* "compute.bf16.tflops" (the short form sweeps use) -> "compute.matrix.peak_tflops.bf16". */
static void canonical_key(const char *key, size_t len, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)len, key);
	for (int d = 0; d < TC_HW_DT__COUNT; d++) {
		char alias[64];
		snprintf(alias, sizeof(alias), "compute.%s.tflops", tc_hw_dt_keys[d]);
		if (strcmp(buf, alias) == 0) {
			snprintf(buf, n, "compute.matrix.peak_tflops.%s", tc_hw_dt_keys[d]);
			return;
		}
	}
}

static int apply_set(json_t *doc, const char *set, struct tc_err *err)
{
	const char *eq = strchr(set, '=');
	if (!eq || eq == set)
		return tc_err_set(err, TC_EINVAL, "--set '%s': expected key.path=value", set);
	char key[256];
	canonical_key(set, (size_t)(eq - set), key, sizeof(key));
	const struct tc_snode *s = tc_hw_schema_find(key);
	if (!s || !strcmp(key, "sources") || !strcmp(key, "inherits") || !strcmp(key, "id"))
		return tc_err_set(err, TC_EINVAL, "--set %s: unknown key path", key);
	if (s->type == TC_ST_OBJ)
		return tc_err_set(err, TC_EINVAL, "--set %s: is an object; set one of its fields",
				  key);
	const char *text = eq + 1;
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!v)
		v = json_string(
		    text); /* bare words are strings: --set network.scale_up.topology=ring */
	if (!v)
		return tc_err_set(err, TC_EINVAL, "--set %s: value is not valid UTF-8", key);
	char file[300];
	snprintf(file, sizeof(file), "--set %.200s", set);
	int rc = tc_hw_check_value(s, "--set", key, v, err);
	if (rc < 0) {
		json_decref(v);
		return rc;
	}
	/* Walk down, creating the objects an optional section may lack. */
	json_t *cur = doc;
	const char *p = key;
	for (;;) {
		const char *dot = strchr(p, '.');
		if (!dot)
			break;
		char part[128];
		snprintf(part, sizeof(part), "%.*s", (int)(dot - p), p);
		json_t *nx = json_object_get(cur, part);
		if (!json_is_object(nx)) {
			nx = json_object();
			json_object_set_new(cur, part, nx);
		}
		cur = nx;
		p = dot + 1;
	}
	json_object_set_new(cur, p, v);
	json_t *src = json_object_get(doc, "sources");
	drop_sources(src, key);
	json_object_set_new(src, key, json_string(file));
	return 0;
}

/* ---- extraction ------------------------------------------------------------------------- */

static json_t *get(json_t *doc, const char *path)
{
	char part[128];
	json_t *cur = doc;
	const char *p = path;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		snprintf(part, sizeof(part), "%.*s", (int)l, p);
		cur = json_object_get(cur, part);
		p += l + (dot ? 1 : 0);
	}
	return cur;
}

static double num(json_t *doc, const char *path, double dflt)
{
	json_t *v = get(doc, path);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

double tc_hw_doc_num(json_t *doc, const char *path, double dflt)
{
	return num(doc, path, dflt);
}

static const char *str(json_t *doc, const char *path, const char *dflt)
{
	json_t *v = get(doc, path);
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static void curve(json_t *doc, const char *path, struct tc_hw_curve *c)
{
	json_t *a = get(doc, path);
	c->n = 0;
	for (size_t i = 0; i < json_array_size(a) && i < TC_HW_CURVE_MAX; i++) {
		json_t *pt = json_array_get(a, i);
		c->x[c->n] = json_number_value(json_array_get(pt, 0));
		c->e[c->n] = json_number_value(json_array_get(pt, 1));
		c->n++;
	}
}

static int enum_index(const char *v, const char *const *names, int dflt)
{
	for (int i = 0; v && names[i]; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return dflt;
}

static void tier(json_t *doc, const char *path, struct tc_hw_tier *t, int dflt_algo)
{
	static const char *const topo[] = {"switch",  "mesh", "ring", "torus2d",
					   "torus3d", "pcie", NULL};
	static const char *const algo[] = {"ring", "tree", "direct", "auto", NULL};
	char k[128];
#define TK(x) (snprintf(k, sizeof(k), "%s.%s", path, x), k)
	t->name = str(doc, TK("name"), path);
	t->topology = enum_index(str(doc, TK("topology"), NULL), topo, TC_TOPO_SWITCH);
	t->algorithm = enum_index(str(doc, TK("algorithm"), NULL), algo, dflt_algo);
	t->size = (uint32_t)num(doc, TK("size"), 1);
	t->bw_dev = num(doc, TK("bw_gbs_per_device"), 1) * 1e9;
	/* Through a switch one pair can use all links of a device: per peer = per device. */
	t->bw_peer = num(doc, TK("bw_gbs_per_peer"), t->bw_dev / 1e9) * 1e9;
	t->lat_ns = num(doc, TK("latency_us"), 0) * 1e3;
	t->eff = num(doc, TK("efficiency"), 1);
	json_t *inr = get(doc, TK("in_network_reduction"));
	t->in_network_reduction = json_is_true(inr);
	t->nics = num(doc, TK("nics_per_device"), 1);
	t->oversub = num(doc, TK("oversubscription"), 1);
	t->rails = (uint32_t)num(doc, TK("rails"), 0);
#undef TK
}

static int cross_checks(struct tc_chip *c, const char *file, struct tc_err *err)
{
	if (c->idle_w > c->tdp_w)
		return tc_err_set(err, TC_EFORMAT, "%s: power.idle_w: %g W exceeds tdp_w %g W",
				  file, c->idle_w, c->tdp_w);
	/* every GEMM needs some matrix rate; a chip without a matrix engine lists its vector
	 * rates there too */
	int any = 0;
	for (int d = 0; d < TC_HW_DT__COUNT; d++)
		any |= c->mat_peak[d] > 0;
	if (!any)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: compute.matrix.peak_tflops: no dtype with a peak > 0", file);
	if (c->out.size < c->up.size)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: network.scale_out.size: %u is smaller than scale_up.size %u",
				  file, c->out.size, c->up.size);
	return 0;
}

static int fill_chip(struct tc_chip *c, const char *file, struct tc_err *err)
{
	json_t *d = c->doc;
	c->clock_mhz = num(d, "compute.clock_mhz", 0);
	c->units = (uint32_t)num(d, "compute.units", 1);
	char k[128];
	for (int i = 0; i < TC_HW_DT__COUNT; i++) {
		snprintf(k, sizeof(k), "compute.matrix.peak_tflops.%s", tc_hw_dt_keys[i]);
		c->mat_peak[i] = num(d, k, 0) * 1e12;
		snprintf(k, sizeof(k), "compute.vector.peak_tflops.%s", tc_hw_dt_keys[i]);
		c->vec_peak[i] = num(d, k, 0) * 1e12;
	}
	curve(d, "compute.matrix.efficiency", &c->mat_eff);
	curve(d, "compute.vector.efficiency", &c->vec_eff);
	curve(d, "memory.hbm.efficiency", &c->mem_eff);
	c->tile_m = (uint32_t)num(d, "compute.matrix.tile_m", 128);
	c->tile_n = (uint32_t)num(d, "compute.matrix.tile_n", 128);
	c->attn_eff = num(d, "compute.matrix.attention_efficiency", 1.0);
	c->hbm_bw = num(d, "memory.hbm.bw_gbs", 1) * 1e9;
	c->hbm_cap_bytes = num(d, "memory.hbm.capacity_gb", 0) * 1e9;
	c->host_bw = num(d, "memory.host.bw_gbs", 1) * 1e9;
	c->host_lat_ns = num(d, "memory.host.latency_us", 0) * 1e3;
	c->host_eff = num(d, "memory.host.efficiency", 1.0);
	c->launch_ns = num(d, "overheads.launch_us", 0) * 1e3;
	c->min_kernel_ns = num(d, "overheads.min_kernel_us", 0) * 1e3;
	c->coll_launch_ns = num(d, "overheads.collective_launch_us", 0) * 1e3;
	for (unsigned i = 0; i < TC_CLASS__COUNT; i++) {
		struct tc_hw_class_fit *f = &c->cls[i];
		char base[64];
		snprintf(base, sizeof(base), "classes.%s", tc_class_name(i));
		snprintf(k, sizeof(k), "%s.floor_us", base);
		f->floor_ns = num(d, k, -1) * 1e3;
		f->has_floor = f->floor_ns >= 0;
		snprintf(k, sizeof(k), "%s.fixed_us", base);
		f->fixed_ns = num(d, k, 0) * 1e3;
		snprintf(k, sizeof(k), "%s.efficiency", base);
		f->eff = num(d, k, -1);
		f->has_fit = f->eff > 0;
		snprintf(k, sizeof(k), "%s.curve", base);
		json_t *uc = get(d, k);
		f->use_curve = json_is_true(uc);
		snprintf(k, sizeof(k), "%s.p10", base);
		f->p10 = num(d, k, 0);
		snprintf(k, sizeof(k), "%s.p90", base);
		f->p90 = num(d, k, 0);
	}
	tier(d, "network.scale_up", &c->up, TC_ALGO_RING);
	tier(d, "network.scale_out", &c->out, TC_ALGO_AUTO);
	c->idle_w = num(d, "power.idle_w", 0);
	c->tdp_w = num(d, "power.tdp_w", 0);
	c->pj_per_flop = num(d, "power.pj_per_flop", 0);
	c->pj_per_byte = num(d, "power.pj_per_byte", 0);
	c->purchase_usd = num(d, "cost.purchase_usd", -1);
	c->lifetime_years = num(d, "cost.lifetime_years", 4);
	c->usd_per_kwh = num(d, "cost.usd_per_kwh", -1);
	c->pue = num(d, "cost.pue", 1.0);
	c->rent_usd_h = num(d, "cost.rent_usd_per_hour", -1);
	c->utilisation = num(d, "cost.utilisation", 1.0);
	return cross_checks(c, file, err);
}

/* ---- flattening, for show / compare ------------------------------------------------------- */

static const char *source_for(json_t *sources, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		json_t *s = json_object_get(sources, buf);
		if (json_is_string(s))
			return json_string_value(s);
		char *dot = strrchr(buf, '.');
		if (!dot)
			return "";
		*dot = 0;
	}
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct tc_chip_kv *)a)->path, ((const struct tc_chip_kv *)b)->path);
}

static void flatten(struct tc_chip *c, json_t *v, const char *path, size_t *cap)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		char sub[256];
		json_object_foreach(v, k, x)
		{
			if (!path[0] && strcmp(k, "sources") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", k);
			flatten(c, x, sub, cap);
		}
		return;
	}
	if (tc_grow((void **)&c->kv, cap, c->n_kv + 1, sizeof(*c->kv)) < 0)
		return;
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | TC_REAL_FMT);
	struct tc_chip_kv *kv = &c->kv[c->n_kv++];
	kv->path = tc_arena_strdup(&c->arena, path);
	kv->value = tc_arena_strdup(&c->arena, text ? text : "?");
	kv->source = tc_arena_strdup(&c->arena, source_for(c->sources, path));
	free(text);
}

/* ---- public ------------------------------------------------------------------------------- */

struct tc_chip_base {
	char *path;
	json_t *doc; /* inheritance resolved, no --set applied; never changed once open */
};

int tc_hw_base_open(struct tc_hw *hw, const char *name_or_path, struct tc_chip_base **out,
		    struct tc_err *err)
{
	*out = NULL;
	if (!name_or_path || !name_or_path[0])
		return tc_err_set(err, TC_EINVAL, "no chip given");
	const char *path = hw ? tc_hw_lookup(hw, name_or_path) : NULL;
	if (!path && !looks_like_path(name_or_path)) {
		char sugg[256] = "";
		if (hw && tc_hw_suggest(hw, name_or_path, sugg, sizeof(sugg)))
			return tc_err_set(err, TC_ENOTFOUND,
					  "unknown chip '%s' (did you mean: %s?)", name_or_path,
					  sugg);
		return tc_err_set(err, TC_ENOTFOUND, "unknown chip '%s' (see 'tracecast hw list')",
				  name_or_path);
	}
	if (!path)
		path = name_or_path;

	char *chain[TC_HW_INHERIT_MAX + 1];
	json_t *doc = NULL;
	TC_TRY(load_doc(hw, path, chain, 0, &doc, err));
	struct tc_chip_base *b = tc_xcalloc(1, sizeof(*b));
	b->path = tc_xstrdup(path);
	b->doc = doc;
	*out = b;
	return 0;
}

void tc_chip_base_free(struct tc_chip_base *b)
{
	if (!b)
		return;
	json_decref(b->doc);
	free(b->path);
	free(b);
}

/* The chip of a resolved spec document (taken over) with sets applied. */
static int chip_of_doc(json_t *doc, const char *path, const char *const *sets, size_t n_sets,
		       struct tc_chip **out, struct tc_err *err)
{
	/* the figures the published price goes with, before --set moves them (capital.c) */
	json_t *price_ref = tc_hw_price_ref_take(doc);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n_sets; i++)
		rc = apply_set(doc, sets[i], err);
	if (rc == 0)
		rc = tc_hw_check_tree(&tc_hw_schema_root, path, "", doc, 1, err);
	if (rc < 0) {
		json_decref(doc);
		json_decref(price_ref);
		return rc;
	}

	struct tc_chip *c = tc_xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->kv_mu, NULL);
	tc_arena_init(&c->arena, 0);
	c->sources = json_incref(json_object_get(doc, "sources"));
	json_object_del(doc, "sources");
	json_object_del(doc, "inherits");
	c->doc = doc;
	c->file = tc_xstrdup(path);
	const char *id = str(doc, "id", NULL);
	char idbuf[256];
	if (!id) {
		snprintf(idbuf, sizeof(idbuf), "%s", base_name(path));
		if (tc_str_endswith(idbuf, ".json"))
			idbuf[strlen(idbuf) - 5] = 0;
		id = idbuf;
		json_object_set_new(doc, "id", json_string(id));
	}
	c->id = tc_xstrdup(id);
	c->name = tc_xstrdup(str(doc, "name", c->id));
	c->vendor = tc_xstrdup(str(doc, "vendor", ""));
	rc = fill_chip(c, path, err);
	if (rc == 0)
		tc_hw_price_fill(c, price_ref);
	json_decref(price_ref);
	if (rc < 0) {
		tc_chip_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* Build the flattened fields once, whichever thread asks first. */
static void need_kv(const struct tc_chip *chip)
{
	struct tc_chip *c = (struct tc_chip *)chip; /* a cache: the chip's figures do not change */
	if (atomic_load_explicit(&c->kv_done, memory_order_acquire))
		return;
	pthread_mutex_lock(&c->kv_mu);
	if (!atomic_load_explicit(&c->kv_done, memory_order_relaxed)) {
		size_t cap = 0;
		flatten(c, c->doc, "", &cap);
		if (c->n_kv)
			qsort(c->kv, c->n_kv, sizeof(*c->kv), cmp_kv);
		atomic_store_explicit(&c->kv_done, 1, memory_order_release);
	}
	pthread_mutex_unlock(&c->kv_mu);
}

int tc_chip_base_load(const struct tc_chip_base *b, const char *const *sets, size_t n_sets,
		      struct tc_chip **out, struct tc_err *err)
{
	*out = NULL;
	/* a deep copy only reads b->doc, so threads may load from one base at once */
	json_t *doc = json_deep_copy(b->doc);
	if (!doc)
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory copying the spec", b->path);
	return chip_of_doc(doc, b->path, sets, n_sets, out, err);
}

int tc_hw_load(struct tc_hw *hw, const char *name_or_path, const char *const *sets, size_t n_sets,
	       struct tc_chip **out, struct tc_err *err)
{
	*out = NULL;
	struct tc_chip_base *b = NULL;
	TC_TRY(tc_hw_base_open(hw, name_or_path, &b, err));
	json_t *doc = b->doc;
	b->doc = NULL;
	int rc = chip_of_doc(doc, b->path, sets, n_sets, out, err);
	tc_chip_base_free(b);
	return rc;
}

void tc_chip_free(struct tc_chip *chip)
{
	if (!chip)
		return;
	json_decref(chip->doc);
	json_decref(chip->sources);
	free(chip->id);
	free(chip->name);
	free(chip->vendor);
	free(chip->file);
	free(chip->kv);
	pthread_mutex_destroy(&chip->kv_mu);
	tc_arena_free(&chip->arena);
	free(chip);
}

const char *tc_chip_id(const struct tc_chip *chip)
{
	return chip->id;
}

const char *tc_chip_name(const struct tc_chip *chip)
{
	return chip->name;
}

const char *tc_chip_vendor(const struct tc_chip *chip)
{
	return chip->vendor;
}

int tc_chip_print_json(const struct tc_chip *chip, FILE *fp)
{
	json_t *all = json_deep_copy(chip->doc);
	json_object_set(all, "sources", chip->sources);
	int rc = json_dumpf(all, fp, JSON_SORT_KEYS | JSON_INDENT(2) | TC_REAL_FMT);
	json_decref(all);
	if (rc < 0 || fputc('\n', fp) == EOF)
		return TC_EIO;
	return 0;
}

char *tc_chip_config_json(const struct tc_chip *chip)
{
	return json_dumps(chip->doc, JSON_SORT_KEYS | JSON_COMPACT | TC_REAL_FMT);
}

size_t tc_chip_nfields(const struct tc_chip *chip)
{
	need_kv(chip);
	return chip->n_kv;
}

int tc_chip_field(const struct tc_chip *chip, size_t i, const char **path, const char **value,
		  const char **source)
{
	need_kv(chip);
	if (i >= chip->n_kv)
		return TC_EINVAL;
	*path = chip->kv[i].path;
	*value = chip->kv[i].value;
	if (source)
		*source = chip->kv[i].source;
	return 0;
}

const char *tc_chip_get(const struct tc_chip *chip, const char *path, const char **source)
{
	char key[256];
	canonical_key(path, strlen(path), key, sizeof(key)); /* the short forms --set accepts */
	path = key;
	need_kv(chip);
	size_t lo = 0, hi = chip->n_kv;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(chip->kv[mid].path, path);
		if (c == 0) {
			if (source)
				*source = chip->kv[mid].source;
			return chip->kv[mid].value;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
