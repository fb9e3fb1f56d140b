/* sweep.c - the sweep engine (sweep.h): plan, identity, worker threads, batches into the
 * results database and the caller's sink. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "replay.h"
#include "sweep.h"
#include "sweep_support.h"
#include "tc_config.h"

#define MAX_TRACES 256
#define MAX_AXES 32
#define MAX_JOBS 256
#define BATCH 256
#define BATCH_S 0.25
#define TICK_S 0.1

struct trace {
	const char *path;
	char hash[33];
	struct tc_pipeline p; /* the opstream (ingested when not one), its graph and source */
	const struct tc_replay_graph *g;
	const struct tc_chip *src;
	const char *src_id;
};

struct item {
	struct item *next;
	uint64_t config;
	size_t trace;
	char config_hash[33];
	char *spec;
	struct tc_store_param params[MAX_AXES];
	struct tc_store_result res;
};

struct sweep {
	const struct tc_sweep_req *req;
	struct tc_hw *hw;
	struct tc_chip *base_chip;
	struct tc_chip_base *base_spec; /* read once; every configuration loads from it */
	const char *base;		/* the base chip's id, stored */
	struct tc_grid grid;
	struct trace traces[MAX_TRACES];
	size_t n_traces;
	uint64_t *plan; /* configuration indices of this shard */
	uint64_t n_plan;
	struct tc_map64 stored;	     /* hash of (trace hash, config hash) -> 1 */
	struct tc_replay_memo *memo; /* shared by the workers; NULL without the memo */
	int defer; /* workers set aside points whose timeline is being simulated */
	char sweep_key[33];
	atomic_int cancel; /* the caller's progress asked to stop, or an error did */
	/* shared between threads, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next;	   /* next plan position to take */
	uint64_t computed; /* points run (queued) */
	uint64_t skipped;  /* points found stored */
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
	atomic_store(&s->cancel, 1);
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
		if (end == ax->values[v] || *end || ax->values[v][0] == '-' || x < 1 ||
		    x > (1ul << 24))
			return tc_err_set(err, TC_EINVAL, "grid %s=%s: want an integer 1..16777216",
					  ax->key, ax->values[v]);
	}
	return 0;
}

