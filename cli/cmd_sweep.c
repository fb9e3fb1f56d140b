/* cmd_sweep.c - tracecast sweep: project every trace onto every configuration of a grid (or a
 * random sample of it) and store the results in a database, in parallel, resumably.
 *
 * Threads: N workers share the loaded graphs (a graph is read-only during runs) and the spec
 * library; each takes the next configuration, loads the chip with its overrides and runs
 * every trace of its shard on it. The main thread alone talks to the database: it commits
 * what the workers queue in batches (at most BATCH points or BATCH_S seconds), so a killed
 * sweep loses only points not yet committed, and a re-run skips every stored point.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "replay.h"
#include "store.h"
#include "sweep_support.h"

#define MAX_TRACES 256
#define MAX_AXES 32
#define BATCH 256
#define BATCH_S 0.25

/* The one piece of global state: a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: tracecast sweep --traces A.tcs [B.tcs ...] --base CHIP --grid KEY=V1,V2,...\n"
		"                       [--grid KEY=LO:HI:N ...] --db results.db|postgresql://...\n"
		"                       [--random N --seed S] [--jobs N] [--shard K/N]\n\n"
		"Project each trace onto each chip configuration of the grid and store the results.\n"
		"Points already stored (same trace, configuration and tracecast version) are skipped,\n"
		"so an interrupted sweep resumes where it stopped.\n\n"
		"  --traces FILE...   opstreams (.tcs) to project; each is loaded once\n"
		"  --base CHIP        chip id, alias or spec file the grid overrides\n"
		"  --grid KEY=V,...   values of one spec key path (e.g. memory.hbm.bw_gbs=3350,5000)\n"
		"  --grid KEY=LO:HI:N N values from LO to HI, both included; axes multiply\n"
		"                     (network.* keys sweep the network; scale.world_size,\n"
		"                     scale.dp/tp/pp/ep sweep the job's size and layout)\n"
		"  --random N         a random sample of N configurations instead of all\n"
		"  --seed S           seed of the sample (default 1)\n"
		"  --db URI           SQLite file (created when missing) or postgresql://...\n"
		"  --jobs N           worker threads (default: the number of cores)\n"
		"  --shard K/N        only the K-th of N disjoint parts (0-based); without it, taken\n"
		"                     from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or\n"
		"                     AWS_BATCH_JOB_ARRAY_INDEX when set\n"
		"  --shard-count N    the number of parts for Kubernetes / AWS Batch indices\n"
		"  --source CHIP      chip the traces ran on (default: from each trace's devices)\n"
		"  --limit N          stop after N new points (a budget; re-run to continue)\n"
		"  --specs DIR        spec library directory\n"
		"  --no-memo          simulate every point (by default a configuration whose op\n"
		"                     costs were simulated before is only re-priced: same figures)\n"
		"  -q, -v             quieter / more verbose\n\n"
		"Exit status: 0 done, 1 error, 2 usage, 130/143 stopped by SIGINT/SIGTERM (what was\n"
		"computed is stored).\n");
}

struct trace {
	const char *path;
	char hash[33];
	struct tc_replay_graph *g;
	struct tc_chip *src;
	const char *src_id;
};

struct item {
	struct item *next;
	char config_hash[33];
	char *spec;
	struct tc_store_param params[MAX_AXES];
	struct tc_store_result res;
};

struct sweep {
	struct tc_cli *cli;
	struct tc_hw *hw;
	const char *base_arg; /* as given: an id, alias or spec file, loaded per config */
	const char *base;     /* the base chip's id, stored */
	struct tc_grid grid;
	struct trace traces[MAX_TRACES];
	size_t n_traces;
	uint64_t *plan; /* configuration indices of this shard */
	uint64_t n_plan;
	struct tc_map64 stored; /* hash of (trace hash, config hash) -> 1 */
	struct tc_replay_memo *memo; /* shared by the workers; NULL with --no-memo */
	char sweep_key[33];
	uint64_t limit;
	/* shared between threads, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next;      /* next plan position to take */
	uint64_t computed;  /* points run (queued) */
	uint64_t skipped;   /* points found stored */
	uint64_t failed;    /* points whose projection failed */
	struct item *head, **tail;
	size_t queued;
	int workers_left;
	struct tc_err first_err;
};

