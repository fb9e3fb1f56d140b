/* sweep.h - the sweep engine: project every trace onto every configuration of a grid (or a
 * random sample of it, or one shard of either) in parallel, and hand the results to a
 * database (resumably: stored points are skipped) and / or to the caller. `tracecast sweep`
 * and tc_api_sweep (tracecast.h) call it; docs/results-db.md and docs/api.md.
 *
 * Threads: req->jobs workers share the loaded graphs (read-only during runs), the chip
 * library and the replay memo (sweep_support.h); each takes the next configuration, loads the
 * chip with its overrides and runs every trace on it. The calling thread alone talks to the
 * database, the sink and the progress callback: it commits what the workers queue in batches
 * (at most 256 points or 0.25 s), so a stopped sweep loses only points not yet committed. */
#ifndef TC_API_SWEEP_H
#define TC_API_SWEEP_H

#include <stdint.h>

#include "store.h"
#include "util.h"

struct tc_sweep_req {
	/* one input each (a .tcs, or a trace api/pipeline.h ingests first), loaded once */
	const char *const *traces;
	size_t n_traces;
	const char *base;	 /* chip id, alias or spec file the grid overrides */
	const char *const *grid; /* "key=v1,v2,..." or "key=lo:hi:n"; scale.* axes too */
	size_t n_grid;
	const char *db;	    /* SQLite path or postgresql:// URI; NULL = results to the sink only */
	const char *source; /* chip the traces ran on; NULL = from each trace's devices */
	const char *specs;  /* chip library folder; NULL = default */
	uint64_t random_n;  /* a random sample of this many configurations; 0 = every one */
	uint64_t seed;	    /* of the sample */
	uint64_t jobs;	    /* worker threads, 1..256; 0 = the number of cores */
	struct tc_shard shard;	  /* only this part of the plan; {0, 1} = all */
	uint64_t limit;		  /* stop after this many new points; 0 = none */
	int no_memo;		  /* simulate every point (same figures, slower) */
	const struct tc_log *log; /* NULL = quiet */
};
#define TC_SWEEP_REQ_INIT                                                                          \
	{                                                                                          \
		.seed = 1, .shard = {.k = 0, .n = 1 }                                              \
	}

/* One computed point, as it is stored. Borrowed for the call only. */
struct tc_sweep_point {
	uint64_t config; /* the configuration's index in the grid (last axis fastest) */
	size_t trace;	 /* index into req->traces */
	const struct tc_store_config *cfg;
	const struct tc_store_result *res;
};

/* Called on the calling thread, in commit order (not grid order: sort by config, trace).
 * Non-zero stops the sweep with that error (TC_E...; err may be filled). */
typedef int (*tc_sweep_sink_fn)(void *user, const struct tc_sweep_point *p, struct tc_err *err);
/* Called on the calling thread about every 0.1 s and once at the end, with points done
 * (computed + found stored) of total. Non-zero cancels: the workers finish the point they
 * run, what was computed is committed and handed to the sink, and tc_sweep_run returns 0
 * with stats->cancelled set. */
typedef int (*tc_sweep_progress_fn)(void *user, uint64_t done, uint64_t total);

struct tc_sweep_stats {
	char key[33];		       /* the sweep's identity (base, grid, sample, traces) */
	uint64_t configs;	       /* configurations of the whole sweep (all shards) */
	uint64_t total;		       /* points of this shard */
	uint64_t stored;	       /* new points written to the database */
	uint64_t skipped;	       /* points found already stored */
	uint64_t computed;	       /* points run */
	uint64_t memo_sims, memo_hits; /* timelines simulated and points re-priced */
	size_t already;		       /* stored points of this tool version seen at the start */
	int cancelled;		       /* the progress callback asked to stop */
	int limited;		       /* the limit was reached */
};

/* Validate everything (grid keys and values, chips, traces) before touching the database,
 * then run. Errors: one line naming the trace, the grid value or the database; after points
 * were stored, "sweep stopped (N new points stored): ...". progress, sink may be NULL;
 * stats may be NULL. */
int tc_sweep_run(const struct tc_sweep_req *req, tc_sweep_progress_fn progress, void *progress_user,
		 tc_sweep_sink_fn sink, void *sink_user, struct tc_sweep_stats *stats,
		 struct tc_err *err);

/* Check the grid arguments' syntax ("key=v1,v2" or "key=lo:hi:n", no key twice) without a
 * chip: for commands that report bad arguments as usage errors. */
int tc_sweep_check_grid(const char *const *args, size_t n, struct tc_err *err);

#endif
