/* names.c - short kernel names for tables: "void at::native::(anonymous namespace)::
 * vectorized_elementwise_kernel<4, at::native::...>(int, ...)" reads
 * "at::native::vectorized_elementwise_kernel<...>". The full name stays in the JSON and on
 * hover in HTML. */
#include <string.h>

#include "util.h"

void tc_short_name(char *dst, size_t dn, const char *src)
{
	if (!dn)
		return;
	size_t o = 0;
	const char *p = src;
	if (strncmp(p, "void ", 5) == 0)
		p += 5;
	/* a parameter list follows the name directly, with no space (C++ signatures); "Memcpy
	 * HtoD (Pinned -> Device)" keeps its words */
	while (*p && o + 1 < dn) {
		if (strncmp(p, "(anonymous namespace)::", 23) == 0) {
			p += 23;
			continue;
		}
		if (*p == '<') {
			int depth = 0;
			const char *q = p;
			for (; *q; q++) {
				if (*q == '<')
					depth++;
				else if (*q == '>' && --depth == 0)
					break;
			}
			if (!*q) /* unbalanced: keep the rest as it is */
				break;
			for (const char *f = "<...>"; *f && o + 1 < dn; f++)
				dst[o++] = *f;
			p = q + 1;
			continue;
		}
		if (*p == '(' && p > src && p[-1] != ' ')
			break; /* the parameter list */
		dst[o++] = *p++;
	}
	if (*p == '<') /* unbalanced: copy the rest as it is */
		while (*p && o + 1 < dn)
			dst[o++] = *p++;
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = 0;
}
