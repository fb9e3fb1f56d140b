/* log.c - leveled logging and terminal progress, carried in a context. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

void tc_log_init(struct tc_log *log, int level)
{
	log->level = level;
	log->out = NULL;
	log->is_tty = isatty(STDERR_FILENO);
}

void tc_logf(const struct tc_log *log, int level, const char *fmt, ...)
{
	static const char *const prefix[] = {"error", "warning", "info", "debug"};
	va_list ap;
	if (!log || level > log->level || !fmt)
		return; /* (a NULL fmt check also keeps gcc's UBSan builds from warning) */
	FILE *out = log->out ? log->out : stderr;
	char msg[2048], safe[2048];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* names from inputs may carry ESC sequences or newlines: one harmless line */
	tc_str_printable(safe, sizeof(safe), msg);
	fprintf(out, "tracecast: %s: %s\n", prefix[level < 0 ? 0 : level > 3 ? 3 : level], safe);
}

double tc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int tc_cores(int cap)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > cap ? cap : (int)n;
}

void tc_progress_start(struct tc_progress *p, const struct tc_log *log, const char *label,
		       uint64_t total)
{
	p->log = log;
	p->label = label;
	p->total = total;
	p->done = 0;
	p->t_start = p->t_last = tc_now();
	p->active = log && log->is_tty && log->level >= TC_LOG_WARN && !log->out;
}

void tc_progress_update(struct tc_progress *p, uint64_t done)
{
	char b1[32], b2[32];
	p->done = done;
	if (!p->active)
		return;
	double now = tc_now();
	if (now - p->t_last < 0.1)
		return;
	p->t_last = now;
	double el = now - p->t_start;
	double rate = el > 0 ? (double)done / el : 0;
	if (p->total) {
		double pct = 100.0 * (double)done / (double)p->total;
		double eta =
		    rate > 0 ? (double)(p->total - (done < p->total ? done : p->total)) / rate : 0;
		fprintf(stderr, "\r%s %5.1f%%  %s  %s/s  ETA %.0fs   ", p->label, pct,
			tc_fmt_bytes(b1, sizeof(b1), (double)done),
			tc_fmt_bytes(b2, sizeof(b2), rate), eta);
	} else {
		fprintf(stderr, "\r%s  %s  %s/s   ", p->label,
			tc_fmt_bytes(b1, sizeof(b1), (double)done),
			tc_fmt_bytes(b2, sizeof(b2), rate));
	}
}

void tc_progress_end(struct tc_progress *p)
{
	if (p->active && tc_now() - p->t_start >= 0.1)
		fprintf(stderr, "\r\033[K");
	p->active = 0;
}
