"""``eqsat-tensor demo`` runs end to end (tiny sizes): graphs, honest backends, before/after."""

from __future__ import annotations

import importlib.util

from eqsat_tensor.cli import main
from eqsat_tensor.commands.demo import backend_status


def test_demo_runs_and_prints_graphs(capsys, tmp_path):
    path = tmp_path / "model.json"
    rc = main(["demo", "--rows", "200", "--features", "3", "--size", "500", "--repeat", "1",
               "--backend", "numpy", "--save-json", str(path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "X @ W @ v" in out  # the traced model
    assert "X @ (W @ v)" in out  # reassociated by the optimizer
    assert "sigmoid" in out and "numpy (reference)" in out and "ran on: numpy" in out
    assert "not run:" in out and "numba" in out.split("not run:")[1]  # --backend numpy
    import eqsat_tensor as et

    assert et.load(path).input_names == ("X", "W", "v", "y")


def test_backend_list_is_what_is_installed():
    status = {name: (ok, note) for name, ok, note in backend_status()}
    assert status["numpy"][0]
    dask_installed = importlib.util.find_spec("dask") is not None
    assert status["dask"][0] == dask_installed
    assert ("not installed" in status["dask"][1]) == (not dask_installed)
    cuda_installed = importlib.util.find_spec("numba_cuda") is not None
    assert ("not installed" in status["cuda"][1]) == (not cuda_installed)


def test_demo_rejects_bad_sizes(capsys):
    assert main(["demo", "--rows", "0"]) == 2
    assert "--rows must be at least 1" in capsys.readouterr().err


def test_demo_names_missing_backends_with_their_extra(capsys, monkeypatch):
    import eqsat_tensor.commands.demo as demo

    real = demo.backend_status()
    fake = [row if row[0] != "dask" else ("dask", False, "not installed (pip install "
                                          "'eqsat-tensor[dask]')") for row in real]
    monkeypatch.setattr(demo, "backend_status", lambda: fake)
    assert main(["demo", "--rows", "50", "--features", "2", "--size", "50", "--repeat", "1",
                 "--backend", "numpy"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "pip install 'eqsat-tensor[dask]'" in out
