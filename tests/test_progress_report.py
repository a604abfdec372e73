"""Progress display (``et.progress``, ``optimize(progress=True)``) and the report a person
reads (``print(report)``, ``report.to_html()``, ``explain()``)."""

from __future__ import annotations

import io
import re
import shutil

import numpy as np
import pytest
from rich.console import Console

import eqsat_tensor as et
from eqsat_tensor.progress import active, saturation_step, task

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _terminal() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=True, width=160), buf


def _text(buf: io.StringIO) -> str:
    return ANSI.sub("", buf.getvalue())


def test_hooks_do_nothing_without_a_display():
    assert not active()
    saturation_step(1, 30, 100, {"r": 2})  # no display: no error, no output
    with task("anything", total=3) as t:
        t.step()
    assert t.completed == 1


def test_optimize_progress_shows_saturation_and_extraction():
    console, buf = _terminal()
    x = et.tensor("x", shape=("n",))
    y = et.tensor("y", shape=("n",))
    with et.progress(console=console, delay=0.0):
        assert active()
        res = et.optimize(et.log(1 + et.exp(x)) * y - x * y / x)
    assert not active()
    out = _text(buf)
    assert "saturating" in out and "e-nodes" in out and "top rule" in out
    assert "extracting" in out
    assert "softplus" in str(res.graph)


def test_progress_flag_on_optimize_gives_the_same_graph():
    x = et.tensor("x", shape=("n",))
    g = et.exp(x) * 2.0 / et.exp(x)
    assert str(et.optimize(g, progress=True).graph) == str(et.optimize(g).graph)


def test_numba_compilation_is_reported_kernel_by_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("EQSAT_TENSOR_CACHE_DIR", str(tmp_path))
    x = et.tensor("x", shape=("n",))
    g = et.Graph((et.tanh(x) * et.sum(et.exp(x) * 1.25)).node)  # two kernels
    fn = et.compile(g, backend="numba", disk_cache=False)
    console, buf = _terminal()
    with et.progress(console=console, delay=0.0):
        fn(np.linspace(-1.0, 1.0, 50))
    out = _text(buf)
    assert "numba: compiling kernel" in out
    assert re.search(r"\b[12]/2\b", out), out[-500:]


def test_no_display_when_not_a_terminal():
    buf = io.StringIO()
    x = et.tensor("x")
    with et.progress(console=Console(file=buf, force_terminal=False), delay=0.0):
        et.optimize(et.log(1 + x))
    assert buf.getvalue() == ""


def _result():
    x = et.tensor("x", shape=("n",))
    y = et.tensor("y", shape=("n",))
    return et.optimize(et.log(1 + et.exp(x)) * y - x * y / x)


def test_printed_report_is_a_table_with_rules_sizes_phases_and_stop_reason():
    res = _result()
    rep = res.report
    text = str(rep)
    for label in ("graph nodes", "e-nodes/iter", "phases", "cost", "iterations", "time"):
        assert label in text
    assert f"(stop: {rep.stop_reason})" in text
    assert len(rep.egraph_sizes) == rep.iterations + 1
    assert " -> ".join(f"{n:,}" for n in rep.egraph_sizes) in text
    # the rules table: one row per fired rule with its count, most matches first
    rows = re.findall(r"^(\S+)\s+(\d+)$", text, re.M)
    assert dict((r, int(c)) for r, c in rows) == rep.rules_fired
    assert [int(c) for _, c in rows] == sorted(rep.rules_fired.values(), reverse=True)
    assert "softplus" in rep.rules_fired


def test_explain_names_the_rules():
    res = _result()
    text = str(res.explain())
    assert "softplus" in text and text.strip().endswith(str(res.graph).splitlines()[-1])


def test_html_report_has_tables_graphs_and_pictures_when_dot_exists():
    res = _result()
    page = res.report.to_html()
    assert page == res.report._repr_html_()
    assert page.startswith('<div class="eqsat-report">') and page.endswith("</div>")
    for rule, count in res.report.rules_fired.items():
        assert f"<td>{rule}</td><td>{count}</td>" in page
    assert "softplus(x)" in page  # the graph after, escaped text
    assert ("<svg" in page) == (shutil.which("dot") is not None)
    assert "<svg" not in res.report.to_html(pictures=False)


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' missing")
def test_html_pictures_show_both_graphs():
    html = _result().report.pictures_svg()
    assert html is not None and html.count("<svg") == 2
    assert "<figcaption>before</figcaption>" in html and "<figcaption>after</figcaption>" in html
    assert "softplus" in html.split("<figcaption>after</figcaption>")[1]
