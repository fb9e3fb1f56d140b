/* diff.c - "what changed and why": two profiles (a trace's measured GPU ops, or one side of a
 * projection) joined per op class and per kernel name, time and count deltas sorted by
 * impact, written as an aligned table, JSON or an HTML page. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"
#include "opstream.h"

/* ---- profiles ------------------------------------------------------------------------------ */

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int push(struct tc_report_profile *p, int kernel, size_t *cap, const char *key,
		const char *cls, double ns, double count)
{
	struct tc_report_item **arr = kernel ? &p->kernels : &p->classes;
	size_t *n = kernel ? &p->n_kernels : &p->n_classes;
	if (tc_grow((void **)arr, cap, *n + 1, sizeof(**arr)) < 0)
		return TC_ENOMEM;
	struct tc_report_item *it = &(*arr)[(*n)++];
	it->key = tc_arena_strdup(&p->arena, key);
	it->cls = tc_arena_strdup(&p->arena, cls ? cls : "");
	it->ns = ns;
	it->count = count;
	return it->key && it->cls ? 0 : TC_ENOMEM;
}

int tc_report_profile_from_tcs(struct tc_report_profile *p, const char *path, struct tc_err *err)
{
	memset(p, 0, sizeof(*p));
	tc_arena_init(&p->arena, 0);
	struct tc_ops_reader *rd = NULL;
	int rc = tc_ops_reader_open(&rd, path, err);
	if (rc < 0)
		return rc;
	double cls_ns[TC_CLASS__COUNT] = {0}, cls_n[TC_CLASS__COUNT] = {0}, step_sum = 0;
	struct tc_map64 idx = TC_MAP64_INIT; /* name string id -> slot */
	struct slot {
		uint32_t sid;
		uint8_t cls;
		double ns, n;
	} *slots = NULL;
	size_t n_slots = 0, cap_slots = 0, cap = 0, cap_inst = 0;
	struct rpt_optrack track;
	memset(&track, 0, sizeof(track));
	const struct tc_op *ops;
	size_t n;
	while ((rc = tc_ops_reader_next(rd, &ops, &n, err)) > 0) {
		for (size_t i = 0; i < n; i++) {
			const struct tc_op *op = &ops[i];
			double d = op->dur_ns > 0 ? (double)op->dur_ns : 0;
			if (rpt_optrack_add(&track, &p->arena, op,
					    tc_ops_reader_string(rd, op->name)) < 0) {
				rc = tc_err_set(err, TC_ENOMEM, "%s: out of memory", path);
				goto out;
			}
			if (op->kind == TC_KIND_STEP) {
				p->steps++;
				step_sum += d;
				continue;
			}
			if (op->kind != TC_KIND_KERNEL && op->kind != TC_KIND_MEMCPY &&
			    op->kind != TC_KIND_MEMSET)
				continue;
			unsigned c = op->op_class < TC_CLASS__COUNT ? op->op_class : TC_CLASS_OTHER;
			cls_ns[c] += d;
			cls_n[c]++;
			uint64_t s;
			if (!tc_map64_get(&idx, op->name, &s)) {
				if (tc_grow((void **)&slots, &cap_slots, n_slots + 1,
					    sizeof(*slots)) < 0 ||
				    tc_map64_put(&idx, op->name, n_slots) < 0) {
					rc = tc_err_set(err, TC_ENOMEM, "%s: out of memory", path);
					goto out;
				}
				s = n_slots++;
				slots[s] = (struct slot){op->name, (uint8_t)c, 0, 0};
			}
			slots[s].ns += d;
			slots[s].n++;
			/* every kernel with its launching operator, for a match across vendors */
			if (tc_grow((void **)&p->inst, &cap_inst, p->n_inst + 1, sizeof(*p->inst)) <
			    0) {
				rc = tc_err_set(err, TC_ENOMEM, "%s: out of memory", path);
				goto out;
			}
			const char *nm = tc_ops_reader_string(rd, op->name);
			p->inst[p->n_inst++] = (struct tc_report_kinst){
			    tc_arena_strdup(&p->arena, nm ? nm : "?"), tc_class_name(c),
			    rpt_optrack_key(&track, op), d, op->id};
		}
	}
	if (rc < 0)
		goto out;
	p->label = tc_arena_strdup(&p->arena, base(path));
	p->origin = tc_arena_strdup(&p->arena, "trace");
	p->step_ns = p->steps > 0 ? step_sum / p->steps : NAN;
	for (unsigned c = 0; c < TC_CLASS__COUNT && rc == 0; c++)
		if (cls_n[c] > 0)
			rc = push(p, 0, &cap, tc_class_name(c), "", cls_ns[c], cls_n[c]);
	cap = 0;
	for (size_t s = 0; s < n_slots && rc == 0; s++) {
		const char *nm = tc_ops_reader_string(rd, slots[s].sid);
		rc = push(p, 1, &cap, nm ? nm : "?", tc_class_name(slots[s].cls), slots[s].ns,
			  slots[s].n);
	}
	if (rc < 0)
		rc = tc_err_set(err, TC_ENOMEM, "%s: out of memory", path);
out:
	free(slots);
	rpt_optrack_free(&track);
	tc_map64_free(&idx);
	tc_ops_reader_free(rd);
	if (rc < 0)
		tc_report_profile_free(p);
	return rc < 0 ? rc : 0;
}

