/* A real browser renders the pages: headless Chromium loads the report from a file, the
 * page's own self-check (the script at the end of the body) writes into #tc-selfcheck how
 * many SVG charts laid out with a non-empty box and a visible shape and how many errors it
 * caught; --dump-dom gives that back, --screenshot must write a PNG. Skipped, with a message,
 * only where Chromium is absent or cannot start. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "report.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tc-report-browser-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		cr_log_info("could not remove %s", tmpdir);
}

static const char *chromium(void)
{
	static char found[256];
	const char *env = getenv("CHROMIUM");
	if (env && *env)
		return env;
	static const char *const names[] = {"chromium", "chromium-browser", "google-chrome",
					    "chrome"};
	const char *path = getenv("PATH");
	for (size_t i = 0; i < 4; i++) {
		char p[1024];
		snprintf(p, sizeof(p), "%s", path ? path : "/usr/bin");
		for (char *save, *d = strtok_r(p, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			snprintf(found, sizeof(found), "%s/%s", d, names[i]);
			if (access(found, X_OK) == 0)
				return found;
		}
	}
	return NULL;
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	struct tc_err err = TC_ERR_INIT;
	if (tc_read_file(path, &buf, &len, &err) < 0)
		return NULL;
	return buf;
}

static int attr(const char *dom, const char *name)
{
	const char *el = strstr(dom, "id=\"tc-selfcheck\"");
	if (!el)
		return -1;
	const char *close = strchr(el, '>');
	char key[64];
	snprintf(key, sizeof(key), "%s=\"", name);
	/* the attribute may come before id=: search from the tag's start */
	const char *tag = el;
	while (tag > dom && *tag != '<')
		tag--;
	const char *a = strstr(tag, key);
	if (!a || a > close)
		return -1;
	return atoi(a + strlen(key));
}

/* Load html in the browser; fills the DOM after scripts ran, writes a screenshot. Returns 0,
 * or -1 when the browser could not start (the caller skips). */
static int browse(const char *html, char **dom, const char *png)
{
	const char *bin = chromium();
	if (!bin)
		return -1;
	char cmd[4096], out[300], log[300];
	snprintf(out, sizeof(out), "%s/dom.html", tmpdir);
	snprintf(log, sizeof(log), "%s/chromium.log", tmpdir);
	const char *flags =
	    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
	    "--disable-background-networking --disable-component-update --disable-sync "
	    "--disable-dev-shm-usage --hide-scrollbars --window-size=1200,2400";
	snprintf(
	    cmd, sizeof(cmd),
	    "DBUS_SESSION_BUS_ADDRESS=disabled: timeout 90 '%s' %s --user-data-dir='%s/profile' "
	    "--dump-dom 'file://%s' > '%s' 2> '%s'",
	    bin, flags, tmpdir, html, out, log);
	int rc = system(cmd);
	*dom = slurp(out);
	if (rc != 0 || !*dom || !strstr(*dom, "tc-selfcheck")) {
		char *l = slurp(log);
		cr_log_info("chromium did not run (exit %d): %.300s", rc, l ? l : "");
		free(l);
		free(*dom);
		*dom = NULL;
		return -1;
	}
	snprintf(
	    cmd, sizeof(cmd),
	    "DBUS_SESSION_BUS_ADDRESS=disabled: timeout 90 '%s' %s --user-data-dir='%s/profile' "
	    "--screenshot='%s' 'file://%s' > /dev/null 2>> '%s'",
	    bin, flags, tmpdir, png, html, log);
	cr_expect_eq(system(cmd), 0, "screenshot failed");
	return 0;
}

static void check_page(const char *html, int charts)
{
	char png[300], *dom = NULL;
	snprintf(png, sizeof(png), "%s/page.png", tmpdir);
	if (browse(html, &dom, png) < 0)
		cr_skip_test("Chromium is absent or cannot start here (set CHROMIUM=path)");
	cr_expect_eq(attr(dom, "data-charts"), charts, "charts in the page");
	cr_expect_eq(attr(dom, "data-rendered"), charts, "charts rendered with a visible shape");
	cr_expect_eq(attr(dom, "data-errors"), 0, "script errors: %s", strstr(dom, "tc-selfcheck"));
	struct stat st;
	cr_expect_eq(stat(png, &st), 0, "no screenshot");
	cr_expect_gt(st.st_size, 10000, "screenshot of %lld bytes", (long long)st.st_size);
	const char *keep = getenv("TC_REPORT_KEEP");
	if (keep && *keep) {
		char cmd[800];
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s' '%s'", png, html, keep);
		cr_expect_eq(system(cmd), 0);
	}
	free(dom);
}

Test(report_browser, projection_page_renders, .init = setup, .fini = teardown, .timeout = 240)
{
	json_error_t je;
	json_t *doc = json_loads(fixture_projection, 0, &je);
	cr_assert_not_null(doc);
	char html[300];
	snprintf(html, sizeof(html), "%s/report.html", tmpdir);
	FILE *fp = fopen(html, "w");
	struct tc_err err = TC_ERR_INIT;
	const json_t *docs[1] = {doc};
	cr_assert_eq(tc_report_write_html(fp, docs, NULL, 1, NULL, &err), 0, "%s", err.msg);
	fclose(fp);
	/* bound, class, critical path, changed ops */
	check_page(html, 4);
	json_decref(doc);
}

/* The whole path on a real trace: tracecast report ingests, projects and draws, with the
 * timeline strip (5 charts). */