static uint64_t point_key(const char *trace_hash, const char *config_hash)
{
	char buf[66];
	memcpy(buf, trace_hash, 32);
	memcpy(buf + 32, config_hash, 32);
	return tc_hash64(buf, 64, 0x706f696e74ULL);
}

static int remember(void *ctx, const char *trace_hash, const char *config_hash)
{
	struct sweep *s = ctx;
	if (strlen(trace_hash) != 32 || strlen(config_hash) != 32)
		return 0; /* not a key this version writes */
	return tc_map64_put(&s->stored, point_key(trace_hash, config_hash), 1);
}

static void set_error(struct sweep *s, const struct tc_err *err)
{
	if (!s->first_err.code)
		s->first_err = *err;
}

/* Grid axes that are not spec keys: the scale-out what-if (docs/projection.md §6). */
#define SCALE_PREFIX "scale."
static int is_scale_key(const char *key)
{
	return strncmp(key, SCALE_PREFIX, strlen(SCALE_PREFIX)) == 0;
}

/* A scale axis's value into sc (and its text into txt, for the configuration's hash);
 * returns 0 for a spec key. Keys and values were checked by check_scale_axis. */
static int scale_axis(struct tc_replay_scale *sc, const char *key, const char *val, char *txt,
		      size_t n)
{
	if (!is_scale_key(key))
		return 0;
	const char *k = key + strlen(SCALE_PREFIX);
	uint32_t v = (uint32_t)strtoul(val, NULL, 10);
	if (strcmp(k, "world_size") == 0)
		sc->world = v;
	else if (strcmp(k, "dp") == 0)
		sc->dst.dp = v;
	else if (strcmp(k, "tp") == 0)
		sc->dst.tp = v;
	else if (strcmp(k, "pp") == 0)
		sc->dst.pp = v;
	else if (strcmp(k, "ep") == 0)
		sc->dst.ep = v;
	size_t used = strlen(txt);
	snprintf(txt + used, n - used, "|%s=%u", k, v);
	return 1;
}

static int check_scale_axis(const struct tc_grid_axis *ax, struct tc_err *err)
{
	static const char *const keys[] = {"world_size", "dp", "tp", "pp", "ep"};
	const char *k = ax->key + strlen(SCALE_PREFIX);
	int ok = 0;
	for (size_t i = 0; i < TC_ARRAY_LEN(keys); i++)
		ok |= strcmp(k, keys[i]) == 0;
	if (!ok)
		return tc_err_set(err, TC_EINVAL,
				  "grid key %s: unknown scale axis (scale.world_size, scale.dp, "
				  "scale.tp, scale.pp, scale.ep)",
				  ax->key);
	for (size_t v = 0; v < ax->n; v++) {
		char *end;
		unsigned long x = strtoul(ax->values[v], &end, 10);
		if (end == ax->values[v] || *end || ax->values[v][0] == '-' || x < 1 || x > (1ul << 24))
			return tc_err_set(err, TC_EINVAL, "grid %s=%s: want an integer 1..16777216",
					  ax->key, ax->values[v]);
	}
	return 0;
}