static double jnum(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

int tc_report_profile_from_projection(struct tc_report_profile *p, const json_t *doc, int projected,
				      const char *label, struct tc_err *err)
{
	memset(p, 0, sizeof(*p));
	tc_arena_init(&p->arena, 0);
	int rc = tc_report_check_projection(doc, err);
	if (rc < 0)
		return rc;
	const char *side = projected ? "projected_ns" : "source_ns";
	const json_t *chip = json_object_get(
	    doc, projected && json_is_object(json_object_get(doc, "target_chip")) ? "target_chip"
										  : "source_chip");
	const char *id = json_string_value(json_object_get(chip, "id"));
	char lb[256];
	snprintf(lb, sizeof(lb), "%s",
		 label	     ? label
		 : id	     ? id
		 : projected ? "projected"
			     : "source");
	p->label = tc_arena_strdup(&p->arena, lb);
	p->origin = tc_arena_strdup(&p->arena, "projection");
	p->kernels_partial = 1;
	const json_t *steps = json_object_get(doc, "steps");
	p->steps = json_is_array(steps) ? (double)json_array_size(steps) : 0;
	p->step_ns = jnum(json_object_get(doc, "summary"),
			  projected ? "projected_step_ns" : "source_step_ns");
	size_t cap = 0;
	const json_t *bc = json_object_get(doc, "by_class");
	for (size_t i = 0; json_is_array(bc) && i < json_array_size(bc) && rc == 0; i++) {
		const json_t *c = json_array_get(bc, i);
		const char *nm = json_string_value(json_object_get(c, "class"));
		if (nm)
			rc = push(p, 0, &cap, nm, "", jnum(c, side), jnum(c, "count"));
	}
	/* kernels: the union of the two top lists (a name appears once in each) */
	cap = 0;
	const json_t *top = json_object_get(doc, "top_ops");
	static const char *const lists[] = {"by_projected_time", "by_change"};
	for (int l = 0; l < 2 && rc == 0; l++) {
		const json_t *arr = json_object_get(top, lists[l]);
		for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr) && rc == 0; i++) {
			const json_t *o = json_array_get(arr, i);
			const char *nm = json_string_value(json_object_get(o, "name"));
			int dup = 0;
			for (size_t k = 0; nm && k < p->n_kernels && !dup; k++)
				dup = strcmp(p->kernels[k].key, nm) == 0;
			if (nm && !dup)
				rc = push(p, 1, &cap, nm,
					  json_string_value(json_object_get(o, "class")),
					  jnum(o, side), jnum(o, "count"));
		}
	}
	if (rc < 0) {
		tc_report_profile_free(p);
		return tc_err_set(err, TC_ENOMEM, "diff: out of memory");
	}
	return 0;
}

void tc_report_profile_free(struct tc_report_profile *p)
{
	if (!p)
		return;
	free(p->classes);
	free(p->kernels);
	free(p->inst);
	tc_arena_free(&p->arena);
	memset(p, 0, sizeof(*p));
}

/* ---- joining ----------------------------------------------------------------------------------
 */

static int item_key_cmp(const void *x, const void *y)
{
	const struct tc_report_item *const *a = x, *const *b = y;
	return strcmp((*a)->key, (*b)->key);
}

static int row_impact_cmp(const void *x, const void *y)
{
	const struct tc_report_diff_row *a = x, *b = y;
	double da = fabs(a->b_ns - a->a_ns), db = fabs(b->b_ns - b->a_ns);
	if (da != db)
		return da > db ? -1 : 1;
	return strcmp(a->key, b->key);
}

static double nz(double v)
{
	return isfinite(v) ? v : 0;
}

