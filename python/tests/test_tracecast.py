"""The Python package against the library: projections on the bundled sample and the corpus,
outputs that move with the chip, errors, pandas output, ingest, query, and the torch.profiler
handler end to end (profiling a small model on CPU)."""
import json
import os
import subprocess

import pytest

import tracecast

SRC = os.environ.get("TC_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = [os.path.join(SRC, "traces", "sample", f"train_a100_rank{r}.json.gz") for r in (0, 1)]
CORPUS = os.environ.get("TRACECAST_CORPUS") or os.environ.get("TC_CORPUS_DEFAULT") or \
    os.path.join(SRC, "..", "shared", "corpus")


def test_project_sample():
    r = tracecast.project(SAMPLE, target="h100")
    assert r.report["schema"] == "tracecast.projection"
    assert r.report["source_chip"]["id"] == "a100-sxm4-80gb"
    assert r.speedup > 1.5  # GPU-bound sample, H100 against A100
    assert r.summary["steps"] == 3
    assert r.band["step_p10_ns"] < r.summary["projected_step_ns"] < r.band["step_p90_ns"]
    assert r.by_class["gemm"]["projected_ns"] < r.by_class["gemm"]["source_ns"]
    assert r.critical_path["length_ns"] > 0
    assert len(r.steps) == 6  # 3 steps x 2 ranks


def test_band_threads_give_the_same_report():
    one = tracecast.project(SAMPLE, target="mi300x", jobs=1, ops=False)
    three = tracecast.project(SAMPLE, target="mi300x", jobs=3, ops=False)
    assert one.band["draws"] == 40
    assert one.report == three.report
    with pytest.raises(tracecast.Error, match="jobs"):
        tracecast.project(SAMPLE, target="mi300x", jobs=1000)


def test_outputs_move_with_the_chip():
    fast = tracecast.project(SAMPLE, target="h100", band=0)
    slow = tracecast.project(SAMPLE, target="t4", band=0)
    assert slow.summary["projected_step_ns"] > fast.summary["projected_step_ns"]
    assert slow.speedup < 1 < fast.speedup
    more_bw = tracecast.project(SAMPLE, target="h100", sets={"memory.hbm.bw_gbs": 6700},
                                band=0)
    assert more_bw.summary["projected_step_ns"] < fast.summary["projected_step_ns"]


def test_ops_table():
    r = tracecast.project(SAMPLE, target="mi300x", band=0)
    ops = r.ops()
    assert len(ops) == r.report["input"]["ops"]
    kernels = [o for o in ops if o["kind"] == "kernel"]
    assert kernels and all(o["bound"] for o in kernels)
    gemm = [o for o in kernels if o["class"] == "gemm"]
    assert gemm and all(o["flops"] and o["flops"] > 0 for o in gemm)
    assert all(o["projected_dur_ns"] >= 0 for o in ops)


def test_to_pandas():
    pandas = pytest.importorskip("pandas")
    df = tracecast.project(SAMPLE, target="h100", band=0).to_pandas()
    assert isinstance(df, pandas.DataFrame)
    assert {"name", "class", "bound", "source_dur_ns", "projected_dur_ns"} <= set(df.columns)
    k = df[df["kind"] == "kernel"]
    assert k["projected_dur_ns"].sum() < k["source_dur_ns"].sum()


def test_errors_carry_the_message():
    with pytest.raises(tracecast.Error, match="nonexistent.json"):
        tracecast.project(["nonexistent.json"], target="h100")
    with pytest.raises(tracecast.Error, match="unknown chip 'h900'"):
        tracecast.project(SAMPLE, target="h900")
    with pytest.raises(tracecast.Error, match="memory.hbm.bw_gbs"):
        tracecast.project(SAMPLE, target="h100", sets=["memory.hbm.bw_gbs=-5"])


def test_chips():
    chips = {c["id"]: c for c in tracecast.chips()}
    assert "h100-sxm5" in chips and "mi300x" in chips
    assert chips["h100-sxm5"]["hbm_gbs"] > 3000
    assert chips["h100-sxm5"]["peak_tflops"]["bf16"] > 900


def test_ingest_then_project(tmp_path):
    tcs = tracecast.ingest(SAMPLE, tmp_path / "s.tcs")
    a = tracecast.project([tcs], target="b200", band=0)
    b = tracecast.project(SAMPLE, target="b200", band=0)
    assert a.summary["projected_step_ns"] == b.summary["projected_step_ns"]


def test_query(tmp_path):
    exe = os.environ.get("TRACECAST")
    if not exe:
        pytest.skip("TRACECAST (the command) is not set")
    db = tmp_path / "r.db"
    tcs = tracecast.ingest(SAMPLE, tmp_path / "s.tcs")
    subprocess.run([exe, "-q", "sweep", "--traces", tcs, "--base", "h100", "--grid",
                    "memory.hbm.bw_gbs=2000,4000,8000", "--db", str(db), "--jobs", "1"],
                   check=True)
    rows = tracecast.query(db, "SELECT step_ns FROM results ORDER BY step_ns")
    assert len(rows) == 3
    steps = [float(r["step_ns"]) for r in rows]
    assert steps[0] < steps[-1]  # the bandwidth axis moves the step time
    with pytest.raises(tracecast.Error):
        tracecast.query(db, "SELECT nothing FROM nowhere")


def test_corpus_trace():
    trace = os.path.join(CORPUS, "HolisticTraceAnalysis",
                         "trace_diff_control_A100_rank3.json.gz")
    if not os.path.exists(trace):
        pytest.skip(f"corpus not found at {CORPUS}")
    r = tracecast.project([trace], target="h100")
    assert 1.0 < r.speedup < r.summary["speedup_ceiling"] + 1e-9
    assert r.summary["host_bound"] in (True, False)


def test_torch_profiler_handler(tmp_path):
    torch = pytest.importorskip("torch")
    import tracecast.torch as tct

    lines = []
    handler = tct.on_trace_ready(target="h100", out_dir=str(tmp_path), print_fn=lines.append,
                                 worker_name="test")
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 64), torch.randint(0, 10, (32,))
    sched = torch.profiler.schedule(wait=0, warmup=1, active=3, repeat=1)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU],
                                schedule=sched, on_trace_ready=handler,
                                record_shapes=True) as prof:
        for _ in range(5):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            prof.step()
    assert len(handler.results) == 1, lines
    r = handler.results[0]
    assert os.path.exists(handler.traces[0])
    with open(handler.traces[0].replace(".pt.trace.json", ".projection.json")) as f:
        assert json.load(f)["schema"] == "tracecast.projection"
    # a CPU-only capture: the profiled steps are there, every op is host time, and the
    # projection keeps the step (no GPU work to re-time)
    assert r.summary["steps"] >= 1
    assert r.report["input"]["gpu_ops"] == 0
    assert r.summary["projected_step_ns"] == r.summary["source_step_ns"]
    assert lines and lines[0].startswith("tracecast: ") and "speedup" in lines[0]


