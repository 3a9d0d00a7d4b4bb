"""The documentation must not rot: docs/guide.md's examples run, and relative links resolve.

Every ```python block of docs/guide.md is executed, in order, the blocks of one ``## `` section
sharing one fresh namespace, in an empty temporary working directory (``tempfile`` is pointed
into pytest's temporary directory too). Statements are compiled with the guide's own file name
and line numbers, so a failure's traceback points at the line of docs/guide.md.

Expected output written as comments is checked: a top-level ``print(...)`` with a trailing
comment, and any top-level statement directly followed by comment lines that start in column 0,
must print exactly that text (``# `` removed; several comment lines are several output lines).
Prose belongs above the statement, or after a blank line.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import tempfile
import tokenize
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide.md"
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")


@dataclass
class Block:
    line: int  # line of docs/guide.md holding the block's first line of code (1-based)
    code: str


@dataclass
class Section:
    title: str
    line: int
    blocks: list[Block] = field(default_factory=list)


def fenced_blocks(text: str, name: str = "docs/guide.md"):
    """(language, first code line (1-based), code) for every fenced block of a Markdown text."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(1), m.group(2).lower(), i + 1
        j = start
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        if j == len(lines):
            raise AssertionError(f"{name}:{i + 1}: a code block opened with {fence} is never closed")
        yield lang, start + 1, "\n".join(lines[start:j]) + "\n"
        i = j + 1


def guide_sections(text: str) -> list[Section]:
    """The guide's ``## `` sections with their python blocks (text before the first heading: section 0)."""
    sections = [Section("(before the first section)", 1)]
    in_fence = None
    for number, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if in_fence is None and m:
            in_fence = m.group(1)
        elif in_fence is not None and line.startswith(in_fence):
            in_fence = None
        elif in_fence is None and line.startswith("## "):
            sections.append(Section(line[3:].strip(), number))
    for lang, line, code in fenced_blocks(text):
        if lang in ("py", "python3", "pycon"):
            raise AssertionError(f"docs/guide.md:{line}: tag Python examples ```python so that they are run "
                                 f"(found ```{lang})")
        if lang == "python":
            owner = [s for s in sections if s.line < line][-1]
            owner.blocks.append(Block(line, code))
    return sections


def _comments(code: str) -> dict[int, tuple[int, str]]:
    """Line (1-based, within the block) -> (column, text after '#') of each comment token."""
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            text = tok.string[1:]
            out[tok.start[0]] = (tok.start[1], text[1:] if text.startswith(" ") else text)
    return out


def _is_print(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "print")


def expected_output(stmt: ast.stmt, code_lines: list[str], comments: dict) -> str | None:
    """The output the guide's comments promise for a top-level statement (None: nothing promised)."""
    expected = []
    end = stmt.end_lineno
    if _is_print(stmt) and end in comments and comments[end][0] > 0:
        expected.append(comments[end][1])
    k = end + 1
    while k <= len(code_lines) and k in comments and comments[k][0] == 0:
        expected.append(comments[k][1])
        k += 1
    return "\n".join(expected) if expected else None


def run_block(block: Block, namespace: dict, section: str) -> None:
    where = f"docs/guide.md, section {section!r}, python block starting at line {block.line}"
    try:
        tree = ast.parse(block.code, filename=str(GUIDE))
    except SyntaxError as e:
        pytest.fail(f"{where}: syntax error at line {block.line + (e.lineno or 1) - 1}: {e.msg}", pytrace=False)
    comments = _comments(block.code)
    code_lines = block.code.splitlines()
    for stmt in tree.body:
        expected = expected_output(stmt, code_lines, comments)
        line = block.line + stmt.lineno - 1
        module = ast.Module(body=[stmt], type_ignores=[])
        ast.increment_lineno(module, block.line - 1)  # line numbers of docs/guide.md in tracebacks
        compiled = compile(module, str(GUIDE), "exec")
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                exec(compiled, namespace)
        except Exception:  # noqa: BLE001 - any failure of an example is reported with its guide line
            pytest.fail(f"{where}: the statement at line {line} raised\n{traceback.format_exc()}", pytrace=False)
        printed = buffer.getvalue()
        print(printed, end="")  # still visible with pytest -s
        if expected is not None:
            got = "\n".join(s.rstrip() for s in printed.rstrip("\n").splitlines())
            want = "\n".join(s.rstrip() for s in expected.splitlines())
            if got != want:
                pytest.fail(f"{where}: the statement at line {line} printed\n{got}\nbut the comment below it "
                            f"says\n{want}", pytrace=False)


SECTIONS = [s for s in guide_sections(GUIDE.read_text(encoding="utf-8")) if s.blocks]


def test_guide_has_runnable_sections():
    titles = [s.title for s in SECTIONS]
    assert len(SECTIONS) >= 10, titles
    assert not any(s.title.startswith("(before") for s in SECTIONS), "python blocks before the first '## ' heading"


def _section_id(section: Section) -> str:
    return re.sub(r"[^a-z0-9]+", "-", section.title.lower()).strip("-")[:40]


@pytest.mark.parametrize("section", SECTIONS, ids=[_section_id(s) for s in SECTIONS])
def test_guide_section_runs(section, tmp_path, monkeypatch):
    workdir, tmpdir = tmp_path / "cwd", tmp_path / "tmp"
    workdir.mkdir()
    tmpdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))  # tempfile.mkdtemp() & co. land under tmp_path
    namespace = {"__name__": f"guide_section_{section.line}"}
    for block in section.blocks:
        run_block(block, namespace, section.title)
    assert not any(workdir.iterdir()), (
        f"docs/guide.md section {section.title!r} wrote {sorted(p.name for p in workdir.iterdir())} into the "
        "working directory; examples must write only under a tempfile directory")


# ------------------------------------------------------------------------------------------- links
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
MARKDOWN_FILES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


def relative_links(path: Path) -> list[tuple[int, str]]:
    """(line, target) of every relative link of a Markdown file, outside code blocks and code spans."""
    out, fence = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            continue
        if fence is not None:
            if line.startswith(fence):
                fence = None
            continue
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
                continue  # http:, https:, mailto:, ... and links within the page
            out.append((number, target))
    return out


def test_link_extraction(tmp_path):
    sample = "see [a](docs/a.md#x), ![img](pic.png), [web](https://x.org), [top](#top), `[no](code.md)`"
    page = tmp_path / "sample.md"
    page.write_text(sample + "\n```\n[no](block.md)\n```\n", encoding="utf-8")
    assert relative_links(page) == [(1, "docs/a.md#x"), (1, "pic.png")]


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=[p.name for p in MARKDOWN_FILES])
def test_relative_links_resolve(path):
    broken = []
    for line, target in relative_links(path):
        file_part = target.split("#", 1)[0]
        if file_part and not (path.parent / file_part).exists():
            broken.append(f"{path.relative_to(ROOT)}:{line}: {target}")
    assert not broken, "links to files that do not exist:\n" + "\n".join(broken)
