/* pagecheck.h - reading back what a page claims: the data-metric/data-value pairs and the
 * JSON values their paths name. Shared by the report tests (static: one copy per test). */
#ifndef TC_TEST_REPORT_PAGECHECK_H
#define TC_TEST_REPORT_PAGECHECK_H

#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* "a.b[gemm].c[2]": [name] selects the array element whose "class" or "name" is name. */
static inline const json_t *resolve(const json_t *doc, const char *path)
{
	char tok[256];
	const json_t *cur = doc;
	const char *p = path;
	while (*p && cur) {
		size_t n = strcspn(p, ".[");
		if (n) {
			snprintf(tok, sizeof(tok), "%.*s", (int)n, p);
			cur = json_object_get(cur, tok);
			p += n;
		}
		if (*p == '[') {
			const char *end = strchr(p, ']');
			cr_assert_not_null(end, "bad metric %s", path);
			snprintf(tok, sizeof(tok), "%.*s", (int)(end - p - 1), p + 1);
			if (isdigit((unsigned char)tok[0])) {
				cur = json_array_get(cur, strtoul(tok, NULL, 10));
			} else {
				const json_t *found = NULL;
				for (size_t i = 0; i < json_array_size(cur) && !found; i++) {
					const json_t *e = json_array_get(cur, i);
					const char *c =
					    json_string_value(json_object_get(e, "class"));
					const char *nm =
					    json_string_value(json_object_get(e, "name"));
					if ((c && strcmp(c, tok) == 0) ||
					    (nm && strcmp(nm, tok) == 0))
						found = e;
				}
				cur = found;
			}
			p = end + 1;
		}
		if (*p == '.')
			p++;
	}
	return cur;
}

struct metric {
	char name[256];
	double value;
};

/* All data-metric="..." data-value="..." pairs, in page order. */
static inline size_t metrics(const char *html, struct metric *out, size_t max)
{
	size_t n = 0;
	for (const char *p = html; (p = strstr(p, "data-metric=\"")) != NULL && n < max;) {
		p += 13;
		const char *q = strchr(p, '"');
		snprintf(out[n].name, sizeof(out[n].name), "%.*s", (int)(q - p), p);
		cr_assert(strncmp(q, "\" data-value=\"", 14) == 0, "metric %s has no value",
			  out[n].name);
		out[n].value = strtod(q + 14, NULL);
		n++;
		p = q;
	}
	return n;
}

static inline size_t count_prefix(const struct metric *m, size_t n, const char *pfx)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += strncmp(m[i].name, pfx, strlen(pfx)) == 0;
	return k;
}

static inline size_t count_str(const char *hay, const char *needle)
{
	size_t k = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		k++;
	return k;
}

#endif
