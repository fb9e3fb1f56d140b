/* library.c - the spec library: which directory, which chip ids, aliases and trace device
 * names it holds, and the lookup of a user's chip name (with close matches on a miss). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "hw_internal.h"
#include "hw_spec.h"
#include "tc_config.h"

struct tc_hw_entry {
	const char *id;
	const char *path;
	const char **aliases;
	size_t n_aliases;
	const char **patterns; /* device_names: case-insensitive substrings of trace names */
	size_t n_patterns;
};

struct tc_hw {
	char *dir;
	struct tc_hw_entry *e; /* sorted by id */
	size_t n;
	const char **ids;
	struct tc_arena arena;
};

static int is_dir(const char *p)
{
	struct stat st;
	return p && p[0] && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct tc_hw_entry *)a)->id, ((const struct tc_hw_entry *)b)->id);
}

/* Copy a JSON array of strings into the arena. */
static int str_list(struct tc_hw *hw, json_t *arr, const char *file, const char *key,
		    const char ***out, size_t *n, struct tc_err *err)
{
	*out = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return tc_err_set(err, TC_EFORMAT, "%s: %s: expected an array of strings", file,
				  key);
	size_t len = json_array_size(arr);
	const char **v = tc_arena_alloc(&hw->arena, (len + 1) * sizeof(*v));
	if (!v)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		json_t *s = json_array_get(arr, i);
		if (!json_is_string(s) || json_string_length(s) == 0)
			return tc_err_set(err, TC_EFORMAT,
					  "%s: %s[%zu]: expected a non-empty string", file, key, i);
		v[i] = tc_arena_strdup(&hw->arena, json_string_value(s));
	}
	*out = v;
	*n = len;
	return 0;
}

static int add_entry(struct tc_hw *hw, const char *dir, const char *fname, size_t *cap,
		     struct tc_err *err)
{
	size_t dl = strlen(dir), fl = strlen(fname);
	char *path = tc_arena_alloc(&hw->arena, dl + fl + 2);
	if (!path)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	memcpy(path, dir, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, fname, fl + 1);

	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	if (!doc)
		return tc_err_set(err, TC_EFORMAT, "%s: line %d column %d: %s", path, jerr.line,
				  jerr.column, jerr.text);
	int rc = 0;
	if (!json_is_object(doc)) {
		rc = tc_err_set(err, TC_EFORMAT, "%s: expected a JSON object", path);
		goto out;
	}
	/* The id is the file name: one name for a chip everywhere (CLI, reports, databases). */
	char *id = tc_arena_strndup(&hw->arena, fname, fl - 5);
	json_t *jid = json_object_get(doc, "id");
	if (jid && (!json_is_string(jid) || strcmp(json_string_value(jid), id) != 0)) {
		rc = tc_err_set(err, TC_EFORMAT, "%s: id: must equal the file name '%s'", path, id);
		goto out;
	}
	if (tc_grow((void **)&hw->e, cap, hw->n + 1, sizeof(*hw->e)) < 0) {
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
		goto out;
	}
	struct tc_hw_entry *e = &hw->e[hw->n];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->path = path;
	rc = str_list(hw, json_object_get(doc, "aliases"), path, "aliases", &e->aliases,
		      &e->n_aliases, err);
	if (rc == 0)
		rc = str_list(hw, json_object_get(doc, "device_names"), path, "device_names",
			      &e->patterns, &e->n_patterns, err);
	if (rc == 0)
		hw->n++;
out:
	json_decref(doc);
	return rc;
}

/* Every id and alias names exactly one chip; a clash is a packaging error worth failing on. */
static int check_unique(const struct tc_hw *hw, struct tc_err *err)
{
	for (size_t i = 0; i < hw->n; i++) {
		const struct tc_hw_entry *a = &hw->e[i];
		for (size_t k = 0; k <= a->n_aliases; k++) {
			const char *name = k == 0 ? a->id : a->aliases[k - 1];
			for (size_t j = 0; j < hw->n; j++) {
				const struct tc_hw_entry *b = &hw->e[j];
				for (size_t l = 0; l <= b->n_aliases; l++) {
					const char *other = l == 0 ? b->id : b->aliases[l - 1];
					if ((i != j || k != l) && strcasecmp(name, other) == 0)
						return tc_err_set(err, TC_EFORMAT,
								  "%s: name '%s' also used by %s",
								  a->path, name, b->path);
				}
			}
		}
	}
	return 0;
}

