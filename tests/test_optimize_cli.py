"""``eqsat-tensor optimize``: expressions, JSON files, rule files, interop errors."""

from __future__ import annotations

import json

import pytest

from eqsat_tensor.cli import main
from eqsat_tensor.commands.optimize import expression_graph


def test_expression(capsys):
    assert main(["optimize", "log(1 + exp(x)) * y", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "softplus(x) * y" in out and "rules fired" in out and "explain" in out


def test_expression_graph_shapes_and_no_eval():
    g = expression_graph("sum(exp(a), axis=1) + b", {"a": ("n", 3), "b": ("n",)})
    assert g.input_names == ("a", "b")
    assert g.outputs[0].shape == ("n",)
    with pytest.raises(Exception, match="unknown op|__import__"):
        expression_graph("__import__('os').system('true')", {})


def test_json_in_and_out(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["optimize", "log(1 + x) - x * 0", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["format"]
    out2 = tmp_path / "out2.json"
    assert main(["optimize", str(out), "-o", str(out2)]) == 0
    from eqsat_tensor.frontend.json_io import load

    assert str(load(out2)) == "log1p(x)"


def test_rule_file_option(tmp_path, capsys):
    rules = tmp_path / "mine.rules"
    rules.write_text("rule twice: x + x => 2 * x\n")
    assert main(["optimize", "a + a", "--rules", str(rules)]) == 0
    assert "2 * a" in capsys.readouterr().out


def test_fpcore_precondition_turns_on_the_accuracy_optimizer(tmp_path, capsys):
    """An FPCore's :pre is the sampling range: by default such a source is optimized for
    accuracy (candidates measured against mpmath), and the conjugate form is chosen."""
    src = tmp_path / "conj.fpcore"
    src.write_text('(FPCore (x) :pre (<= 1 x 1e15) (- (sqrt (+ x 1)) (sqrt x)))')
    assert main(["optimize", "--from", "fpcore", str(src), "--to", "fpcore"]) == 0
    captured = capsys.readouterr()  # the FPCore on stdout, the report on stderr
    assert "objective" in captured.err and "accuracy" in captured.err
    assert captured.out.strip() == ("(FPCore (x) :pre (<= 1 x 1e15) "
                                    "(/ 1 (+ (sqrt (+ x 1)) (sqrt x))))")
    assert main(["optimize", "--from", "fpcore", str(src), "--to", "fpcore",
                 "--objective", "speed"]) == 0
    assert "(- (sqrt (+ x 1)) (sqrt x))" in capsys.readouterr().out.strip().splitlines()[-1]
