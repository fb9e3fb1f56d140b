"""tracecast from Python: project PyTorch profiler traces onto other chips.

    import tracecast
    r = tracecast.project(["rank0.json.gz", "rank1.json.gz"], target="h100")
    r.summary["speedup"], r.band, r.by_class, r.critical_path
    r.to_pandas()          # one row per op: source and projected times, bound, FLOPs, bytes
    rows = tracecast.sweep("run.tcs", target="h100",
                           grid={"memory.hbm.bw_gbs": [3350, 5000], "power.tdp_w": "400:1000:4"})
    rows.to_pandas()       # one row per point: the grid's values, step time, bounds, energy

The calls go to libtracecast (the same pipeline as the tracecast command) through ctypes;
errors raise tracecast.Error with the library's one-line message. docs/api.md.
"""
import csv
import io
import os

from ._lib import Context, Error, lib

__all__ = ["Error", "Result", "Rows", "project", "ingest", "chips", "query", "sweep", "version"]


def version():
    """The library's version string."""
    return lib().tc_api_library_version().decode()


def _paths(x):
    if isinstance(x, (str, os.PathLike)):
        return [os.fspath(x)]
    return [os.fspath(p) for p in x]


class Result:
    """A projection: the JSON report as plain Python data, and the per-op table."""

    def __init__(self, report, ops_csv):
        self.report = report
        self._ops_csv = ops_csv

    @property
    def summary(self):
        return self.report["summary"]

    @property
    def steps(self):
        return self.report["steps"]

    @property
    def by_class(self):
        """{class: {count, source_ns, projected_ns, speedup}}"""
        return {c["class"]: {k: v for k, v in c.items() if k != "class"}
                for c in self.report["by_class"]}

    @property
    def critical_path(self):
        return self.report["critical_path"]

    @property
    def band(self):
        """p10-p50-p90 of the step and p10-p90 of the speedup, or None."""
        return (self.summary or {}).get("band")

    @property
    def speedup(self):
        return self.summary["speedup"]

    def ops(self):
        """Every op as a dict: op, rank, lane, kind, class, name, bound, source and projected
        start and duration (ns), flops and bytes (None when unknown)."""
        if self._ops_csv is None:
            raise Error("the per-op table was not asked for (project(..., ops=True))")
        rows = []
        for r in csv.DictReader(io.StringIO(self._ops_csv)):
            for k in ("op", "rank", "lane", "source_start_ns", "source_dur_ns",
                      "projected_start_ns", "projected_dur_ns", "flops", "bytes"):
                r[k] = int(r[k]) if r[k] != "" else None
            r["bound"] = r["bound"] or None
            rows.append(r)
        return rows

    def to_pandas(self):
        """The per-op table as a pandas DataFrame (pandas must be importable)."""
        import pandas
        return pandas.DataFrame(self.ops())

    def __repr__(self):
        s = self.summary or {}
        return (f"<tracecast.Result {self.report['source_chip'] and self.report['source_chip']['id']}"
                f" -> {self.report['target_chip'] and self.report['target_chip']['id']}:"
                f" step {s.get('projected_step_ns')} ns, speedup {s.get('speedup')}>")


def project(traces, target, source=None, sets=None, *, host_scale=1.0, gpu_scale=1.0,
            steps=None, band=40, infer_waits=True, dims=None, training=False, dtype=None,
            ops=True, specs=None, jobs=None):
    """Project traces (one job: a file per rank, a .tcs, an ONNX model) onto `target`
    (a chip id or a spec file). sets: {"key": value} or ["key=value"] overrides on the
    target. Returns a Result."""
    if isinstance(sets, dict):
        sets = [f"{k}={v}" for k, v in sets.items()]
    req = {"inputs": _paths(traces), "target": os.fspath(target), "set": list(sets or []),
           "host_scale": host_scale, "gpu_scale": gpu_scale, "band": band,
           "infer_waits": bool(infer_waits), "training": bool(training), "ops": bool(ops),
           "dims": list(dims or [])}
    if source:
        req["source"] = source
    if dtype:
        req["dtype"] = dtype
    if jobs:
        req["jobs"] = int(jobs)  # threads for the band's draws; same figures for any number
    if steps:
        req["steps"] = int(steps)
    report, ops_csv = Context(specs).project(req)
    return Result(report, ops_csv)


def ingest(traces, output, dims=None, training=False, dtype=None, specs=None):
    """Ingest traces (or an ONNX model, at `dtype` if given) into an opstream file."""
    req = {"inputs": _paths(traces), "output": os.fspath(output), "dims": list(dims or []),
           "training": bool(training)}
    if dtype:
        req["dtype"] = dtype
    Context(specs).ingest(req)
    return os.fspath(output)


def chips(specs=None):
    """The chip library: a list of {id, name, vendor, peak_tflops, hbm_gbs, tdp_w}."""
    return Context(specs).chips()


def query(db, sql):
    """One SQL statement on a results database: a list of dicts (values as text, or
    None)."""
    r = Context().query(os.fspath(db), sql)
    return [dict(zip(r["columns"], row)) for row in r["rows"]]


class Rows(list):
    """A sweep's points: a list of dicts (one per trace and configuration, in grid order),
    with the sweep's figures as attributes: sweep (its key), configurations, points,
    computed, stored, skipped, cancelled, complete."""

    def __init__(self, result):
        super().__init__(result.get("rows", []))
        for k, v in result.items():
            if k != "rows":
                setattr(self, k, v)

    def to_pandas(self):
        """The rows as a pandas DataFrame (class_ns spread into class_<name>_ns columns)."""
        import pandas
        flat = []
        for r in self:
            r = dict(r)
            for c, v in (r.pop("class_ns", None) or {}).items():
                r[f"class_{c}_ns"] = v
            flat.append(r)
        return pandas.DataFrame(flat)


def sweep(traces, target, grid=None, db=None, *, jobs=None, progress=None, source=None,
          random=None, seed=None, shard=None, limit=None, memo=True, specs=None):
    """Project opstreams (.tcs) onto every configuration of a grid, in parallel: the engine of
    `tracecast sweep`. grid: {"key": [values] or "lo:hi:n" or value} (spec key paths, and
    scale.world_size / scale.dp / tp / pp / ep) or ["key=values"]. db: also store into this
    database (SQLite path or postgresql://...) and skip points already there. progress:
    called as progress(done, total) about every 0.1 s; return True to cancel (what was
    computed is kept). Returns Rows: the points computed by this call."""
    req = {"traces": _paths(traces), "target": os.fspath(target), "memo": bool(memo)}
    if grid:
        req["grid"] = dict(grid) if isinstance(grid, dict) else list(grid)
    if db is not None:
        req["db"] = os.fspath(db)
    for k, v in (("jobs", jobs), ("source", source), ("random", random), ("seed", seed),
                 ("shard", shard), ("limit", limit)):
        if v is not None:
            req[k] = v
    return Rows(Context(specs).sweep(req, progress))
