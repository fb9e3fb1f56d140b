"""tracecast.torch.on_trace_ready: a torch.profiler handler that writes the Kineto trace, projects
it onto another chip, writes the projection beside it and prints the headline.

    import torch, tracecast.torch
    with torch.profiler.profile(schedule=torch.profiler.schedule(wait=1, warmup=1, active=2),
                                on_trace_ready=tracecast.torch.on_trace_ready(
                                    target="h100", out_dir="prof")) as p:
        for batch in data:
            train_step(batch)
            p.step()
"""
import os
import socket
import time

import tracecast


def on_trace_ready(target, out_dir=".", source=None, sets=None, band=40, print_fn=print,
                   worker_name=None):
    """Returns the handler. Each call (each profiled cycle) writes
    OUT_DIR/WORKER.TIMESTAMP.pt.trace.json and .projection.json, keeps the Result in
    handler.results, and prints one headline line."""
    os.makedirs(out_dir, exist_ok=True)

    def handler(prof):
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        stem = os.path.join(out_dir, f"{name}.{time.time_ns()}")
        trace = stem + ".pt.trace.json"
        prof.export_chrome_trace(trace)
        r = tracecast.project([trace], target=target, source=source, sets=sets, band=band)
        with open(stem + ".projection.json", "w") as f:
            import json
            json.dump(r.report, f, indent=1)
        s = r.summary or {}
        src = r.report.get("source_chip") or {}
        dst = r.report.get("target_chip") or {}
        print_fn(f"tracecast: {src.get('id', 'measured')} -> {dst.get('id', target)}: step "
                 f"{s.get('source_step_ns', 0) / 1e6:.3f} ms -> "
                 f"{s.get('projected_step_ns', 0) / 1e6:.3f} ms, speedup "
                 f"{s.get('speedup') or float('nan'):.3f}x ({trace})")
        handler.results.append(r)
        handler.traces.append(trace)

    handler.results = []
    handler.traces = []
    return handler