/* Run every trace of configuration plan[j]; queue the results. */
static int run_config(struct sweep *s, uint64_t j, struct tc_err *err)
{
	const char *vals[MAX_AXES];
	char setbuf[MAX_AXES][512];
	const char *sets[MAX_AXES];
	size_t na = s->grid.n_axes;
	struct tc_chip *chip = NULL;
	char *spec = NULL;
	char hash[33];
	int rc;
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	char scale_txt[256] = "";
	size_t ns = 0;
	tc_grid_values(&s->grid, s->plan[j], vals);
	for (size_t a = 0; a < na; a++) {
		snprintf(setbuf[a], sizeof(setbuf[a]), "%s=%s", s->grid.axes[a].key, vals[a]);
		if (!scale_axis(&sc, s->grid.axes[a].key, vals[a], scale_txt, sizeof(scale_txt)))
			sets[ns++] = setbuf[a];
	}
	if ((rc = tc_hw_load(s->hw, s->base_arg, sets, ns, &chip, err)) < 0)
		return rc;
	if (!(spec = tc_chip_config_json(chip))) {
		tc_chip_free(chip);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	if (scale_txt[0]) {
		/* the configuration is the chip and the layout: both in its hash */
		char *both = malloc(strlen(spec) + sizeof(scale_txt) + 1);
		if (!both) {
			free(spec);
			tc_chip_free(chip);
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		}
		sprintf(both, "%s%s", spec, scale_txt);
		free(spec);
		spec = both;
	}
	tc_store_hash_hex(spec, strlen(spec), hash);
	for (size_t t = 0; t < s->n_traces; t++) {
		struct trace *tr = &s->traces[t];
		if (stop_signal)
			break;
		if (tc_map64_get(&s->stored, point_key(tr->hash, hash), NULL)) {
			pthread_mutex_lock(&s->mu);
			s->skipped++;
			pthread_mutex_unlock(&s->mu);
			continue;
		}
		struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
		struct tc_replay_summary sum;
		o.source = tr->src;
		o.target = chip;
		o.sets = sets;
		o.n_sets = ns;
		o.scale = scale_txt[0] ? &sc : NULL;
		o.top_n = 1;
		o.summary_only = 1;
		/* through the memo: a configuration whose op costs were simulated before is only
		 * re-priced (its energy and dollars); the figures are the same either way */
		if ((rc = tc_replay_memo_run(s->memo, tr->g, &o, &sum, NULL, err)) < 0) {
			tc_err_wrap(err, "%s on %s", tr->path, na ? setbuf[0] : s->base);
			break;
		}
		struct item *it = calloc(1, sizeof(*it));
		if (!it || !(it->spec = strdup(spec))) {
			free(it);
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			break;
		}
		memcpy(it->config_hash, hash, sizeof(hash));
		for (size_t a = 0; a < na; a++) {
			it->params[a].key = s->grid.axes[a].key;
			it->params[a].value = vals[a]; /* owned by the grid's arena */
		}
		struct tc_store_result *res = &it->res;
		res->trace_hash = tr->hash;
		res->config_hash = it->config_hash;
		res->tool_version = TC_VERSION;
		res->sweep_key = s->sweep_key;
		res->steps = sum.job_steps;
		res->source_step_ns = sum.source_step_ns;
		res->step_ns = sum.step_ns;
		res->speedup = sum.speedup;
		memcpy(res->bound_ns, sum.bound_ns, sizeof(res->bound_ns));
		memcpy(res->class_ns, sum.class_ns, sizeof(res->class_ns));
		res->energy_j = sum.energy_j;
		res->dollars = sum.dollars;
		res->perf_per_watt = sum.steps_per_j;
		res->perf_per_dollar = sum.steps_per_usd;
		pthread_mutex_lock(&s->mu);
		*s->tail = it;
		s->tail = &it->next;
		s->queued++;
		s->computed++;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	free(spec);
	tc_chip_free(chip);
	return rc < 0 ? rc : 0;
}

static void *worker(void *arg)
{
	struct sweep *s = arg;
	struct tc_err err = TC_ERR_INIT;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		int over = s->first_err.code || stop_signal || s->next >= s->n_plan ||
			   (s->limit && s->computed >= s->limit);
		uint64_t j = s->next++;
		pthread_mutex_unlock(&s->mu);
		if (over)
			break;
		if (run_config(s, j, &err) < 0) {
			pthread_mutex_lock(&s->mu);
			set_error(s, &err);
			pthread_mutex_unlock(&s->mu);
			break;
		}
	}
	pthread_mutex_lock(&s->mu);
	s->workers_left--;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void free_items(struct item *it)
{
	while (it) {
		struct item *n = it->next;
		free(it->spec);
		free(it);
		it = n;
	}
}

/* Store a batch of queued items in one transaction; frees the list either way. */
static int commit(struct tc_store *db, const char *base, struct item *list, size_t n, size_t na,
		  uint64_t *stored, struct tc_err *err)
{
	struct tc_store_config *cfg = calloc(n ? n : 1, sizeof(*cfg));
	struct tc_store_result *res = calloc(n ? n : 1, sizeof(*res));
	size_t i = 0, added = 0;
	int rc;
	if (!cfg || !res) {
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	} else {
		for (struct item *it = list; it && i < n; it = it->next, i++) {
			cfg[i].hash = it->config_hash;
			cfg[i].base = base;
			cfg[i].spec = it->spec;
			cfg[i].params = it->params;
			cfg[i].n_params = na;
			res[i] = it->res;
		}
		rc = tc_store_put_points(db, cfg, res, i, &added, err);
		*stored += added;
	}
	free(cfg);
	free(res);
	free_items(list);
	return rc;
}

static void draw(struct tc_progress *p, uint64_t done, uint64_t total, uint64_t fresh, int force)
{
	if (!p->active)
		return;
	double now = tc_now();
	if (!force && now - p->t_last < 0.1)
		return;
	p->t_last = now;
	double el = now - p->t_start, rate = el > 0 ? (double)fresh / el : 0;
	double eta = rate > 0 ? (double)(total - done) / rate : 0;
	fprintf(stderr, "\rsweep %5.1f%%  %llu/%llu points  %.0f points/s  ETA %.0fs   ",
		total ? 100.0 * (double)done / (double)total : 100.0, (unsigned long long)done,
		(unsigned long long)total, rate, eta);
}


static int load_trace(struct sweep *s, struct trace *t, const char *source, struct tc_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	TC_TRY(tc_read_file(t->path, &buf, &len, err));
	tc_store_hash_hex(buf, len, t->hash);
	free(buf);
	TC_TRY(tc_replay_graph_load(&t->g, t->path, &s->cli->log, err));
	t->src_id = source ? source : tc_hw_source_chip(s->hw, tc_replay_graph_header(t->g));
	if (!t->src_id)
		return tc_err_set(err, TC_EINVAL,
				  "%s: the source chip is unknown (no device name in the stream "
				  "matches a spec): give it with --source CHIP",
				  t->path);
	TC_TRY(tc_hw_load(s->hw, t->src_id, NULL, 0, &t->src, err));
	t->src_id = tc_chip_id(t->src);
	return 0;
}

/* JSON array of strings (no escaping needed: hashes, and grid arguments are quoted by
 * jansson-free hand escaping of '"' and '\\'). */
static char *json_strings(const char *const *v, size_t n)
{
	size_t cap = 3;
	for (size_t i = 0; i < n; i++)
		cap += 2 * strlen(v[i]) + 4;
	char *out = malloc(cap), *p = out;
	if (!out)
		return NULL;
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = v[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = (unsigned char)*c < 0x20 ? ' ' : *c;
		}
		*p++ = '"';
	}
	*p++ = ']';
	*p = 0;
	return out;
}

static int parse_count(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

static int run(struct sweep *s, const char *db_uri, uint64_t jobs, const struct tc_shard *sh,
	       uint64_t n_configs, const char *mode, uint64_t seed, const char *const *grid_args,
	       int *interrupted, struct tc_err *err)
{
	struct tc_store *db = NULL;
	struct tc_store_opts so = TC_STORE_OPTS_INIT;
	const char *axes_canon[MAX_AXES], *hashes[MAX_TRACES];
	char canon_buf[MAX_AXES][1024];
	int rc;
	(void)grid_args;
	/* the sweep's identity: base, axes (canonical values), sample, traces; not the shard */
	for (size_t a = 0; a < s->grid.n_axes; a++) {
		const struct tc_grid_axis *ax = &s->grid.axes[a];
		size_t len = (size_t)snprintf(canon_buf[a], sizeof(canon_buf[a]), "%s=", ax->key);
		for (size_t v = 0; v < ax->n && len < sizeof(canon_buf[a]); v++)
			len += (size_t)snprintf(canon_buf[a] + len, sizeof(canon_buf[a]) - len, "%s%s",
						v ? "," : "", ax->values[v]);
		axes_canon[a] = canon_buf[a];
	}
	for (size_t t = 0; t < s->n_traces; t++)
		hashes[t] = s->traces[t].hash;
	char *grid_json = json_strings(axes_canon, s->grid.n_axes);
	char *traces_json = json_strings(hashes, s->n_traces);
	char *ident = NULL;
	if (grid_json && traces_json &&
	    (ident = malloc(strlen(grid_json) + strlen(traces_json) + 256)))
		sprintf(ident, "%s|%s|%s|%s|%llu|%llu", s->base, grid_json, traces_json, mode,
			(unsigned long long)seed, (unsigned long long)n_configs);
	if (!ident) {
		free(grid_json);
		free(traces_json);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	tc_store_hash_hex(ident, strlen(ident), s->sweep_key);
	free(ident);

	if ((rc = tc_store_open(&db, db_uri, &so, err)) < 0)
		goto out;
	struct tc_store_sweep sw = {s->sweep_key, s->base, grid_json, traces_json, mode, seed,
				    n_configs, n_configs * s->n_traces, TC_VERSION};
	if ((rc = tc_store_put_sweep(db, &sw, err)) < 0)
		goto out;
	for (size_t t = 0; t < s->n_traces; t++) {
		struct tc_replay_graph_stats st;
		tc_replay_graph_stats(s->traces[t].g, &st);
		struct tc_store_trace tr = {s->traces[t].hash, s->traces[t].path, s->traces[t].src_id,
					    st.ops, st.gpu_ops};
		if ((rc = tc_store_put_trace(db, &tr, err)) < 0)
			goto out;
	}
	if ((rc = tc_store_each_point(db, TC_VERSION, remember, s, err)) < 0)
		goto out;

	uint64_t total = s->n_plan * s->n_traces, stored = 0;
	tc_info(&s->cli->log, "sweep %.12s: %llu configurations x %zu traces, shard %llu/%llu: %llu "
			      "points here, %zu already stored in %s",
		s->sweep_key, (unsigned long long)n_configs, s->n_traces, (unsigned long long)sh->k,
		(unsigned long long)sh->n, (unsigned long long)total, s->stored.len, tc_store_backend(db));

	/* workers */
	pthread_t th[256];
	int started = 0;
	s->tail = &s->head;
	s->workers_left = (int)jobs;
	for (uint64_t i = 0; i < jobs; i++) {
		if (pthread_create(&th[i], NULL, worker, s) != 0) {
			pthread_mutex_lock(&s->mu);
			s->workers_left -= (int)(jobs - i);
			if (!s->first_err.code)
				tc_err_set(&s->first_err, TC_EINTERNAL, "cannot start worker threads");
			pthread_mutex_unlock(&s->mu);
			break;
		}
		started++;
	}
	struct tc_progress prog;
	tc_progress_start(&prog, &s->cli->log, "sweep", total);
	double t_batch = tc_now();
	int db_failed = 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->workers_left > 0 && s->queued < BATCH && !stop_signal) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			if (s->queued && tc_now() - t_batch >= BATCH_S)
				break;
		}
		struct item *list = s->head;
		size_t n = s->queued;
		int done = s->workers_left == 0;
		uint64_t skipped = s->skipped, computed = s->computed;
		s->head = NULL;
		s->tail = &s->head;
		s->queued = 0;
		pthread_mutex_unlock(&s->mu);
		if (n && !db_failed) {
			if (commit(db, s->base, list, n, s->grid.n_axes, &stored, err) < 0) {
				/* stop the workers; report this error */
				db_failed = 1;
				pthread_mutex_lock(&s->mu);
				set_error(s, err);
				pthread_mutex_unlock(&s->mu);
			}
			t_batch = tc_now();
		} else {
			free_items(list);
		}
		draw(&prog, skipped + computed, total, computed, 0);
		if (done)
			break;
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	draw(&prog, s->skipped + s->computed, total, s->computed, 1);
	tc_progress_end(&prog);
	*interrupted = stop_signal != 0;
	if (s->first_err.code) {
		*err = s->first_err;
		rc = tc_err_wrap(err, "sweep stopped (%llu new points stored)",
				 (unsigned long long)stored);
		goto out;
	}
	uint64_t left = total - TC_MIN(total, s->skipped + s->computed);
	printf("sweep %.12s: %llu points stored, %llu already there%s", s->sweep_key,
	       (unsigned long long)stored, (unsigned long long)s->skipped,
	       left ? "" : ", complete\n");
	if (left)
		printf(", %llu left (%s; run again to resume)\n", (unsigned long long)left,
		       *interrupted ? "interrupted" : "limit reached");
	rc = 0;
out:
	free(grid_json);
	free(traces_json);
	tc_store_close(db);
	return rc;
}

int tc_cmd_sweep(struct tc_cli *cli, int argc, char **argv)
{
	struct sweep s;
	const char *db = NULL, *base = NULL, *source = NULL, *specs = NULL, *shard_arg = NULL;
	const char *grid_args[MAX_AXES];
	size_t n_grid = 0;
	uint64_t random_n = 0, seed = 1, jobs = 0, shard_count = 0, limit = 0;
	int have_random = 0, rc = 1, interrupted = 0, no_memo = 0;
	struct tc_err err = TC_ERR_INIT;
	struct tc_shard sh = {0, 1};

	if (tc_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.cli = cli;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "--traces") == 0) {
			while (i + 1 < argc && argv[i + 1][0] != '-') {
				if (s.n_traces == MAX_TRACES)
					return tc_cli_usage(cli, "sweep", "more than %d traces", MAX_TRACES);
				s.traces[s.n_traces++].path = argv[++i];
			}
		} else if (strcmp(a, "--grid") == 0 && has) {
			if (n_grid == MAX_AXES)
				return tc_cli_usage(cli, "sweep", "more than %d grid axes", MAX_AXES);
			grid_args[n_grid++] = argv[++i];
		} else if (strcmp(a, "--base") == 0 && has) {
			base = argv[++i];
		} else if (strcmp(a, "--db") == 0 && has) {
			db = argv[++i];
		} else if (strcmp(a, "--source") == 0 && has) {
			source = argv[++i];
		} else if (strcmp(a, "--specs") == 0 && has) {
			specs = argv[++i];
		} else if (strcmp(a, "--shard") == 0 && has) {
			shard_arg = argv[++i];
		} else if ((strcmp(a, "--random") == 0 || strcmp(a, "--seed") == 0 ||
			    strcmp(a, "--jobs") == 0 || strcmp(a, "--shard-count") == 0 ||
			    strcmp(a, "--limit") == 0) &&
			   has) {
			uint64_t v;
			if (parse_count(argv[i + 1], &v) < 0)
				return tc_cli_usage(cli, "sweep", "%s '%s': expected a whole number", a,
						    argv[i + 1]);
			i++;
			if (a[2] == 'r')
				random_n = v, have_random = 1;
			else if (a[3] == 'e')
				seed = v;
			else if (a[2] == 'j')
				jobs = v;
			else if (a[2] == 's')
				shard_count = v;
			else
				limit = v;
		} else if (strcmp(a, "--no-memo") == 0) {
			no_memo = 1;
		} else if (strcmp(a, "-q") == 0) {
			cli->log.level = TC_LOG_ERROR;
		} else if (strcmp(a, "-v") == 0) {
			cli->log.level = TC_LOG_INFO;
		} else {
			return tc_cli_usage(cli, "sweep", "unknown or incomplete option '%s'", a);
		}
	}
	if (!s.n_traces)
		return tc_cli_usage(cli, "sweep", "no --traces given");
	if (!base)
		return tc_cli_usage(cli, "sweep", "no --base chip given");
	if (!db)
		return tc_cli_usage(cli, "sweep", "no --db given");
	if (have_random && random_n == 0)
		return tc_cli_usage(cli, "sweep", "--random needs N >= 1");
	if (jobs > 256)
		return tc_cli_usage(cli, "sweep", "--jobs %llu: at most 256", (unsigned long long)jobs);
	if (shard_arg && tc_shard_parse(shard_arg, &sh, &err) < 0)
		return tc_cli_usage(cli, "sweep", "%s", err.msg);
	for (size_t i = 0; i < n_grid; i++)
		if (tc_grid_add(&s.grid, grid_args[i], &err) < 0) {
			tc_grid_free(&s.grid);
			return tc_cli_usage(cli, "sweep", "%s", err.msg);
		}
	if (!shard_arg) {
		int found = tc_shard_from_env(NULL, shard_count, &sh, &err);
		if (found < 0) {
			tc_grid_free(&s.grid);
			return tc_cli_usage(cli, "sweep", "%s", err.msg);
		}
	}
	if (!jobs) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = nc > 0 ? (uint64_t)TC_MIN(nc, 256) : 1;
	}
	s.limit = limit;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);

	/* everything is checked before the database is touched */
	struct tc_chip *base_chip = NULL;
	uint64_t n_all = 0, *sample = NULL, n_sample = 0;
	if ((rc = tc_hw_open(&s.hw, specs, &err)) < 0 ||
	    (rc = tc_hw_load(s.hw, base, NULL, 0, &base_chip, &err)) < 0)
		goto fail;
	s.base_arg = base;
	s.base = tc_chip_id(base_chip);
	if ((rc = tc_grid_check(&s.grid, base_chip, &err)) < 0 ||
	    (rc = tc_grid_count(&s.grid, &n_all, &err)) < 0)
		goto fail;
	/* every value of every axis must give a valid chip on its own: a bad value fails here,
	 * not after hours of sweeping */
	for (size_t a = 0; a < s.grid.n_axes; a++)
		if (is_scale_key(s.grid.axes[a].key) && (rc = check_scale_axis(&s.grid.axes[a], &err)) < 0)
			goto fail;
	for (size_t a = 0; a < s.grid.n_axes; a++)
		for (size_t v = 0; v < s.grid.axes[a].n && !is_scale_key(s.grid.axes[a].key); v++) {
			char set[512];
			const char *sets[1] = {set};
			struct tc_chip *c = NULL;
			snprintf(set, sizeof(set), "%s=%s", s.grid.axes[a].key, s.grid.axes[a].values[v]);
			if ((rc = tc_hw_load(s.hw, base, sets, 1, &c, &err)) < 0) {
				tc_err_wrap(&err, "grid %s", set);
				goto fail;
			}
			tc_chip_free(c);
		}
	if (have_random && (rc = tc_sample_indices(n_all, random_n, seed, &sample, &n_sample, &err)) < 0)
		goto fail;
	uint64_t n_configs = have_random ? n_sample : n_all;
	/* this shard's configurations: plan position j % N == K, so shards are disjoint and
	 * together cover the sweep whatever the order they run in */
	s.plan = malloc((size_t)(n_configs / sh.n + 1) * sizeof(*s.plan));
	if (!s.plan) {
		rc = tc_err_set(&err, TC_ENOMEM, "out of memory");
		goto fail;
	}
	for (uint64_t j = sh.k; j < n_configs; j += sh.n)
		s.plan[s.n_plan++] = have_random ? sample[j] : j;
	for (size_t t = 0; t < s.n_traces; t++)
		if ((rc = load_trace(&s, &s.traces[t], source, &err)) < 0)
			goto fail;
	if (!no_memo && (rc = tc_replay_memo_new(&s.memo, 0, &err)) < 0)
		goto fail;

	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = run(&s, db, jobs, &sh, n_configs, have_random ? "random" : "grid", have_random ? seed : 0,
		 grid_args, &interrupted, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	int sig = stop_signal;
	if (rc < 0)
		goto fail;
	rc = interrupted ? 128 + sig : 0;
	goto out;
fail:
	rc = tc_cli_fail(cli, &err);
out:
	for (size_t t = 0; t < s.n_traces; t++) {
		tc_replay_graph_free(s.traces[t].g);
		tc_chip_free(s.traces[t].src);
	}
	if (s.memo) {
		uint64_t ne, nh, nm;
		tc_replay_memo_stats(s.memo, &ne, &nh, &nm);
		tc_info(&cli->log, "sweep memo: %llu timelines simulated, %llu points re-priced",
			(unsigned long long)nm, (unsigned long long)nh);
		(void)ne;
		tc_replay_memo_free(s.memo);
	}
	free(sample);
	free(s.plan);
	tc_map64_free(&s.stored);
	tc_chip_free(base_chip);
	tc_grid_free(&s.grid);
	tc_hw_free(s.hw);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return rc;
}
