"""Pictures: files exist and contain both graphs; the CLI; notebook display."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

import eqsat_tensor as et
from eqsat_tensor import viz
from eqsat_tensor.cli import main

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' missing")


def _graphs():
    x, y = et.tensor("x", shape=("n",)), et.tensor("y", shape=("n",))
    before = et.as_graph(et.log(1 + et.exp(x)) * y - x * y / x + et.sum(x * y))
    after = et.as_graph(et.softplus(x) * y - y + et.sum(x * y))
    return before, after


def test_write_svg_and_png_with_both_graphs(tmp_path):
    before, after = _graphs()
    svg = viz.write(before, after, str(tmp_path / "g.svg"), dims={"n": 100})
    png = viz.write(before, after, str(tmp_path / "g.png"))
    text = open(svg, encoding="utf-8").read()
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    assert "before: 12 nodes" in text and "after: 8 nodes" in text
    assert "cluster_before" in text and "cluster_after" in text
    assert ">softplus<" in text and ">log<" in text  # a node of each graph
    assert "cost " in text or "est " in text
    with open(png, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_annotations_kernels_and_times():
    before, after = _graphs()
    kernels = viz.estimated_kernels(after)
    softplus = next(n for n in after.nodes() if n.op == "softplus")
    total = next(n for n in after.nodes() if n.op == "sum")
    assert kernels[softplus.uid] != kernels[total.uid]
    costs = viz.node_costs(after, {"n": 10})
    mul = next(n for n in after.nodes() if n.op == "mul")
    assert costs[softplus.uid] > costs[mul.uid] > 0  # a transcendental over a product
    dot = viz.comparison_dot(before, after, times_after={softplus.uid: 2e-3})
    assert "t 2 ms" in dot and "measured 2 ms" in dot


def test_show_displays_inline():
    before, after = _graphs()
    picture = viz.show(before, after)
    svg = picture._repr_svg_()
    assert "<svg" in svg and "before" in svg and "after" in svg


def test_cli_viz(tmp_path, capsys):
    out_svg, out_png = tmp_path / "e.svg", tmp_path / "e.png"
    code = main(["viz", "log(1 + exp(x)) * y - x*y/x", "-o", str(out_svg), "-o", str(out_png)])
    assert code == 0
    text = out_svg.read_text()
    assert "before" in text and ">exp<" in text
    if importlib.util.find_spec("eqsat_tensor.optimizer") is not None:
        assert "after" in text
    assert out_png.stat().st_size > 100
    fp = tmp_path / "one.fpcore"
    fp.write_text("(FPCore (x) :name \"t\" (- (sqrt (+ x 1)) (sqrt x)))")
    assert main(["viz", str(fp), "-o", str(tmp_path / "f.svg"), "--no-optimize"]) == 0
    assert ">sqrt<" in (tmp_path / "f.svg").read_text()
    assert main(["viz", "sum(exp(v))", "--shape", "v=n", "-o", str(tmp_path / "s.dot"),
                 "--no-optimize"]) == 0
    assert "cluster_before" in (tmp_path / "s.dot").read_text()


def test_cli_viz_picks_one_benchmark_of_a_file(tmp_path):
    import pathlib

    data = pathlib.Path(__file__).parent / "data" / "fpbench" / "benchmarks.fpcore"
    out = tmp_path / "b.svg"
    assert main(["viz", str(data), "--select", "3", "-o", str(out), "--no-optimize"]) == 0
    assert "cluster_before" in out.read_text()
