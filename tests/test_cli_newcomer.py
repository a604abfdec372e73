"""The ``eqsat-tensor`` command as a newcomer meets it: run as a subprocess from a temporary
directory outside the repository (the installed wheel in CI, see ``_env``).

Every user mistake must end with exit status 2 and one line on stderr, no traceback.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import eqsat_tensor

PKG_PARENT = str(Path(eqsat_tensor.__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("newcomer")
    (d / "my.rules").write_text("rule my-log1p: log(1 + x) => log1p(x)\n")
    (d / "bad.rules").write_text("rule ok: x * 1 => x\nrule bad: frob(x) => x\n")
    (d / "broken.json").write_text('{"format": "eqsat-tensor-graph", "version": 1,')
    (d / "syntax.rules").write_text("rule ok: x * 1 => x\nrule broken: log(1 + x => log1p(x)\n")
    (d / "wrong.rules").write_text("rule wrong: log(x * y) => log(x) * log(y)\n")
    node = '{{"op": "{op}", "inputs": {inputs}, "attrs": {{}}, "shape": {shape}, ' \
           '"dtype": "float64"}}'
    x = '{"op": "input", "inputs": [], "attrs": {"name": "x"}, "shape": [3], "dtype": "float64"}'
    y = '{"op": "input", "inputs": [], "attrs": {"name": "y"}, "shape": [4], "dtype": "float64"}'
    for name, nodes in (("unknown_op.json", [x, node.format(op="frobnicate", inputs=[0],
                                                                 shape=[3])]),
                        ("bad_shapes.json", [x, y, node.format(op="add", inputs=[0, 1],
                                                                shape=[3])])):
        k = len(nodes) - 1
        (d / name).write_text('{"format": "eqsat-tensor-graph", "version": 1, "nodes": ['
                              + ", ".join(nodes) + f'], "inputs": {list(range(k))}, '
                              f'"outputs": [{k}]}}')
    (d / "not_a_graph.json").write_text('{"hello": "world"}')
    (d / "f.fpcore").write_text(
        '(FPCore (x) :name "sqrt diff" :pre (and (<= 1 x) (<= x 1e15))\n'
        '  (- (sqrt (+ x 1)) (sqrt x)))\n')
    (d / "two.fpcore").write_text('(FPCore (x) :name "a" (+ x 1))\n'
                                  '(FPCore (y) :name "b" (- (exp y) 1))\n')
    return d


def _env(cwd: Path) -> dict[str, str]:
    """The environment of the subprocess: the package this test imported, on PYTHONPATH;
    with ``EQSAT_TENSOR_TEST_INSTALLED=1`` (set by .ci/run) the installed, non-editable
    package instead, as a user has it."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "EQSAT_TENSOR_TIERED")}  # et.jit's own default
    env["COLUMNS"] = "120"
    if os.environ.get("EQSAT_TENSOR_TEST_INSTALLED") != "1":
        env["PYTHONPATH"] = PKG_PARENT
    return env


