/* rows.c - result sets: every cell as text, so both backends and every output format (table,
 * CSV, JSON) see the same thing. */
#include <stdlib.h>
#include <string.h>

#include "st_internal.h"

int store_rows_new(struct tc_store_rows **out, size_t ncols)
{
	struct tc_store_rows *r = calloc(1, sizeof(*r));
	if (!r)
		return TC_ENOMEM;
	r->ncols = ncols;
	r->names = calloc(ncols ? ncols : 1, sizeof(*r->names));
	r->numeric = calloc(ncols ? ncols : 1, 1);
	if (!r->names || !r->numeric) {
		tc_store_rows_free(r);
		return TC_ENOMEM;
	}
	*out = r;
	return 0;
}

int store_rows_set_name(struct tc_store_rows *r, size_t col, const char *name)
{
	free(r->names[col]);
	r->names[col] = strdup(name ? name : "");
	return r->names[col] ? 0 : TC_ENOMEM;
}

int store_rows_add(struct tc_store_rows *r, const char *const *cells)
{
	size_t need;
	if (tc_mul_size(r->nrows + 1, r->ncols, &need) < 0 ||
	    tc_grow((void **)&r->cells, &r->cap, need ? need : 1, sizeof(*r->cells)) < 0)
		return TC_ENOMEM;
	char **row = r->cells + r->nrows * r->ncols;
	for (size_t i = 0; i < r->ncols; i++) {
		row[i] = NULL;
		if (cells[i] && !(row[i] = strdup(cells[i]))) {
			for (size_t j = 0; j < i; j++)
				free(row[j]);
			return TC_ENOMEM;
		}
	}
	r->nrows++;
	return 0;
}

static int is_number(const char *s)
{
	char *end;
	if (!*s)
		return 0;
	(void)strtod(s, &end);
	return *end == 0;
}

void store_rows_finish(struct tc_store_rows *r)
{
	for (size_t c = 0; c < r->ncols; c++) {
		int num = 1, any = 0;
		for (size_t i = 0; i < r->nrows && num; i++) {
			const char *v = tc_store_cell(r, i, c);
			if (v) {
				any = 1;
				num = is_number(v);
			}
		}
		r->numeric[c] = (uint8_t)(num && any);
	}
}

void tc_store_rows_free(struct tc_store_rows *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	for (size_t c = 0; c < r->ncols; c++)
		free(r->names[c]);
	free(r->cells);
	free(r->names);
	free(r->numeric);
	free(r);
}
