"""The benchmarks' smoke run: bench/run.sh with BENCH_SMOKE=1 (tiny counts, seconds) on its
own private stack, so the benchmarks can't rot. Each case checks that its benchmark produced
its figures (numbers) and reported no error; never how fast anything is."""
import json
import os
import subprocess
import tempfile

from lib import ROOT

_result = {}


def _run():
    """Runs the smoke benchmarks once for all the cases of this file."""
    if not _result:
        with tempfile.TemporaryDirectory(prefix="linehook-bench-smoke.") as tmp:
            out = os.path.join(tmp, "figures.json")
            env = dict(os.environ, BENCH_SMOKE="1", BENCH_JSON=out)
            p = subprocess.run([os.path.join(ROOT, "bench", "run.sh")], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=600)
            _result["output"] = p.stdout + p.stderr
            _result["data"] = json.load(open(out)) if os.path.exists(out) else None
    if _result["data"] is None:
        raise AssertionError("bench/run.sh wrote no figures:\n" + _result["output"][-3000:])
    return _result["data"]


def _check(bench, keys):
    data = _run()
    assert bench not in data["errors"], "%s: %s" % (bench, data["errors"][bench])
    assert "sanitizer" not in data["errors"], data["errors"]["sanitizer"]
    for key in keys:
        assert key in data["figures"], "no figure %s:\n%s" % (key, _result["output"][-3000:])
        ours, baseline = data["figures"][key]
        assert isinstance(ours, (int, float)) and ours > 0, "%s: ours = %r" % (key, ours)
        assert isinstance(baseline, (int, float)) and baseline > 0, "%s: baseline = %r" % (key, baseline)


def test_bench_api(stack):
    _check("api", ["api_get_rps", "api_get_p99", "api_list_rps", "api_list_p99", "api_post_rps", "api_post_p99",
                   "api_trivial_rps", "api_floor_rps"])


def test_bench_delivery(stack):
    _check("delivery", ["delivery_rate"])


def test_bench_latency(stack):
    _check("latency", ["latency_p50", "latency_p95", "latency_p99"])


def test_bench_memory(stack):
    _check("memory", ["memory_rss"])


def test_bench_isolation(stack):
    _check("isolation", ["isolation_p50", "isolation_p99"])


def test_bench_prints_one_table(stack):
    _run()
    lines = [line for line in _result["output"].splitlines() if line.startswith("|")]
    assert lines[0] == "| figure | ours | baseline | ratio |", lines[:2]
    assert len(lines) == 21, "expected the header, the rule, 15 figures and 4 cluster rows:\n" + "\n".join(lines)
    # the cluster rows need the Galera stack: not measured by the smoke run, shown empty
    cluster = [line for line in lines if line.startswith("| 3-node Galera:")]
    assert len(cluster) == 4 and all(line.endswith("| — | — | — |") for line in cluster), cluster
