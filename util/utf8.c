/* utf8.c - keeping text valid and harmless: names come from traces, models and spec files
 * that anyone can write, and end up in JSON outputs (which must be valid UTF-8) and on
 * terminals (where ESC sequences act). */
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when s does not start one:
 * RFC 3629, so overlong forms, UTF-16 surrogates (CESU-8) and code points above U+10FFFF
 * are invalid. *cp gets the code point. */
static size_t seq_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

int tc_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t l = seq_len(p + i, n - i, &cp);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

size_t tc_utf8_fix(char *dst, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t l = seq_len(p + i, n - i, &cp);
		if (l) {
			memmove(dst + o, p + i, l);
			o += l;
			i += l;
		} else {
			memcpy(dst + o, "\xef\xbf\xbd", 3); /* U+FFFD, one per bad byte */
			o += 3;
			i++;
		}
	}
	dst[o] = 0;
	return o;
}

void tc_str_printable(char *dst, size_t dn, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = strlen(src), o = 0;
	uint32_t cp;
	if (!dn)
		return;
	for (size_t i = 0; i < n;) {
		char esc[8];
		const char *put;
		size_t pl, l = seq_len(p + i, n - i, &cp);
		if (l && (cp == '\n' || cp == '\r' || cp == '\t')) {
			put = " ", pl = 1, l = 1; /* one line */
		} else if (l && cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0)) {
			put = (const char *)p + i, pl = l;
		} else {
			/* C0/C1 controls (ESC, CSI ...) and bytes that are not UTF-8: shown, not
			 * acted on */
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			put = esc, pl = 4, l = 1;
		}
		if (o + pl >= dn)
			break;
		memcpy(dst + o, put, pl);
		o += pl;
		i += l;
	}
	dst[o] = 0;
}
