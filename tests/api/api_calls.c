/* The library API (api/tracecast.h): JSON requests in, JSON out, errors as one line. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracecast.h"

static char req[4096];

static const char *sample_request(const char *target, const char *extra)
{
	const char *src = getenv("TC_SRCDIR");
	cr_assert(src);
	snprintf(req, sizeof(req),
		 "{\"inputs\": [\"%s/traces/sample/train_a100_rank0.json.gz\", "
		 "\"%s/traces/sample/train_a100_rank1.json.gz\"], \"target\": \"%s\"%s}",
		 src, src, target, extra ? extra : "");
	return req;
}

static double summary_num(const char *json, const char *key)
{
	json_t *doc = json_loads(json, 0, NULL);
	cr_assert_not_null(doc);
	json_t *v = json_object_get(json_object_get(doc, "summary"), key);
	cr_assert(json_is_number(v), "summary.%s", key);
	double x = json_number_value(v);
	json_decref(doc);
	return x;
}

Test(api, version)
{
	cr_assert_eq(tc_api_version(), TC_API_VERSION);
	cr_assert_str_not_empty(tc_api_library_version());
}

Test(api, project_moves_with_the_chip)
{
	struct tc_api *api = NULL;
	cr_assert_eq(tc_api_new(&api, getenv("TC_SPECS")), 0);
	char *fast = NULL, *slow = NULL, *ops = NULL;
	cr_assert_eq(tc_api_project(api, sample_request("h100", ", \"ops\": true"), &fast, &ops), 0,
		     "%s", tc_api_error(api));
	cr_assert_str_empty(tc_api_error(api));
	cr_assert(ops && strncmp(ops, "op,rank,lane,", 13) == 0);
	cr_assert_eq(tc_api_project(api, sample_request("t4", ", \"band\": 0"), &slow, NULL), 0);
	cr_assert_gt(summary_num(fast, "speedup"), 1.0);
	cr_assert_lt(summary_num(slow, "speedup"), 1.0);
	tc_api_free(fast);
	tc_api_free(slow);
	tc_api_free(ops);
	tc_api_free_ctx(api);
}

Test(api, errors_are_one_line)
{
	struct tc_api *api = NULL;
	cr_assert_eq(tc_api_new(&api, getenv("TC_SPECS")), 0);
	char *out = (char *)1;
	cr_assert_lt(tc_api_project(api, sample_request("h900", NULL), &out, NULL), 0);
	cr_assert_null(out);
	cr_assert(strstr(tc_api_error(api), "target chip: unknown chip 'h900'"), "%s",
		  tc_api_error(api));
	cr_assert_lt(tc_api_project(api, sample_request("h100", ", \"bandwidth\": 2"), &out, NULL),
		     0);
	cr_assert(strstr(tc_api_error(api), "unknown key \"bandwidth\""), "%s", tc_api_error(api));
	cr_assert_lt(tc_api_project(api, "{\"inputs\": 3", &out, NULL), 0);
	cr_assert(strstr(tc_api_error(api), "request:"), "%s", tc_api_error(api));
	cr_assert_lt(tc_api_project(api,
				    "{\"inputs\": [\"/nonexistent.json\"], \"target\": \"h100\"}",
				    &out, NULL),
		     0);
	cr_assert(strstr(tc_api_error(api), "/nonexistent.json"), "%s", tc_api_error(api));
	cr_assert_null(strchr(tc_api_error(api), '\n'));
	tc_api_free_ctx(api);
}

Test(api, chips_and_ingest)
{
	struct tc_api *api = NULL;
	cr_assert_eq(tc_api_new(&api, getenv("TC_SPECS")), 0);
	char *chips = NULL;
	cr_assert_eq(tc_api_chips(api, &chips), 0, "%s", tc_api_error(api));
	cr_assert(strstr(chips, "\"id\":\"h100-sxm5\""), "%s", chips);
	tc_api_free(chips);
	char tcs[] = "/tmp/tc_api_XXXXXX.tcs", ing[1024];
	close(mkstemps(tcs, 4));
	const char *src = getenv("TC_SRCDIR");
	snprintf(ing, sizeof(ing),
		 "{\"inputs\": [\"%s/traces/sample/train_a100_rank0.json.gz\", "
		 "\"%s/traces/sample/train_a100_rank1.json.gz\"], \"output\": \"%s\"}",
		 src, src, tcs);
	cr_assert_eq(tc_api_ingest(api, ing), 0, "%s", tc_api_error(api));
	char from_tcs[1024], *a = NULL, *b = NULL;
	snprintf(from_tcs, sizeof(from_tcs),
		 "{\"inputs\": [\"%s\"], \"target\": \"b200\", \"band\": 0}", tcs);
	cr_assert_eq(tc_api_project(api, from_tcs, &a, NULL), 0, "%s", tc_api_error(api));
	cr_assert_eq(tc_api_project(api, sample_request("b200", ", \"band\": 0"), &b, NULL), 0);
	cr_assert_eq(summary_num(a, "projected_step_ns"), summary_num(b, "projected_step_ns"));
	tc_api_free(a);
	tc_api_free(b);
	unlink(tcs);
	char *q = NULL;
	cr_assert_lt(tc_api_query(api, "/nonexistent/dir/r.db", "SELECT 1", &q), 0);
	cr_assert_str_not_empty(tc_api_error(api));
	tc_api_free_ctx(api);
}