Test(report_browser, real_trace_report_renders, .init = setup, .fini = teardown, .timeout = 240)
{
	const char *corpus = getenv("TRACECAST_CORPUS");
	if (!corpus || !*corpus)
		corpus = getenv("TC_CORPUS_DEFAULT");
	char in[1024], html[300], cmd[2048];
	snprintf(in, sizeof(in), "%s/HolisticTraceAnalysis/nccl_data.json.gz",
		 corpus ? corpus : "");
	if (access(in, R_OK) != 0)
		cr_skip_test("corpus trace %s absent", in);
	snprintf(html, sizeof(html), "%s/nccl.html", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s' -q report '%s' --target h100-sxm5 -o '%s'",
		 getenv("TRACECAST"), in, html);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	check_page(html, 5);
}

/* The sweep dashboard: heat map, two sensitivity charts, Pareto (4 charts). */
Test(report_browser, dashboard_renders, .init = setup, .fini = teardown, .timeout = 240)
{
	static const char *const p0[] = {"a=1", "b=x"}, *const p1[] = {"a=2", "b=x"},
				 *const p2[] = {"a=1", "b=y"}, *const p3[] = {"a=2", "b=y"};
	static const struct tc_report_run runs[] = {
	    {"r0", p0, 2, 1000, 1, 1, 4},
	    {"r1", p1, 2, 500, 2, 2, 3},
	    {"r2", p2, 2, 333, 3, 3, 1},
	    {"r3", p3, 2, 200, 5, 1, 1},
	};
	struct tc_report_sweep s = {"browser", runs, 4};
	char html[300];
	snprintf(html, sizeof(html), "%s/dash.html", tmpdir);
	FILE *fp = fopen(html, "w");
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_report_write_dashboard(fp, &s, &err), 0, "%s", err.msg);
	fclose(fp);
	check_page(html, 4);
}

/* The Perfetto timeline parses in Chromium's own JSON parser (the one Perfetto's UI runs
 * in): the page embeds the file and JSON.parse counts the thread names, the launch -> kernel
 * flows and the complete events into the DOM, which --dump-dom hands back. */
Test(report_browser, timeline_parses_in_chromium, .init = setup, .fini = teardown, .timeout = 240)
{
	const char *exe = getenv("TRACECAST"), *src = getenv("TC_SRCDIR");
	cr_assert(exe && src, "TRACECAST and TC_SRCDIR come from meson");
	const char *bin = chromium();
	if (!bin)
		cr_skip_test("Chromium is absent (set CHROMIUM=path)");
	char cmd[4096], tl[300], html[300], out[300];
	snprintf(tl, sizeof(tl), "%s/tl.json", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "'%s' -q project '%s/traces/sample/train_a100_rank0.json.gz' "
		 "'%s/traces/sample/train_a100_rank1.json.gz' --target h100 --no-band "
		 "--timeline '%s' --json /dev/null",
		 exe, src, src, tl);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	char *json = slurp(tl);
	cr_assert_not_null(json);
	cr_assert_null(strstr(json, "</"), "the timeline would close the embedding script");
	snprintf(html, sizeof(html), "%s/tl.html", tmpdir);
	FILE *f = fopen(html, "w");
	cr_assert_not_null(f);
	fprintf(
	    f,
	    "<!doctype html><html><body><div id=\"out\">pending</div>"
	    "<script type=\"application/json\" id=\"tl\">%s</script><script>\n"
	    "const o = document.getElementById('out');\n"
	    "try {\n"
	    "  const ev = JSON.parse(document.getElementById('tl').textContent).traceEvents;\n"
	    "  let threads = 0, streams = 0, s = 0, f = 0, x = 0;\n"
	    "  for (const e of ev) {\n"
	    "    if (e.ph === 'M' && e.name === 'thread_name') {\n"
	    "      if (e.args.name.startsWith('thread ')) threads++;\n"
	    "      if (e.args.name.startsWith('stream ')) streams++;\n"
	    "    } else if (e.ph === 's') s++; else if (e.ph === 'f') f++;\n"
	    "    else if (e.ph === 'X') x++;\n"
	    "  }\n"
	    "  o.textContent = `ok threads=${threads} streams=${streams} s=${s} f=${f} x=${x}`;\n"
	    "} catch (err) { o.textContent = 'error ' + err; }\n"
	    "</script></body></html>\n",
	    json);
	fclose(f);
	free(json);
	snprintf(out, sizeof(out), "%s/tl-dom.html", tmpdir);
	snprintf(
	    cmd, sizeof(cmd),
	    "DBUS_SESSION_BUS_ADDRESS=disabled: timeout 90 '%s' --headless --no-sandbox "
	    "--disable-gpu --no-first-run --disable-dev-shm-usage --user-data-dir='%s/profile' "
	    "--dump-dom 'file://%s' > '%s' 2>/dev/null",
	    bin, tmpdir, html, out);
	int rc = system(cmd);
	char *dom = slurp(out);
	if (rc != 0 || !dom || !strstr(dom, "id=\"out\""))
		cr_skip_test("Chromium cannot start here (exit %d)", rc);
	const char *r = strstr(dom, "id=\"out\">");
	cr_assert(r && strncmp(r + 9, "ok ", 3) == 0, "%.300s", r ? r : dom);
	int threads = 0, streams = 0, s = 0, fl = 0, x = 0;
	cr_assert_eq(sscanf(r + 9, "ok threads=%d streams=%d s=%d f=%d x=%d", &threads, &streams,
			    &s, &fl, &x),
		     5, "%.200s", r);
	cr_expect_gt(threads, 0, "CPU threads named as the trace names them");
	cr_expect_gt(streams, 0, "GPU streams named as the trace names them");
	cr_expect_gt(s, 100, "launch -> kernel flows");
	cr_expect_eq(s, fl, "every flow starts and finishes");
	cr_expect_gt(x, 1000);
	free(dom);
}
