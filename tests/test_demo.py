"""``eqsat-tensor demo`` runs end to end (tiny sizes) and shows graphs and results."""

from __future__ import annotations

from eqsat_tensor.cli import main


def test_demo_runs_and_prints_graphs(capsys, tmp_path):
    path = tmp_path / "loss.json"
    rc = main(["demo", "--rows", "200", "--features", "3", "--size", "500", "--repeat", "1",
               "--save-json", str(path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "mean(log(1 + exp(-y * (X @ w))))" in out
    assert "t1 = exp(x)" in out and "reference backend" in out
    import eqsat_tensor as et

    assert et.load(path).input_names == ("X", "w", "y")
