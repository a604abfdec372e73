"""Every ```python block of README.md and docs/*.md runs, in order, in a fresh interpreter.

The blocks of one file are one program (later blocks use names from earlier ones), run in
a temporary directory. A block fenced ```text, ```bash or ```python skip (a block that
would need a GPU, a cluster or minutes) is not run; a ```text file=NAME block is written
to NAME first (a rule file the code reads). A failure names the file and the line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import eqsat_tensor

ROOT = Path(__file__).resolve().parent.parent
PKG_PARENT = str(Path(eqsat_tensor.__file__).resolve().parent.parent)
FENCE = re.compile(r"^```(.*)$")
# Blocks that need a package or program that may be missing: skip the file when absent.
NEEDS = {"dask": "dask", "jax": "jax", "pytensor": "pytensor", "sympy": "sympy",
         "numba_cuda": "numba_cuda", "pymc": "pymc"}


def files_of(path: Path) -> dict[str, str]:
    """Files the blocks read, shown in the text as ```text file=NAME blocks."""
    return {name: code + "\n" for name, code in _blocks(path, "text", file=True)}


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """``(first line number, code)`` of each runnable python block in a Markdown file."""
    return [(int(line), code) for line, code in _blocks(path, "python")]


def _blocks(path: Path, lang: str, file: bool = False) -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        info = m.group(1).strip().split()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if info[:1] != [lang]:
            continue
        if file:
            names = [a[5:] for a in info[1:] if a.startswith("file=")]
            if names:
                blocks.append((names[0], "\n".join(body)))
        elif "skip" not in info[1:]:
            blocks.append((str(start + 1), "\n".join(body)))
    return blocks


def program(path: Path, blocks: list[tuple[int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The blocks as one script, and (script line, markdown line) of each block's start."""
    out: list[str] = []
    starts: list[tuple[int, int]] = []
    for md_line, code in blocks:
        out.append(f"# --- {path.name}:{md_line}")
        starts.append((len(out) + 1, md_line))
        out.extend(code.splitlines())
    return "\n".join(out) + "\n", starts


def _where(script_line: int, starts: list[tuple[int, int]]) -> int:
    md = starts[0][1]
    for s_line, m_line in starts:
        if s_line <= script_line:
            md = m_line + (script_line - s_line)
    return md


DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def test_block_parser_reads_fences(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("a\n```python\nx = 1\n```\n```text\nnot code\n```\n"
                  "```python skip\nraise SystemExit\n```\n```python\ny = x + 1\n```\n"
                  "```text file=my.rules\nrule a: x * 1 => x\n```\n")
    assert python_blocks(md) == [(3, "x = 1"), (12, "y = x + 1")]
    assert files_of(md) == {"my.rules": "rule a: x * 1 => x\n"}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_markdown_python_blocks_run_in_order(path, tmp_path):
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    source, starts = program(path, blocks)
    for needle, module in NEEDS.items():
        if re.search(rf"^\s*(import|from) {needle}\b", source, re.M):
            pytest.importorskip(module)
    for name, text in files_of(path).items():
        (tmp_path / name).write_text(text)
    script = tmp_path / f"{path.stem}_blocks.py"
    script.write_text(source)
    # the blocks run as a reader runs them: et.jit's defaults (conftest turns tiering off)
    env = {k: v for k, v in os.environ.items() if k != "EQSAT_TENSOR_TIERED"}
    # a private cache directory: a block such as et.calibrate() must not write into the
    # user's cache, where every later process (and test) would read it
    env.update(PYTHONPATH=PKG_PARENT, MPLBACKEND="Agg", XDG_CACHE_HOME=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        lines = [int(n) for n in re.findall(rf'File "{re.escape(str(script))}", line (\d+)',
                                            proc.stderr)]
        where = f"{path.name}:{_where(lines[-1], starts)}" if lines else path.name
        last = proc.stderr.strip().splitlines()[-1:] or ["?"]
        pytest.fail(f"{where}: {last[0]}\n{proc.stderr[-3000:]}")
