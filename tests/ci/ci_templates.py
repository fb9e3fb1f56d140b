#!/usr/bin/env python3
"""The CI pipelines and the users' templates parse as YAML and say what docs/ci.md says:
Debian 12 containers, .ci/run (project) or `tracecast check` (templates), JUnit published,
reports kept. Exit 77 (meson: SKIP) when PyYAML is missing."""
import os
import sys

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed")
    sys.exit(77)

root = os.environ.get("TC_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def load(rel):
    with open(os.path.join(root, rel)) as f:
        doc = yaml.safe_load(f)
    check(isinstance(doc, dict), f"{rel}: not a mapping")
    return doc, open(os.path.join(root, rel)).read()


# GitHub Actions: the project's workflow
gh, text = load(".github/workflows/ci.yml")
on = gh.get("on", gh.get(True))  # YAML 1.1 reads a bare `on` as true
check(on is not None and "push" in on and "pull_request" in on, "ci.yml: push and pull_request")
job = gh["jobs"]["ci"]
check(job["container"]["image"] == "debian:12", "ci.yml: debian:12 container")
runs = [s.get("run", "") for s in job["steps"]]
check(any(r.strip() == ".ci/run" for r in runs), "ci.yml: runs .ci/run")
uploads = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
paths = " ".join(s["with"]["path"] for s in uploads)
check("testlog.junit.xml" in paths and "check.junit.xml" in paths, "ci.yml: both JUnit files")
check(".html" in paths, "ci.yml: HTML reports kept")

# Azure Pipelines: the project's pipeline
az, text = load(".azure-pipelines.yml")
check(az["container"]["image"] == "debian:12", "azure: debian:12 container")
steps = az["jobs"][0]["steps"]
check(any(s.get("script", "").strip() == ".ci/run" for s in steps), "azure: runs .ci/run")
pub = [s for s in steps if s.get("task", "").startswith("PublishTestResults")]
check(pub and pub[0]["inputs"]["testResultsFormat"] == "JUnit", "azure: publishes JUnit")
check(any(s.get("task", "").startswith("PublishPipelineArtifact") for s in steps),
      "azure: keeps the reports")

# the users' templates
t, text = load("ci/templates/github-tracecast-check.yml")
on = t.get("on", t.get(True))
inputs = on["workflow_call"]["inputs"]
check(inputs["suite"]["required"] is True, "github template: suite input required")
check("tracecast_ref" in inputs, "github template: tracecast version pinned by an input")
tj = t["jobs"]["check"]
check(tj["container"]["image"] == "debian:12", "github template: debian:12")
cmd = " ".join(s.get("run", "") for s in tj["steps"])
check("tracecast check" in cmd and "--junit" in cmd and "inputs.suite" in cmd,
      "github template: runs tracecast check --junit on the suite")

a, text = load("ci/templates/azure-tracecast-check.yml")
names = [p["name"] for p in a["parameters"]]
check("suite" in names, "azure template: suite parameter")
aj = a["jobs"][0]
check(aj["container"]["image"] == "debian:12", "azure template: debian:12")
scripts = " ".join(s.get("script", "") for s in aj["steps"])
check("tracecast check" in scripts and "--junit" in scripts and "parameters.suite" in scripts,
      "azure template: runs tracecast check --junit on the suite")
check(any(s.get("task", "").startswith("PublishTestResults") for s in aj["steps"]),
      "azure template: publishes JUnit")

# .ci/run writes what the pipelines publish
ci_run = open(os.path.join(root, ".ci/run")).read()
check("build/ci-out/check.junit.xml" in ci_run and "build/ci-out/" in ci_run,
      ".ci/run: writes build/ci-out/check.junit.xml and a report")

for f in failures:
    print("FAIL:", f)
print(f"4 YAML files parsed, {len(failures)} failures")
sys.exit(1 if failures else 0)