/* One point's row, queued for the calling thread. */
static int queue_point(struct sweep *s, uint64_t j, size_t t, const char *spec, const char *hash,
		       const char *const *vals, const struct tc_replay_summary *sum,
		       struct tc_err *err)
{
	struct item *it = calloc(1, sizeof(*it));
	if (!it || !(it->spec = strdup(spec))) {
		free(it);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	it->config = s->plan[j];
	it->trace = t;
	memcpy(it->config_hash, hash, 33);
	for (size_t a = 0; a < s->grid.n_axes; a++) {
		it->params[a].key = s->grid.axes[a].key;
		it->params[a].value = vals[a]; /* owned by the grid's arena */
	}
	struct tc_store_result *res = &it->res;
	res->trace_hash = s->traces[t].hash;
	res->config_hash = it->config_hash;
	res->tool_version = TC_VERSION;
	res->sweep_key = s->sweep_key;
	res->steps = sum->job_steps;
	res->source_step_ns = sum->source_step_ns;
	res->step_ns = sum->step_ns;
	res->speedup = sum->speedup;
	memcpy(res->bound_ns, sum->bound_ns, sizeof(res->bound_ns));
	memcpy(res->class_ns, sum->class_ns, sizeof(res->class_ns));
	res->energy_j = sum->energy_j;
	res->dollars = sum->dollars;
	res->perf_per_watt = sum->steps_per_j;
	res->perf_per_dollar = sum->steps_per_usd;
	pthread_mutex_lock(&s->mu);
	*s->tail = it;
	s->tail = &it->next;
	s->queued++;
	s->computed++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* The chip of configuration plan[j] and its identity: the resolved spec, and for scale axes
 * the layout too (both in the hash). */
static int load_config(struct sweep *s, const char *const *vals, const char **sets, size_t *ns,
		       char (*setbuf)[512], struct tc_replay_scale *sc, struct tc_chip **chip,
		       char **spec, char hash[33], struct tc_err *err)
{
	char scale_txt[256] = "";
	*ns = 0;
	for (size_t a = 0; a < s->grid.n_axes; a++) {
		snprintf(setbuf[a], sizeof(setbuf[a]), "%s=%s", s->grid.axes[a].key, vals[a]);
		if (!scale_axis(sc, s->grid.axes[a].key, vals[a], scale_txt, sizeof(scale_txt)))
			sets[(*ns)++] = setbuf[a];
	}
	TC_TRY(tc_chip_base_load(s->base_spec, sets, *ns, chip, err));
	char *txt = tc_chip_config_json(*chip);
	size_t len = txt ? strlen(txt) : 0;
	if (txt && scale_txt[0]) {
		char *both = realloc(txt, len + strlen(scale_txt) + 1);
		if (both)
			memcpy(both + len, scale_txt, strlen(scale_txt) + 1);
		else
			free(txt);
		txt = both;
		len = txt ? strlen(txt) : 0;
	}
	if (!txt)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	tc_store_hash_hex(txt, len, hash);
	*spec = txt;
	return scale_txt[0] != 0;
}

/* One configuration being run: its chip and identity, and the traces whose timeline another
 * worker was simulating when this one came to them (ticket: tc_replay_memo_start's). */
struct config {
	struct config *next;
	uint64_t j;
	const char *vals[MAX_AXES];
	char setbuf[MAX_AXES][512];
	const char *sets[MAX_AXES];
	size_t ns;
	struct tc_chip *chip;
	char *spec;
	char hash[33];
	struct tc_replay_scale sc;
	int scaled;
	size_t n_wait;
	struct {
		size_t trace, ticket;
	} wait[MAX_TRACES];
};

static void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->spec);
	tc_chip_free(c->chip);
	free(c);
}

static struct tc_replay_opts config_opts(const struct sweep *s, const struct config *c, size_t t)
{
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	o.source = s->traces[t].src;
	o.target = c->chip;
	o.sets = c->sets;
	o.n_sets = c->ns;
	o.scale = c->scaled ? &c->sc : NULL;
	o.top_n = 1;
	o.summary_only = 1;
	return o;
}

static int point_failed(const struct sweep *s, const struct config *c, size_t t, struct tc_err *err)
{
	return tc_err_wrap(err, "%s on %s", s->traces[t].path,
			   s->grid.n_axes ? c->setbuf[0] : s->base);
}

/* Run every trace of configuration plan[j]; queue the results. With defer, a point whose
 * timeline another worker is simulating waits in *out (NULL when none does): the caller
 * runs other configurations and finishes it later (config_finish), so two workers never
 * wait on one simulation. */
static int run_config(struct sweep *s, uint64_t j, int defer, struct config **out,
		      struct tc_err *err)
{
	struct config *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	c->j = j;
	c->sc = (struct tc_replay_scale)TC_REPLAY_SCALE_INIT;
	tc_grid_values(&s->grid, s->plan[j], c->vals);
	int rc = load_config(s, c->vals, c->sets, &c->ns, c->setbuf, &c->sc, &c->chip, &c->spec,
			     c->hash, err);
	if (rc < 0) {
		config_free(c);
		return rc;
	}
	c->scaled = rc;
	rc = 0;
	for (size_t t = 0; t < s->n_traces && !atomic_load(&s->cancel); t++) {
		struct trace *tr = &s->traces[t];
		if (tc_map64_get(&s->stored, point_key(tr->hash, c->hash), NULL)) {
			pthread_mutex_lock(&s->mu);
			s->skipped++;
			pthread_mutex_unlock(&s->mu);
			continue;
		}
		struct tc_replay_opts o = config_opts(s, c, t);
		struct tc_replay_summary sum;
		size_t ticket = 0;
		/* through the memo: a configuration whose op costs were simulated before is only
		 * re-priced (its energy and dollars); the figures are the same either way */
		rc = defer ? tc_replay_memo_start(s->memo, tr->g, &o, &sum, NULL, &ticket, err)
			   : tc_replay_memo_run(s->memo, tr->g, &o, &sum, NULL, err);
		if (rc < 0) {
			point_failed(s, c, t, err);
			break;
		}
		if (rc == 1) {
			c->wait[c->n_wait].trace = t;
			c->wait[c->n_wait++].ticket = ticket;
			rc = 0;
			continue;
		}
		if ((rc = queue_point(s, j, t, c->spec, c->hash, c->vals, &sum, err)) < 0)
			break;
	}
	if (rc == 0 && c->n_wait) {
		*out = c;
		return 0;
	}
	config_free(c);
	return rc < 0 ? rc : 0;
}