int tc_hw_open(struct tc_hw **out, const char *specs_dir, struct tc_err *err)
{
	*out = NULL;
	const char *dir = specs_dir;
	if (!dir || !dir[0])
		dir = getenv("TRACECAST_SPECS");
	if (!dir || !dir[0])
		dir = getenv("TC_SPECS"); /* what the test environment sets */
	if (!dir || !dir[0])
		dir = is_dir(TC_SPECS_INSTDIR) ? TC_SPECS_INSTDIR : TC_SPECS_SRCDIR;

	DIR *d = opendir(dir);
	if (!d)
		return tc_err_set(err, TC_EIO, "spec library %s: %s", dir, strerror(errno));

	struct tc_hw *hw = tc_xcalloc(1, sizeof(*hw));
	tc_arena_init(&hw->arena, 0);
	hw->dir = tc_xstrdup(dir);

	/* Read the names first and sort them, so the library is the same whatever readdir says. */
	char **names = NULL;
	size_t n_names = 0, names_cap = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l <= 5 || de->d_name[0] == '.' || !tc_str_endswith(de->d_name, ".json"))
			continue;
		if (tc_grow((void **)&names, &names_cap, n_names + 1, sizeof(*names)) < 0) {
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			break;
		}
		names[n_names++] = tc_xstrdup(de->d_name);
	}
	closedir(d);
	if (rc == 0 && names)
		qsort(names, n_names, sizeof(*names), cmp_str);
	for (size_t i = 0; rc == 0 && i < n_names; i++)
		rc = add_entry(hw, dir, names[i], &cap, err);
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	if (rc == 0 && hw->n)
		qsort(hw->e, hw->n, sizeof(*hw->e), cmp_entry);
	if (rc == 0)
		rc = check_unique(hw, err);
	if (rc < 0) {
		tc_hw_free(hw);
		return rc;
	}
	hw->ids = tc_arena_alloc(&hw->arena, (hw->n + 1) * sizeof(*hw->ids));
	for (size_t i = 0; i < hw->n; i++)
		hw->ids[i] = hw->e[i].id;
	*out = hw;
	return 0;
}

void tc_hw_free(struct tc_hw *hw)
{
	if (!hw)
		return;
	free(hw->e);
	free(hw->dir);
	tc_arena_free(&hw->arena);
	free(hw);
}

size_t tc_hw_list(const struct tc_hw *hw, const char *const **ids)
{
	*ids = hw->ids;
	return hw->n;
}

const char *tc_hw_dir(const struct tc_hw *hw)
{
	return hw->dir;
}

const char *tc_hw_lookup(const struct tc_hw *hw, const char *name)
{
	for (size_t i = 0; i < hw->n; i++) {
		const struct tc_hw_entry *e = &hw->e[i];
		if (strcasecmp(e->id, name) == 0)
			return e->path;
		for (size_t k = 0; k < e->n_aliases; k++)
			if (strcasecmp(e->aliases[k], name) == 0)
				return e->path;
	}
	return NULL;
}

const char *tc_hw_canonical_id(const struct tc_hw *hw, const char *name)
{
	for (size_t i = 0; i < hw->n; i++) {
		const struct tc_hw_entry *e = &hw->e[i];
		if (strcasecmp(e->id, name) == 0)
			return e->id;
		for (size_t k = 0; k < e->n_aliases; k++)
			if (strcasecmp(e->aliases[k], name) == 0)
				return e->id;
	}
	return NULL;
}

/* Edit distance, case-insensitive, on short names only (ids are < 32 chars). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			int same = (a[i - 1] | 32) == (b[j - 1] | 32);
			size_t best = diag + (same ? 0 : 1);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int close_to(const char *name, const char *cand)
{
	size_t l = strlen(name);
	if (l >= 2 && (tc_strcasestr(cand, name) || tc_strcasestr(name, cand)))
		return 1;
	size_t lim = l / 3 < 1 ? 1 : l / 3;
	return edit_distance(name, cand) <= lim;
}

size_t tc_hw_suggest(const struct tc_hw *hw, const char *name, char *buf, size_t n)
{
	size_t found = 0, used = 0;
	if (n)
		buf[0] = 0;
	for (size_t i = 0; i < hw->n && found < 6; i++) {
		const struct tc_hw_entry *e = &hw->e[i];
		int hit = close_to(name, e->id);
		for (size_t k = 0; !hit && k < e->n_aliases; k++)
			hit = close_to(name, e->aliases[k]);
		if (!hit)
			continue;
		int w =
		    snprintf(buf + used, n > used ? n - used : 0, "%s%s", found ? ", " : "", e->id);
		if (w > 0 && used + (size_t)w < n)
			used += (size_t)w;
		found++;
	}
	return found;
}

static int is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* pattern occurs in name as whole tokens: "L4" must not match "L40S", nor "B200" "GB200". */
static int token_match(const char *name, const char *pattern)
{
	size_t l = strlen(pattern);
	for (const char *p = name; (p = tc_strcasestr(p, pattern)) != NULL; p++) {
		int start_ok = p == name || !is_alnum(p[-1]) || !is_alnum(pattern[0]);
		int end_ok = !is_alnum(p[l]) || !is_alnum(pattern[l - 1]);
		if (start_ok && end_ok)
			return 1;
	}
	return 0;
}

