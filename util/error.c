/* error.c - one-line errors with a cause chain built from the outside in. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* One line, and nothing a terminal would act on (util.h: tc_str_printable). */
static void flatten(char *s)
{
	char buf[TC_ERR_MSG_MAX];
	tc_str_printable(buf, sizeof(buf), s);
	memcpy(s, buf, strlen(buf) + 1);
}

int tc_err_set(struct tc_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	flatten(err->msg);
	return code;
}

int tc_err_wrap(struct tc_err *err, const char *fmt, ...)
{
	char buf[TC_ERR_MSG_MAX];
	va_list ap;
	size_t n;
	if (!err)
		return TC_EINTERNAL;
	if (err->code == 0)
		err->code = TC_EINTERNAL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	/* Append ": " and the old message, truncating the tail if the chain is too long. */
	const char *old = err->msg[0] ? err->msg : tc_err_name(err->code);
	/* a cause that already names this context ("f.tcs: chunk 0: ..." wrapped with "f.tcs")
	 * is not repeated: one line names the file once */
	if (n && strncmp(old, buf, n) == 0 && old[n] == ':' && old[n + 1] == ' ')
		return err->code;
	if (n + 2 < sizeof(buf)) {
		memcpy(buf + n, ": ", 2);
		n += 2;
		size_t m = strlen(old);
		if (m > sizeof(buf) - 1 - n)
			m = sizeof(buf) - 1 - n;
		memcpy(buf + n, old, m);
		n += m;
	}
	buf[n] = 0;
	memcpy(err->msg, buf, n + 1);
	flatten(err->msg);
	return err->code;
}

const char *tc_err_name(int code)
{
	switch (code) {
	case 0:
		return "success";
#define TC_X_CASE(name, val, text)                                                                 \
	case val:                                                                                  \
		return text;
		TC_ERRORS(TC_X_CASE)
#undef TC_X_CASE
	default:
		return "unknown error";
	}
}

void tc_err_clear(struct tc_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = 0;
	}
}
