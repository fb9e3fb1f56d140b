/* test_main.c - the main of every Criterion test executable: Criterion's own, except that an
 * executable whose every test was skipped (corpus, Chromium or PostgreSQL absent) exits 77,
 * which meson reports as SKIP rather than OK. Linked whole into each test (tests/meson.build),
 * so it takes the place of the main libcriterion carries. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdbool.h>

/* The runner's totals, set by the report hook in the runner process (a test harness's one
 * piece of process state: Criterion hands the totals to hooks only). */
static size_t n_tests, n_skipped;

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	n_tests = stats->nb_tests;
	n_skipped = stats->tests_skipped;
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	if (result == 0 && n_tests > 0 && n_skipped == n_tests)
		return 77;
	return result;
}