const char *tc_hw_match_device(const struct tc_hw *hw, const char *device_name)
{
	if (!hw || !device_name || !device_name[0])
		return NULL;
	/* The longest matching pattern wins ("H100 PCIe" over "H100"); a tie between two chips
	 * means the name does not tell them apart, and guessing would mislabel a projection. */
	const char *best = NULL;
	size_t best_len = 0;
	int tie = 0;
	for (size_t i = 0; i < hw->n; i++) {
		const struct tc_hw_entry *e = &hw->e[i];
		for (size_t k = 0; k < e->n_patterns; k++) {
			size_t l = strlen(e->patterns[k]);
			if (l < best_len || !token_match(device_name, e->patterns[k]))
				continue;
			if (l == best_len && best && strcmp(best, e->id) != 0) {
				tie = 1;
			} else if (l > best_len) {
				best = e->id;
				best_len = l;
				tie = 0;
			}
		}
	}
	return tie ? NULL : best;
}

const char *tc_hw_source_chip(const struct tc_hw *hw, const struct tc_ops_header *h)
{
	for (size_t i = 0; h && i < h->n_devices; i++) {
		const struct tc_device *d = &h->devices[i];
		if (d->type != TC_DEV_GPU)
			continue;
		const char *id = d->chip && d->chip[0] ? tc_hw_canonical_id(hw, d->chip) : NULL;
		if (!id && d->name && d->name[0])
			id = tc_hw_match_device(hw, d->name);
		if (id)
			return id;
	}
	return NULL;
}

/* ---- closest specs to an unknown device name ----------------------------------------------- */

/* Longest common prefix of two lowercase alphanumeric runs. */
static size_t run_prefix(const char *a, size_t na, const char *b, size_t nb)
{
	size_t k = 0;
	while (k < na && k < nb && tolower((unsigned char)a[k]) == tolower((unsigned char)b[k]))
		k++;
	return k;
}

/* How much of device's words an entry's strings share: for each alphanumeric word of the
 * device name, the longest prefix it shares with a word of the id, an alias or a device
 * pattern ("mi210" and "mi250x" share "mi2"); prefixes under 2 characters count nothing. */
static size_t closeness(const struct tc_hw_entry *e, const char *device)
{
	size_t score = 0;
	for (const char *p = device; *p;) {
		while (*p && !isalnum((unsigned char)*p))
			p++;
		const char *w = p;
		while (*p && isalnum((unsigned char)*p))
			p++;
		size_t nw = (size_t)(p - w), best = 0;
		if (!nw)
			continue;
		for (size_t k = 0; k < 1 + e->n_aliases + e->n_patterns; k++) {
			const char *s = k == 0		    ? e->id
					: k <= e->n_aliases ? e->aliases[k - 1]
							    : e->patterns[k - 1 - e->n_aliases];
			for (const char *q = s; *q;) {
				while (*q && !isalnum((unsigned char)*q))
					q++;
				const char *v = q;
				while (*q && isalnum((unsigned char)*q))
					q++;
				size_t l = run_prefix(w, nw, v, (size_t)(q - v));
				best = l > best ? l : best;
			}
		}
		score += best >= 2 ? best : 0;
	}
	return score;
}

size_t tc_hw_closest(const struct tc_hw *hw, const char *device, const char **out, size_t max)
{
	size_t n = 0;
	size_t *sc = max ? calloc(max, sizeof(*sc)) : NULL;
	if (!sc || !device)
		goto done;
	for (size_t i = 0; i < hw->n; i++) {
		size_t c = closeness(&hw->e[i], device);
		if (!c)
			continue;
		/* insertion into the best max, ties by id (entries are sorted by id) */
		size_t j = n < max ? n++ : max;
		while (j > 0 && sc[j - 1] < c) {
			if (j < max) {
				sc[j] = sc[j - 1];
				out[j] = out[j - 1];
			}
			j--;
		}
		if (j < max) {
			sc[j] = c;
			out[j] = hw->e[i].id;
		}
	}
done:
	free(sc);
	return n;
}
