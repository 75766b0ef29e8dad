"""Every example of README.md and docs/*.md is executed or checked.

* ```` ```python ```` blocks run, in document order, each in a fresh namespace as ``__main__``, all blocks of one
  document in one temporary directory (so a block may read a file an earlier one wrote). A block that
  is illustrative only carries ``<!-- not-run: why -->`` on the line before its fence; those are
  counted and listed (:func:`test_inventory`).
* Shell blocks (```` ```bash ````, ```` ```sh ````, ```` ```console ```` and unlabelled blocks that
  name a command): every ``slt-check …`` command is parsed by the CLI's own argparse parser (the
  subcommand, each flag and each choice must exist; nothing runs), every ``python path/to/script.py
  [--flags]`` must name a file of the checkout whose ``--help`` lists those flags. A shell block preceded
  by ``<!-- run -->`` is cheap and is executed too (its ``slt-check`` commands through
  :func:`slt_check.cli.main.main`, each expected to exit 0, in the document's temporary directory).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from slt_check.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
SKIP_DOCS = {  # temporary: remove an entry when its page is rewritten
}
SHELL = {"bash", "sh", "console", "shell", ""}
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.*?)\s*-->")
RUN = re.compile(r"<!--\s*run\s*-->")


@dataclass(frozen=True)
class Block:
    doc: str
    line: int  # line of the opening fence (1-based)
    lang: str
    code: str
    marker: str | None  # None, "run" or "not-run: <why>"

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks(text: str, doc: str) -> list[Block]:
    """The fenced blocks of a Markdown text, with the marker comment on the line before each fence."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```\s*([\w+-]*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1).lower()
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        prev = lines[start - 1].strip() if start > 0 else ""
        nr, run = NOT_RUN.fullmatch(prev), RUN.fullmatch(prev)
        marker = f"not-run: {nr.group(1)}" if nr else ("run" if run else None)
        out.append(Block(doc, start + 1, lang, "\n".join(lines[start + 1:j]) + "\n", marker))
        i = j + 1
    return out


def commands(code: str, strict: bool = True) -> list[list[str]]:
    """The simple commands of a shell block: continuation lines joined, ``$ `` prompts and comments
    dropped, split at ``&&``, ``||``, ``;`` and ``|``, leading ``VAR=value``, ``nice [-n N]`` removed,
    and optional ``[--flag]`` brackets opened. Not ``strict`` (an unlabelled block, which may hold a
    formula or a diagram): only lines that start with ``slt-check``, ``python`` or ``nice`` count."""
    text = re.sub(r"\\\n", " ", code)
    cmds: list[list[str]] = []
    for line in text.splitlines():
        line = re.sub(r"^\s*\$\s+", "", line)
        if not line.strip() or not (strict or re.match(r"\s*(slt-check|python3?|nice)\s", line)):
            continue
        lex = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lex.whitespace_split, lex.commenters = True, "#"
        cur: list[str] = []
        for tok in [*lex, ";"]:
            if tok in (";", "&&", "||", "|", "&"):
                while cur and (re.fullmatch(r"\w+=.*", cur[0]) or cur[0] == "nice"):
                    cur = cur[3:] if cur[0] == "nice" and cur[1:2] == ["-n"] else cur[1:]
                if cur:
                    cmds.append([t[1:-1] if re.fullmatch(r"\[--[\w-]+\]", t) else t for t in cur])
                cur = []
            else:
                cur.append(tok)
    return cmds


ALL = {doc: blocks((ROOT / doc).read_text(encoding="utf-8"), doc) for doc in DOCS}


def _skip(doc: str) -> None:
    if doc in SKIP_DOCS:
        pytest.skip(f"{doc}: {SKIP_DOCS[doc]}")


def _is_python(b: Block) -> bool:
    return b.lang in ("python", "py", "python3")


def _slt_commands(b: Block) -> list[list[str]]:
    return [c for c in commands(b.code, bool(b.lang)) if c[0] == "slt-check"] if b.lang in SHELL else []


def _scripts(b: Block) -> list[list[str]]:
    return [c[1:] for c in commands(b.code, bool(b.lang)) if b.lang in SHELL and c[0] in ("python", "python3")
            and len(c) > 1 and c[1].endswith(".py")]