/* Rows for the union of keys of a and b, each value divided by div (1 or steps). */
static int join(const struct tc_report_item *a, size_t na, double da,
		const struct tc_report_item *b, size_t nb, double db,
		struct tc_report_diff_row **out, size_t *n_out)
{
	const struct tc_report_item **sa = malloc((na + 1) * sizeof(*sa)),
				    **sb = malloc((nb + 1) * sizeof(*sb));
	struct tc_report_diff_row *rows = malloc((na + nb + 1) * sizeof(*rows));
	if (!sa || !sb || !rows) {
		free(sa);
		free(sb);
		free(rows);
		return TC_ENOMEM;
	}
	for (size_t i = 0; i < na; i++)
		sa[i] = &a[i];
	for (size_t i = 0; i < nb; i++)
		sb[i] = &b[i];
	qsort(sa, na, sizeof(*sa), item_key_cmp);
	qsort(sb, nb, sizeof(*sb), item_key_cmp);
	size_t i = 0, j = 0, n = 0;
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(sa[i]->key, sb[j]->key);
		const struct tc_report_item *x = c <= 0 ? sa[i] : NULL, *y = c >= 0 ? sb[j] : NULL;
		const struct tc_report_item *any = x ? x : y;
		if (!any) /* cannot happen: one side always advances */
			break;
		struct tc_report_diff_row *r = &rows[n++];
		r->key = any->key;
		r->b_key = NULL;
		r->cls = x && x->cls[0] ? x->cls : y ? y->cls : "";
		r->a_ns = x ? nz(x->ns) / da : 0;
		r->a_count = x ? nz(x->count) / da : 0;
		r->b_ns = y ? nz(y->ns) / db : 0;
		r->b_count = y ? nz(y->count) / db : 0;
		i += x != NULL;
		j += y != NULL;
	}
	free(sa);
	free(sb);
	qsort(rows, n, sizeof(*rows), row_impact_cmp);
	*out = rows;
	*n_out = n;
	return 0;
}

/* The smaller of the two sides' shares of kernel time that the join by name paired. */
static double name_share(const struct tc_report_diff *d)
{
	double at = 0, bt = 0, am = 0, bm = 0;
	for (size_t i = 0; i < d->n_kernels; i++) {
		const struct tc_report_diff_row *r = &d->kernels[i];
		at += r->a_ns;
		bt += r->b_ns;
		if (r->a_count > 0 && r->b_count > 0) {
			am += r->a_ns;
			bm += r->b_ns;
		}
	}
	double sa = at > 0 ? am / at : 1, sb = bt > 0 ? bm / bt : 1;
	return sa < sb ? sa : sb;
}

int tc_report_diff_build(struct tc_report_diff *d, const struct tc_report_profile *a,
			 const struct tc_report_profile *b, size_t top_kernels, struct tc_err *err)
{
	memset(d, 0, sizeof(*d));
	d->a = a;
	d->b = b;
	/* different captures hold different numbers of steps: compare per step when both know */
	d->per_step = a->steps > 0 && b->steps > 0;
	double da = d->per_step ? a->steps : 1, db = d->per_step ? b->steps : 1;
	d->a_step_ns = a->step_ns;
	d->b_step_ns = b->step_ns;
	if (join(a->classes, a->n_classes, da, b->classes, b->n_classes, db, &d->classes,
		 &d->n_classes) < 0 ||
	    join(a->kernels, a->n_kernels, da, b->kernels, b->n_kernels, db, &d->kernels,
		 &d->n_kernels) < 0) {
		tc_report_diff_free(d);
		return tc_err_set(err, TC_ENOMEM, "diff: out of memory");
	}
	if (a->n_inst && b->n_inst && name_share(d) < 0.5) {
		/* the names share too little (another vendor): match through the operators */
		free(d->kernels);
		d->kernels = NULL;
		d->n_kernels = 0;
		if (rpt_diff_match_ops(a, da, b, db, &d->kernels, &d->n_kernels) < 0) {
			tc_report_diff_free(d);
			return tc_err_set(err, TC_ENOMEM, "diff: out of memory");
		}
		qsort(d->kernels, d->n_kernels, sizeof(*d->kernels), row_impact_cmp);
		d->by_operator = 1;
	}
	d->n_kernels = TC_MIN(d->n_kernels, top_kernels ? top_kernels : 15);
	return 0;
}

void tc_report_diff_free(struct tc_report_diff *d)
{
	if (!d)
		return;
	free(d->classes);
	free(d->kernels);
	d->classes = d->kernels = NULL;
	d->n_classes = d->n_kernels = 0;
}