/* The points of c that waited for another worker's simulation; frees c. */
static int config_finish(struct sweep *s, struct config *c, struct tc_err *err)
{
	int rc = 0;
	for (size_t w = 0; w < c->n_wait && !atomic_load(&s->cancel); w++) {
		size_t t = c->wait[w].trace;
		struct tc_replay_opts o = config_opts(s, c, t);
		struct tc_replay_summary sum;
		if ((rc = tc_replay_memo_finish(s->memo, s->traces[t].g, &o, c->wait[w].ticket,
						&sum, NULL, err)) < 0) {
			point_failed(s, c, t, err);
			break;
		}
		if ((rc = queue_point(s, c->j, t, c->spec, c->hash, c->vals, &sum, err)) < 0)
			break;
	}
	config_free(c);
	return rc;
}

/* Configurations a worker set aside before it finishes the oldest: enough to start other
 * simulations while one runs (a grid's last axis often changes no op cost, so neighbours
 * share a timeline). */
#define DEFER_MAX 32

static void *worker(void *arg)
{
	struct sweep *s = arg;
	struct tc_err err = TC_ERR_INIT;
	const uint64_t limit = s->req->limit;
	struct config *head = NULL, **tail = &head;
	size_t n_def = 0;
	int rc = 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		int over = atomic_load(&s->cancel) || s->next >= s->n_plan ||
			   (limit && s->computed >= limit);
		uint64_t j = s->next++;
		pthread_mutex_unlock(&s->mu);
		if (over)
			break;
		struct config *c = NULL;
		if ((rc = run_config(s, j, s->defer, &c, &err)) < 0)
			break;
		if (c) {
			*tail = c;
			tail = &c->next;
			n_def++;
		}
		if (n_def > DEFER_MAX) {
			c = head;
			head = c->next;
			if (!head)
				tail = &head;
			n_def--;
			if ((rc = config_finish(s, c, &err)) < 0)
				break;
		}
	}
	while (head) {
		struct config *c = head;
		head = c->next;
		if (rc == 0)
			rc = config_finish(s, c, &err);
		else
			config_free(c);
	}
	if (rc < 0) {
		pthread_mutex_lock(&s->mu);
		set_error(s, &err);
		pthread_mutex_unlock(&s->mu);
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

/* Store a batch of queued items in one transaction and hand them to the sink; frees the list
 * either way. */
static int commit(struct sweep *s, struct tc_store *db, tc_sweep_sink_fn sink, void *user,
		  struct item *list, size_t n, uint64_t *stored, struct tc_err *err)
{
	struct tc_store_config *cfg = calloc(n ? n : 1, sizeof(*cfg));
	struct tc_store_result *res = calloc(n ? n : 1, sizeof(*res));
	size_t i = 0, added = 0;
	int rc = 0;
	if (!cfg || !res) {
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
		goto out;
	}
	for (struct item *it = list; it && i < n; it = it->next, i++) {
		cfg[i].hash = it->config_hash;
		cfg[i].base = s->base;
		cfg[i].spec = it->spec;
		cfg[i].params = it->params;
		cfg[i].n_params = s->grid.n_axes;
		res[i] = it->res;
	}
	if (db) {
		rc = tc_store_put_points(db, cfg, res, i, &added, err);
		*stored += added;
	}
	i = 0;
	for (struct item *it = list; rc == 0 && sink && it && i < n; it = it->next, i++) {
		struct tc_sweep_point p = {it->config, it->trace, &cfg[i], &res[i]};
		if ((rc = sink(user, &p, err)) != 0 && !err->code)
			rc = tc_err_set(err, rc < 0 ? rc : TC_EINVAL,
					"sweep: the results sink failed");
	}
out:
	free(cfg);
	free(res);
	free_items(list);
	return rc < 0 ? rc : rc ? TC_EINVAL : 0;
}

/* A trace through the pipeline's open (api/pipeline.h): any input it takes (a .tcs as it is,
 * a profiler trace ingested into a temporary opstream), its graph and its source chip. The
 * trace's identity is the opstream's bytes. */
static int load_trace(struct sweep *s, struct trace *t, struct tc_err *err)
{
	struct tc_pipeline_req pr = TC_PIPELINE_REQ_INIT;
	char *buf = NULL;
	size_t len = 0;
	pr.inputs = &t->path;
	pr.n_inputs = 1;
	pr.source = s->req->source;
	pr.specs = s->req->specs;
	pr.log = s->req->log;
	TC_TRY(tc_pipeline_open(&pr, &t->p, err));
	TC_TRY(tc_read_file(t->p.tcs, &buf, &len, err));
	tc_store_hash_hex(buf, len, t->hash);
	free(buf);
	t->g = t->p.g;
	t->src = t->p.src;
	if (!t->src && tc_pipeline_unknown_source(t->p.hw, t->g, err) < 0)
		return tc_err_wrap(err, "%s", t->path);
	/* no source and nothing measured (ONNX): the model costs it on each configuration */
	t->src_id = t->src ? tc_chip_id(t->src) : NULL;
	return 0;
}

/* JSON array of strings ('"' and '\\' escaped, control bytes as spaces: hashes and grid
 * arguments). */
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

int tc_sweep_check_grid(const char *const *args, size_t n, struct tc_err *err)
{
	struct tc_grid g = TC_GRID_INIT;
	int rc = 0;
	if (n > MAX_AXES)
		return tc_err_set(err, TC_EINVAL, "more than %d grid axes", MAX_AXES);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = tc_grid_add(&g, args[i], err);
	tc_grid_free(&g);
	return rc;
}

/* Every value of every axis must give a valid chip on its own: a bad value fails here, not
 * after hours of sweeping. */
static int check_grid(struct sweep *s, const struct tc_chip *base_chip, struct tc_err *err)
{
	TC_TRY(tc_grid_check(&s->grid, base_chip, err));
	for (size_t a = 0; a < s->grid.n_axes; a++)
		if (is_scale_key(s->grid.axes[a].key))
			TC_TRY(check_scale_axis(&s->grid.axes[a], err));
	for (size_t a = 0; a < s->grid.n_axes; a++)
		for (size_t v = 0; v < s->grid.axes[a].n && !is_scale_key(s->grid.axes[a].key);
		     v++) {
			char set[512];
			const char *sets[1] = {set};
			struct tc_chip *c = NULL;
			snprintf(set, sizeof(set), "%s=%s", s->grid.axes[a].key,
				 s->grid.axes[a].values[v]);
			if (tc_chip_base_load(s->base_spec, sets, 1, &c, err) < 0)
				return tc_err_wrap(err, "grid %s", set);
			tc_chip_free(c);
		}
	return 0;
}

/* The plan (this shard's configurations), the traces and the memo. */
static int prepare(struct sweep *s, uint64_t *n_configs, struct tc_err *err)
{
	const struct tc_sweep_req *req = s->req;
	uint64_t n_all = 0, *sample = NULL, n_sample = 0;
	int rc;
	if (!req->n_traces)
		return tc_err_set(err, TC_EINVAL, "sweep: no traces given");
	if (req->n_traces > MAX_TRACES)
		return tc_err_set(err, TC_EINVAL, "sweep: more than %d traces", MAX_TRACES);
	if (!req->base)
		return tc_err_set(err, TC_EINVAL, "sweep: no base chip given");
	if (req->jobs > MAX_JOBS)
		return tc_err_set(err, TC_EINVAL, "sweep: %llu jobs: at most %d",
				  (unsigned long long)req->jobs, MAX_JOBS);
	if (req->shard.n && req->shard.k >= req->shard.n)
		return tc_err_set(err, TC_EINVAL, "sweep: shard %llu/%llu: want K < N",
				  (unsigned long long)req->shard.k,
				  (unsigned long long)req->shard.n);
	TC_TRY(tc_sweep_check_grid(req->grid, req->n_grid, err));
	for (size_t i = 0; i < req->n_grid; i++)
		TC_TRY(tc_grid_add(&s->grid, req->grid[i], err));
	TC_TRY(tc_hw_open(&s->hw, req->specs, err));
	TC_TRY(tc_hw_base_open(s->hw, req->base, &s->base_spec, err));
	TC_TRY(tc_chip_base_load(s->base_spec, NULL, 0, &s->base_chip, err));
	s->base = tc_chip_id(s->base_chip);
	if ((rc = check_grid(s, s->base_chip, err)) < 0 ||
	    (rc = tc_grid_count(&s->grid, &n_all, err)) < 0)
		goto out;
	if (req->random_n &&
	    (rc = tc_sample_indices(n_all, req->random_n, req->seed, &sample, &n_sample, err)) < 0)
		goto out;
	*n_configs = req->random_n ? n_sample : n_all;
	/* this shard's configurations: plan position j % N == K, so shards are disjoint and
	 * together cover the sweep whatever the order they run in */
	uint64_t sn = req->shard.n ? req->shard.n : 1, sk = req->shard.n ? req->shard.k : 0;
	s->plan = malloc((size_t)(*n_configs / sn + 1) * sizeof(*s->plan));
	if (!s->plan) {
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
		goto out;
	}
	for (uint64_t j = sk; j < *n_configs; j += sn)
		s->plan[s->n_plan++] = req->random_n ? sample[j] : j;
	s->n_traces = req->n_traces;
	for (size_t t = 0; t < s->n_traces && rc == 0; t++) {
		s->traces[t].path = req->traces[t];
		rc = load_trace(s, &s->traces[t], err);
	}
	if (rc == 0 && !req->no_memo)
		rc = tc_replay_memo_new(&s->memo, 0, err);
out:
	free(sample);
	return rc;
}

/* The sweep's identity: base, axes (canonical values), sample, traces; not the shard. */
static int identity(struct sweep *s, uint64_t n_configs, char **grid_json, char **traces_json,
		    struct tc_err *err)
{
	const char *axes_canon[MAX_AXES], *hashes[MAX_TRACES];
	char canon_buf[MAX_AXES][1024];
	const char *mode = s->req->random_n ? "random" : "grid";
	uint64_t seed = s->req->random_n ? s->req->seed : 0;
	for (size_t a = 0; a < s->grid.n_axes; a++) {
		const struct tc_grid_axis *ax = &s->grid.axes[a];
		size_t len = (size_t)snprintf(canon_buf[a], sizeof(canon_buf[a]), "%s=", ax->key);
		for (size_t v = 0; v < ax->n && len < sizeof(canon_buf[a]); v++)
			len += (size_t)snprintf(canon_buf[a] + len, sizeof(canon_buf[a]) - len,
						"%s%s", v ? "," : "", ax->values[v]);
		axes_canon[a] = canon_buf[a];
	}
	for (size_t t = 0; t < s->n_traces; t++)
		hashes[t] = s->traces[t].hash;
	*grid_json = json_strings(axes_canon, s->grid.n_axes);
	*traces_json = json_strings(hashes, s->n_traces);
	char *ident = NULL;
	if (*grid_json && *traces_json &&
	    (ident = malloc(strlen(*grid_json) + strlen(*traces_json) + 256)))
		sprintf(ident, "%s|%s|%s|%s|%llu|%llu", s->base, *grid_json, *traces_json, mode,
			(unsigned long long)seed, (unsigned long long)n_configs);
	if (!ident)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	tc_store_hash_hex(ident, strlen(ident), s->sweep_key);
	free(ident);
	return 0;
}

/* The database's sweep, traces and resume set. */
static int open_db(struct sweep *s, struct tc_store **db, uint64_t n_configs, const char *grid_json,
		   const char *traces_json, struct tc_err *err)
{
	struct tc_store_opts so = TC_STORE_OPTS_INIT;
	TC_TRY(tc_store_open(db, s->req->db, &so, err));
	struct tc_store_sweep sw = {
	    .key = s->sweep_key,
	    .base = s->base,
	    .grid = grid_json,
	    .traces = traces_json,
	    .mode = s->req->random_n ? "random" : "grid",
	    .seed = s->req->random_n ? s->req->seed : 0,
	    .n_configs = n_configs,
	    .n_points = n_configs * s->n_traces,
	    .tool_version = TC_VERSION,
	};
	TC_TRY(tc_store_put_sweep(*db, &sw, err));
	for (size_t t = 0; t < s->n_traces; t++) {
		struct tc_replay_graph_stats st;
		tc_replay_graph_stats(s->traces[t].g, &st);
		struct tc_store_trace tr = {s->traces[t].hash, s->traces[t].path,
					    s->traces[t].src_id, st.ops, st.gpu_ops};
		TC_TRY(tc_store_put_trace(*db, &tr, err));
	}
	return tc_store_each_point(*db, TC_VERSION, remember, s, err);
}

static int start_workers(struct sweep *s, pthread_t *th, uint64_t jobs)
{
	int started = 0;
	s->tail = &s->head;
	s->workers_left = (int)jobs;
	for (uint64_t i = 0; i < jobs; i++) {
		if (pthread_create(&th[i], NULL, worker, s) != 0) {
			pthread_mutex_lock(&s->mu);
			s->workers_left -= (int)(jobs - i);
			if (!s->first_err.code) {
				struct tc_err e = TC_ERR_INIT;
				tc_err_set(&e, TC_EINTERNAL, "cannot start worker threads");
				set_error(s, &e);
			}
			pthread_mutex_unlock(&s->mu);
			break;
		}
		started++;
	}
	return started;
}

/* The calling thread's loop: commit batches, report progress, until the workers are done. */
static void drain(struct sweep *s, struct tc_store *db, tc_sweep_progress_fn progress,
		  void *progress_user, tc_sweep_sink_fn sink, void *sink_user, uint64_t total,
		  struct tc_sweep_stats *st)
{
	double t_batch = tc_now();
	int failed = 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		double t_tick = tc_now();
		while (s->workers_left > 0 && s->queued < BATCH && tc_now() - t_tick < TICK_S) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(TICK_S * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
		int done = s->workers_left == 0;
		int take = done || s->queued >= BATCH || tc_now() - t_batch >= BATCH_S ||
			   atomic_load(&s->cancel);
		struct item *list = take ? s->head : NULL;
		size_t n = take ? s->queued : 0;
		uint64_t progressed = s->skipped + s->computed;
		if (take) {
			s->head = NULL;
			s->tail = &s->head;
			s->queued = 0;
		}
		pthread_mutex_unlock(&s->mu);
		if (n && !failed) {
			struct tc_err e = TC_ERR_INIT;
			if (commit(s, db, sink, sink_user, list, n, &st->stored, &e) < 0) {
				/* stop the workers; report this error */
				failed = 1;
				pthread_mutex_lock(&s->mu);
				set_error(s, &e);
				pthread_mutex_unlock(&s->mu);
			}
		} else {
			free_items(list);
		}
		if (take)
			t_batch = tc_now();
		if (progress && !failed && progress(progress_user, progressed, total) != 0 &&
		    !atomic_exchange(&s->cancel, 1))
			st->cancelled = 1;
		if (done)
			break;
	}
}

static int run(struct sweep *s, uint64_t n_configs, tc_sweep_progress_fn progress,
	       void *progress_user, tc_sweep_sink_fn sink, void *sink_user,
	       struct tc_sweep_stats *st, struct tc_err *err)
{
	struct tc_store *db = NULL;
	char *grid_json = NULL, *traces_json = NULL;
	int rc = identity(s, n_configs, &grid_json, &traces_json, err);
	if (rc == 0 && s->req->db)
		rc = open_db(s, &db, n_configs, grid_json, traces_json, err);
	if (rc < 0)
		goto out;
	uint64_t total = s->n_plan * s->n_traces;
	memcpy(st->key, s->sweep_key, sizeof(st->key));
	st->configs = n_configs;
	st->total = total;
	st->already = s->stored.len;
	tc_info(s->req->log,
		"sweep %.12s: %llu configurations x %zu traces, shard %llu/%llu: %llu points here, "
		"%zu already stored in %s",
		s->sweep_key, (unsigned long long)n_configs, s->n_traces,
		(unsigned long long)s->req->shard.k, (unsigned long long)s->req->shard.n,
		(unsigned long long)total, s->stored.len,
		db ? tc_store_backend(db) : "no database");
	uint64_t jobs = s->req->jobs;
	if (!jobs)
		jobs = (uint64_t)tc_cores(MAX_JOBS);
	/* with one worker nothing is ever being simulated elsewhere; with a limit the points
	 * are counted as they are taken, as before */
	s->defer = s->memo && jobs > 1 && !s->req->limit;
	pthread_t th[MAX_JOBS];
	int started = start_workers(s, th, jobs);
	drain(s, db, progress, progress_user, sink, sink_user, total, st);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	st->skipped = s->skipped;
	st->computed = s->computed;
	st->limited = s->req->limit && s->computed >= s->req->limit;
	if (progress && !s->first_err.code)
		progress(progress_user, s->skipped + s->computed, total);
	if (s->first_err.code) {
		*err = s->first_err;
		rc = tc_err_wrap(err, "sweep stopped (%llu new points stored)",
				 (unsigned long long)st->stored);
	}
out:
	free(grid_json);
	free(traces_json);
	tc_store_close(db);
	return rc;
}

int tc_sweep_run(const struct tc_sweep_req *req, tc_sweep_progress_fn progress, void *progress_user,
		 tc_sweep_sink_fn sink, void *sink_user, struct tc_sweep_stats *stats,
		 struct tc_err *err)
{
	struct sweep *s = calloc(1, sizeof(*s));
	struct tc_sweep_stats st_local;
	struct tc_sweep_stats *st = stats ? stats : &st_local;
	uint64_t n_configs = 0;
	memset(st, 0, sizeof(*st));
	if (!s)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	s->req = req;
	atomic_init(&s->cancel, 0);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	/* everything is checked before the database is touched */
	int rc = prepare(s, &n_configs, err);
	if (rc == 0)
		rc = run(s, n_configs, progress, progress_user, sink, sink_user, st, err);
	for (size_t t = 0; t < s->n_traces; t++)
		tc_pipeline_free(&s->traces[t].p);
	if (s->memo) {
		uint64_t ne;
		tc_replay_memo_stats(s->memo, &ne, &st->memo_hits, &st->memo_sims);
		tc_replay_memo_free(s->memo);
	}
	free(s->plan);
	tc_map64_free(&s->stored);
	tc_grid_free(&s->grid);
	tc_chip_free(s->base_chip);
	tc_chip_base_free(s->base_spec);
	tc_hw_free(s->hw);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	return rc;
}
