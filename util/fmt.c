/* fmt.c - locale-independent number formatting. printf honours LC_NUMERIC; %f and %g never
 * print thousands separators, so mapping the decimal mark back to '.' is enough. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static char *dot(char *buf)
{
	for (char *p = buf; *p; p++)
		if (*p == ',')
			*p = '.';
	return buf;
}

char *tc_fmt_fixed(char *buf, size_t n, double v, int prec)
{
	if (!isfinite(v)) {
		snprintf(buf, n, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
		return buf;
	}
	snprintf(buf, n, "%.*f", prec, v);
	if (strcmp(buf, "-0") == 0 || (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)))
		memmove(buf, buf + 1, strlen(buf)); /* no "-0.000" */
	return dot(buf);
}

char *tc_fmt_double(char *buf, size_t n, double v)
{
	if (!isfinite(v)) {
		snprintf(buf, n, "null"); /* JSON has no inf/nan */
		return buf;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(buf, n, "%.0f", v);
		if (strcmp(buf, "-0") == 0)
			snprintf(buf, n, "0");
		return buf;
	}
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		dot(buf);
		double back;
		if (sscanf(buf, "%lf", &back) == 1 && back == v)
			break;
	}
	return dot(buf);
}

char *tc_fmt_ns(char *buf, size_t n, double ns)
{
	double a = fabs(ns);
	char t[64];
	if (a < 1e3)
		snprintf(buf, n, "%s ns", tc_fmt_fixed(t, sizeof(t), ns, 0));
	else if (a < 1e6)
		snprintf(buf, n, "%s us", tc_fmt_fixed(t, sizeof(t), ns / 1e3, 3));
	else if (a < 1e9)
		snprintf(buf, n, "%s ms", tc_fmt_fixed(t, sizeof(t), ns / 1e6, 3));
	else
		snprintf(buf, n, "%s s", tc_fmt_fixed(t, sizeof(t), ns / 1e9, 3));
	return buf;
}

char *tc_fmt_bytes(char *buf, size_t n, double bytes)
{
	static const char *const unit[] = {"B", "KB", "MB", "GB", "TB", "PB"};
	char t[64];
	int u = 0;
	while (fabs(bytes) >= 1000.0 && u < 5) {
		bytes /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%s B", tc_fmt_fixed(t, sizeof(t), bytes, 0));
	else
		snprintf(buf, n, "%s %s", tc_fmt_fixed(t, sizeof(t), bytes, bytes < 10 ? 2 : 1),
			 unit[u]);
	return buf;
}

void tc_fput_csv(FILE *fp, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

void tc_fput_json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}