def cli(cwd: Path, *args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    """Run ``eqsat-tensor ARGS`` (as ``python -m eqsat_tensor.cli``) in ``cwd``. An
    ``optimize`` gets a generous time budget: the default 2 s of wall clock includes the
    process's one-time e-graph set-up, which a loaded CI machine can use up (the tests
    check what the command does with the graph, not how fast)."""
    if args[:1] == ("optimize",) and "--seconds" not in args:
        args = (*args, "--seconds", "60")
    return subprocess.run([sys.executable, "-m", "eqsat_tensor.cli", *args], cwd=cwd,
                          env=_env(cwd), capture_output=True, text=True, timeout=timeout)


def assert_user_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit 2, exactly one line on stderr, no traceback, the line names the problem."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- what works ---------------------------------------------------------------------------


def test_version(workdir):
    proc = cli(workdir, "--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"eqsat-tensor {eqsat_tensor.__version__}"


def test_rules_option_before_the_expression(workdir):
    proc = cli(workdir, "optimize", "--rules", "my.rules", "log(1 + x) * y")
    assert proc.returncode == 0, proc.stderr
    assert "log1p(x) * y" in proc.stdout
    assert "my-log1p" in proc.stdout  # the report's rule table


def test_to_numpy_writes_importable_source(workdir):
    proc = cli(workdir, "optimize", "log(1 + exp(x)) * y - x * y / x", "--to", "numpy",
               "-o", "gen_np.py")
    assert proc.returncode == 0, proc.stderr
    mod = _import(workdir / "gen_np.py", "gen_np")
    x, y = np.linspace(-40.0, 40.0, 8), np.linspace(0.5, 2.0, 8)  # no 0: x*y/x
    want = np.logaddexp(0.0, x) * y - x * y / x
    np.testing.assert_allclose(mod.optimized(x, y), want, rtol=1e-12)


def test_to_jax_prints_source_with_dash(workdir):
    proc = cli(workdir, "optimize", "exp(x) - 1", "--to", "jax", "-o", "-")
    assert proc.returncode == 0, proc.stderr
    assert "jnp.expm1(x)" in proc.stdout
    assert "def optimized(x):" in proc.stdout
    assert "before" not in proc.stdout  # the report went to stderr
    compile(proc.stdout, "<jax source>", "exec")  # valid Python
    jax = pytest.importorskip("jax")
    path = workdir / "gen_jax.py"
    path.write_text(proc.stdout)
    mod = _import(path, "gen_jax")
    got = np.asarray(jax.jit(mod.optimized)(np.float32(1e-4)))
    np.testing.assert_allclose(got, np.expm1(np.float32(1e-4)), rtol=1e-6)


def test_to_pytensor_writes_a_compilable_module(workdir):
    proc = cli(workdir, "optimize", "log(1 + x) * y", "--to", "pytensor", "-o", "gen_pt.py")
    assert proc.returncode == 0, proc.stderr
    compile((workdir / "gen_pt.py").read_text(), "gen_pt.py", "exec")
    pytest.importorskip("pytensor")
    mod = _import(workdir / "gen_pt.py", "gen_pt")
    fn = mod.compile_function()
    np.testing.assert_allclose(fn(np.float64(1e-10), np.float64(3.0)), 3e-10, rtol=1e-9)


def test_fpcore_round_trip_keeps_name_and_pre(workdir):
    proc = cli(workdir, "optimize", "f.fpcore", "--to", "fpcore", "-o", "out.fpcore")
    assert proc.returncode == 0, proc.stderr
    text = (workdir / "out.fpcore").read_text()
    assert ':name "sqrt diff"' in text
    assert ":pre (and (<= 1 x) (<= x 1e15))" in text
    from eqsat_tensor.interop.fpcore import from_fpcore

    graph, info = from_fpcore(text)
    assert info.name == "sqrt diff" and info.precondition == {"x": (1.0, 1e15)}
    assert "sqrt(x + 1) - sqrt(x)" not in str(graph)  # the accurate form was written


def test_select_one_fpcore_of_several(workdir):
    proc = cli(workdir, "optimize", "two.fpcore", "--select", "b", "--to", "fpcore", "-o", "-")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == '(FPCore (y) :name "b" (expm1 y))'


def test_to_json_output(workdir):
    proc = cli(workdir, "optimize", "x * 1 + 0", "-o", "out.json")
    assert proc.returncode == 0, proc.stderr
    assert eqsat_tensor.load(workdir / "out.json").input_names == ("x",)
    assert json.loads((workdir / "out.json").read_text())["format"] == "eqsat-tensor-graph"


def test_bench_and_profile_quick_from_outside_the_repo(workdir):
    proc = cli(workdir, "bench", "--quick", "identities", "--peers", "numpy,eqsat",
               "--repeats", "1", "--json", "bench.json", timeout=400)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((workdir / "bench.json").read_text())
    assert [r["workload"] for r in report["results"]] == ["identities"]
    proc = cli(workdir, "profile", "identities", "--quick", "--backend", "numpy",
               "--repeats", "1", timeout=400)
    assert proc.returncode == 0, proc.stderr


# -- user mistakes: exit 2, one line ------------------------------------------------------


@pytest.mark.parametrize(("args", "needles"), [
    (("optimize", "missing.fpcore"), ("file not found", "missing.fpcore")),
    (("optimize", "missing.json"), ("file not found", "missing.json")),
    (("viz", "missing.json"), ("file not found", "missing.json")),
    (("optimize", "two.fpcore"), ("--select",)),
    (("optimize", "two.fpcore", "--select", "zz"), ("zz",)),
    (("accuracy", "missing.fpcore"), ("file not found", "missing.fpcore")),
    (("optimize", "x", "--shape", "3=n"), ("--shape",)),
    (("optimize", "x", "--iters", "abc"), ("--iters",)),
    (("optimize", "broken.json"), ("broken.json",)),
    (("optimize", "unknown_op.json"), ("frobnicate",)),
    (("optimize", "bad_shapes.json"), ("(3,)", "(4,)")),
    (("optimize", "not_a_graph.json"), ("not_a_graph.json",)),
    (("optimize", "--rules", "syntax.rules", "x"), ("syntax.rules:2:17:", "never closed")),
    (("check-rules", "syntax.rules"), ("syntax.rules:2:17:",)),
    (("check-rules", "missing.rules"), ("file not found", "missing.rules")),
    (("optimize", "x + 1", "--pre", "x in [2, 1]"), ("--pre",)),
    (("optimize", "x + 1", "--pre", "z in [0, 1]"), ("--pre", "z")),
    (("optimize", "log1p(x, y)"), ("log1p",)),
    (("optimize", "x +* 1"), ("<expression>:1:4:", "syntax error")),
    (("demo", "--rows", "0"), ("--rows",)),
    (("optimize", "frob(x) + 1"), ("unknown op", "frob")),
    (("optimize", "--rules", "bad.rules", "x"), ("bad.rules:2:", "frob")),
    (("optimize", "--rules", "no_such_rules", "x"), ("file not found", "no_such_rules")),
    (("optimize", "x + 1", "--pre", "x in [1"), ("--pre",)),
    (("accuracy", "sqrt(x + 1) - sqrt(x)", "--pre", "x in [a, b]"), ("--pre",)),
    (("optimize", "x", "--to", "cobol"), ("--to",)),
    (("optimize", "x", "--bogus"), ("--bogus",)),
    (("profile", "no_such_workload"), ("no_such_workload",)),
    (("bench", "--quick", "no_such_workload"), ("no_such_workload",)),
    (("nonsense-command",), ("nonsense-command",)),
])
def test_user_mistakes_are_one_line_and_exit_2(workdir, args, needles):
    assert_user_error(cli(workdir, *args), *needles)


def test_debug_shows_the_traceback(workdir):
    proc = cli(workdir, "--debug", "optimize", "missing.json")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "missing.json" in proc.stderr


def test_load_rules_missing_path_without_suffix_is_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="typo_rules"):
        eqsat_tensor.load_rules(str(tmp_path / "typo_rules"))
    with pytest.raises(FileNotFoundError, match="my_rules.txt"):
        eqsat_tensor.load_rules("my_rules.txt")
    assert len(eqsat_tensor.load_rules("rule r: x * 1 => x").rules) == 1


def test_bench_caption_groups_peers_skipped_everywhere():
    from eqsat_tensor.bench_runner import skipped_text

    report = {"settings": {"peers": ["numpy", "numexpr", "jax"]},
              "results": [{"workload": "a", "skipped": {"jax": "not installed",
                                                        "numexpr": "not installed"}},
                          {"workload": "b", "skipped": {"jax": "not installed",
                                                        "numexpr": "not expressible"}}]}
    assert skipped_text(report) == (" Skipped: jax: not installed; a/numexpr: not installed; "
                                    "b/numexpr: not expressible")
    assert skipped_text({"settings": {"peers": ["numpy"]},
                         "results": [{"workload": "a", "skipped": {}}]}) == ""


def test_check_rules_catches_a_wrong_rule_with_a_counterexample(workdir):
    proc = cli(workdir, "check-rules", "wrong.rules", timeout=400)
    assert proc.returncode == 1, proc.stderr
    assert "unsound wrong (wrong.rules:1)" in proc.stdout
    assert "x = " in proc.stdout and "y = " in proc.stdout  # the counterexample
    assert "samples 0" not in proc.stdout and "Traceback" not in proc.stderr