def test_onnx_chip_to_chip_and_dtype():
    model = os.path.join(CORPUS, "onnx", "light_resnet50.onnx")
    if not os.path.exists(model):
        pytest.skip(f"corpus not found at {CORPUS}")
    fp32 = tracecast.project([model], target="h100", source="a100", band=0)
    bf16 = tracecast.project([model], target="h100", source="a100", dtype="bf16", band=0,
                             dims=["batch=32"])
    assert fp32.speedup > 1  # both sides costed analytically: a real speedup
    assert bf16.summary["projected_step_ns"] > 0
    with pytest.raises(tracecast.Error, match="dtype"):
        tracecast.project([model], target="h100", dtype="int3")


def test_sweep_rows_match_project_and_db(tmp_path):
    tcs = tracecast.ingest(SAMPLE[:1], tmp_path / "s.tcs")
    db = tmp_path / "r.db"
    seen = []
    rows = tracecast.sweep(tcs, target="h100", db=db, jobs=2,
                           grid={"memory.hbm.bw_gbs": [1000, 6000], "power.tdp_w": "400:800:2"},
                           progress=lambda done, total: seen.append((done, total)))
    assert isinstance(rows, list) and len(rows) == 4
    assert rows.complete and not rows.cancelled and rows.stored == 4
    assert seen and seen[-1] == (4, 4)
    # grid order (last axis fastest), values as numbers
    assert [(r["memory.hbm.bw_gbs"], r["power.tdp_w"]) for r in rows] == \
        [(1000, 400), (1000, 800), (6000, 400), (6000, 800)]
    # bandwidth moves the step, power only the energy
    assert rows[2]["step_ns"] < rows[0]["step_ns"]
    assert rows[0]["step_ns"] == rows[1]["step_ns"] and rows[0]["energy_j"] != rows[1]["energy_j"]
    for r in (rows[0], rows[3]):
        p = tracecast.project([tcs], target="h100", band=0, ops=False,
                              sets={"memory.hbm.bw_gbs": r["memory.hbm.bw_gbs"],
                                    "power.tdp_w": r["power.tdp_w"]})
        assert r["step_ns"] == pytest.approx(p.summary["projected_step_ns"], rel=1e-9)
        assert r["energy_j"] == pytest.approx(p.summary["projected_energy_j_per_step"], rel=1e-9)
    stored = tracecast.query(db, "SELECT count(*) AS n FROM results")
    assert stored == [{"n": "4"}]
    df = rows.to_pandas()
    assert list(df["step_ns"]) == [r["step_ns"] for r in rows]
    assert "class_gemm_ns" in df.columns


def test_sweep_progress_cancels(tmp_path):
    tcs = tracecast.ingest(SAMPLE[:1], tmp_path / "s.tcs")
    grid = {"memory.hbm.bw_gbs": "1000:9000:20", "compute.matrix.peak_tflops.bf16": "300:1500:20",
            "power.tdp_w": "300:1200:25"}
    rows = tracecast.sweep(tcs, target="h100", grid=grid, jobs=1, memo=False,
                           progress=lambda done, total: True)
    assert rows.cancelled and not rows.complete
    assert len(rows) == rows.computed < rows.points == 10000

    def boom(done, total):
        raise KeyError("from the callback")
    with pytest.raises(KeyError):
        tracecast.sweep(tcs, target="h100", grid=grid, jobs=1, memo=False, progress=boom)
    with pytest.raises(tracecast.Error, match="memory.hbm.nope"):
        tracecast.sweep(tcs, target="h100", grid={"memory.hbm.nope": [1, 2]})