@pytest.mark.parametrize("doc", DOCS)
def test_examples_run(doc: str, tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """The document's python blocks and its ``<!-- run -->`` shell blocks, in order, in one temp dir."""
    _skip(doc)
    monkeypatch.chdir(tmp_path)
    for b in ALL[doc]:
        if b.marker and b.marker.startswith("not-run"):
            continue
        if _is_python(b):
            try:
                exec(compile(b.code, str(b), "exec"), {"__name__": "__main__"})  # noqa: S102
            except Exception as exc:  # noqa: BLE001 - name the block
                pytest.fail(f"{b}: the python example fails: {type(exc).__name__}: {exc}")
        elif b.marker == "run":
            for argv in _slt_commands(b):
                code = main(argv[1:])
                assert code == 0, f"{b}: `{shlex.join(argv)}` exited {code}: {capsys.readouterr().err[-500:]}"


@pytest.mark.parametrize("doc", DOCS)
def test_cli_commands_parse(doc: str, capsys) -> None:  # noqa: ANN001
    """Every ``slt-check`` command of the document's shell blocks is accepted by the CLI's parser."""
    _skip(doc)
    for b in ALL[doc]:
        for argv in _slt_commands(b):
            try:
                build_parser().parse_args([a for a in argv[1:] if a != "--debug"])
            except SystemExit as exc:
                err = capsys.readouterr().err.strip().splitlines()
                assert exc.code == 0 and "--help" in argv, f"{b}: `{shlex.join(argv)}`: {err[-1:] or exc.code}"


def _script_calls() -> dict[str, set[str]]:
    """``script path → flags`` named by the shell blocks of every document not skipped."""
    calls: dict[str, set[str]] = {}
    for doc in DOCS:
        for b in ([] if doc in SKIP_DOCS else ALL[doc]):
            for args in _scripts(b):
                calls.setdefault(args[0], set()).update(
                    a.split("=", 1)[0] for a in args[1:] if a.startswith("--"))
    return calls


@pytest.mark.parametrize("script", sorted(_script_calls()))
def test_scripts_exist_with_their_flags(script: str) -> None:
    """``python <script> --flag`` in a document: the script exists and its ``--help`` lists the flag."""
    assert (ROOT / script).is_file(), f"{script}: named by the docs, not in the checkout"
    flags = _script_calls()[script]
    if not flags:
        return
    r = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{script} --help: {r.stderr[-300:]}"
    missing = sorted(f for f in flags if f not in r.stdout)
    assert not missing, f"{script}: the docs pass {missing}, which its --help does not list"


def test_inventory(capsys) -> None:  # noqa: ANN001
    """Counts the examples and lists the ones marked not-run (each must say why)."""
    counts = {"python run": 0, "python not-run": 0, "other not-run": 0, "shell run": 0, "slt-check parsed": 0, "skipped docs": 0}
    not_run = []
    for doc in DOCS:
        if doc in SKIP_DOCS:
            counts["skipped docs"] += 1
            continue
        for b in ALL[doc]:
            if b.marker and b.marker.startswith("not-run"):
                assert b.marker != "not-run: ", f"{b}: a not-run marker must say why"
                not_run.append(f"{b} ({b.lang or 'text'}): {b.marker[9:]}")
                counts["python not-run" if _is_python(b) else "other not-run"] += 1
                continue
            counts["python run"] += _is_python(b)
            counts["shell run"] += b.marker == "run"
            counts["slt-check parsed"] += len(_slt_commands(b))
    assert counts["python run"] >= 3 and counts["slt-check parsed"] >= 10  # the extraction finds them
    with capsys.disabled():
        print(f"\ndoc examples: {counts}; skipped: {SKIP_DOCS}")
        for line in not_run:
            print(f"  not-run {line}")


def test_extraction_finds_markers_and_commands() -> None:
    text = ("x\n```python\na = 1\n```\n<!-- not-run: needs a GPU -->\n```python\nb\n```\n<!-- run -->\n"
            "```bash\nFOO=1 nice -n 10 slt-check build --target random:2-1 \\\n  --out t.npz  # build\n"
            "$ slt-check check t.npz && python x.py [--quick] | tee log\n```\n")
    bs = blocks(text, "d.md")
    assert [(b.line, b.lang, b.marker) for b in bs] == [(2, "python", None), (6, "python", "not-run: needs a GPU"),
                                                         (10, "bash", "run")]
    assert commands(bs[2].code) == [["slt-check", "build", "--target", "random:2-1", "--out", "t.npz"],
                                    ["slt-check", "check", "t.npz"], ["python", "x.py", "--quick"], ["tee", "log"]]
