"""The long run's driver (eqsat_tensor.testing.longfuzz): chunks in fresh processes, counts
summed, failures and crashed chunks reported."""

from __future__ import annotations

from eqsat_tensor.testing import longfuzz


def test_chunks_run_in_fresh_processes_and_counts_add_up(capsys):
    rc = longfuzz.main(["--programs", "5", "--chunk", "3", "--jobs", "2", "--seed", "3",
                        "--backends", "numpy", "--batch", "3"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "chunk seed 3: 3 programs, 9 runs, 0 failures" in out
    assert "chunk seed 4: 2 programs, 6 runs, 0 failures" in out
    assert out.strip().endswith("longfuzz: 5 programs, 15 runs, 0 failures")


def test_a_chunk_that_does_not_finish_is_a_failure():
    res = longfuzz.run_chunk(seed=1, n=2, backends=("numpy",), batch=2, timeout=0.01)
    assert res["programs"] == 0 and len(res["failures"]) == 1
    assert "over 0.01 s" in res["failures"][0]
