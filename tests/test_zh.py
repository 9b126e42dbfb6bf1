"""The Chinese edition (``zh/``) is the English book with its prose translated.

* every zh notebook has the English notebook's cells, ids, code, tags,
  parameters and notebook metadata (``tools/zh.py sync`` keeps them so);
* every markdown cell, figure caption and alt text is translated from the
  English text as it is now (``tools/zh.py stamp`` records which text; an
  English edit makes the cell stale);
* no paragraph, heading, list item, table cell, caption or alt text of the
  zh edition is still English (maths, code and names excepted);
* the zh text uses the glossary's Chinese term wherever the English text
  introduces the term, and the zh glossary has the English glossary's
  pairs.

The checks themselves are tested on small notebooks made here: a drifted
line of code, a changed tag, a stale or an untranslated cell each fail.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_tools import ROOT, chapter_notebooks, english_left

sys.path.insert(0, str(ROOT / "tools"))
import zh  # noqa: E402

NOTEBOOKS = chapter_notebooks()
IDS = [str(p.relative_to(ROOT / "chapters")) for p in NOTEBOOKS]
HAN = re.compile(r"[\u4e00-\u9fff]")


def zh_notebook(en: Path):
    path = zh.zh_path(en)
    if not path.is_file():
        pytest.fail(f"{path} missing: run `python tools/zh.py sync`")
    return nbformat.read(path, as_version=4)


# -- the real edition ---------------------------------------------------------
@pytest.mark.parametrize("en", NOTEBOOKS, ids=IDS)
def test_in_step_and_translated(en):
    """Same code, tags, parameters; every text translated and current."""
    found = zh.problems(en)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("en", NOTEBOOKS, ids=IDS)
def test_no_english_prose(en):
    nb = zh_notebook(en)
    left = []
    for i, cell in enumerate(nb.cells):
        texts = []
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        else:
            texts += [
                zh._get(cell.metadata, k) or "" for k in zh.TRANSLATED_KEYS
            ]
        for text in texts:
            left += [f"cell {i}: {piece}" for piece in english_left(text)]
    assert not left, "English left in the zh text:\n" + "\n".join(left)


@pytest.mark.parametrize("page", ["index.md"])
def test_no_english_prose_in_pages(page):
    text = (zh.ZH / "chapters" / page).read_text("utf-8")
    left = english_left(text)
    assert not left, "English left in the zh text:\n" + "\n".join(left)


def _glossary(path: Path) -> set[tuple[str, str]]:
    pairs = set()
    for line in path.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and HAN.search(cells[1]):
            pairs.add((cells[0], cells[1]))
    return pairs


def test_zh_glossary_has_the_english_pairs():
    en = _glossary(ROOT / "chapters" / "appendix" / "glossary.md")
    mine = _glossary(zh.ZH / "chapters" / "appendix" / "glossary.md")
    assert en, "the English glossary has no term table"
    assert mine == en, (
        f"only in English: {sorted(en - mine)[:5]}; only in zh: "
        f"{sorted(mine - en)[:5]}"
    )


TERM = re.compile(r"\*\*([^*]+)\*\*\s*\(([^)]*[\u4e00-\u9fff][^)]*)\)")


@pytest.mark.parametrize("en", NOTEBOOKS, ids=IDS)
def test_terms_as_in_the_glossary(en):
    """Where the English introduces "**term** (中文)", the zh text uses
    that Chinese term (the glossary's, which test_glossary.py checks)."""
    english = "\n".join(
        c.source
        for c in nbformat.read(en, as_version=4).cells
        if c.cell_type == "markdown"
    )
    chinese = "\n".join(
        c.source for c in zh_notebook(en).cells if c.cell_type == "markdown"
    )
    missing = []
    for m in TERM.finditer(english):
        for term in re.split(r"[，,、/；;]", m.group(2)):
            term = term.strip()
            if HAN.search(term) and term not in chinese:
                missing.append(f"{m.group(1)} -> {term}")
    assert not missing, f"glossary terms the zh text does not use: {missing}"


# -- the checks, on small notebooks -------------------------------------------
@pytest.fixture
def book(tmp_path, monkeypatch):
    """A one-notebook book: chapters/a.ipynb, its zh twin translated."""
    monkeypatch.setattr(zh, "ROOT", tmp_path)
    monkeypatch.setattr(zh, "ZH", tmp_path / "zh")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "P"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A title\n\nSome English prose."),
        nbformat.v4.new_code_cell(
            "seed = 0", metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(
            "plot(seed)",
            metadata={"mystnb": {"figure": {"caption": "A line."}}},
        ),
    ]
    en = tmp_path / "chapters" / "a.ipynb"
    en.parent.mkdir()
    nbformat.write(nb, en)
    zh.sync_one(en)
    twin = nbformat.read(zh.zh_path(en), as_version=4)
    twin.cells[0].source = "# 标题\n\n一些中文。"
    twin.cells[2].metadata["mystnb"]["figure"]["caption"] = "一条直线。"
    nbformat.write(twin, zh.zh_path(en))
    zh.stamp(zh.zh_path(en))
    return en


def _edit(path: Path, change) -> None:
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def test_check_passes_a_translated_twin(book):
    assert zh.problems(book) == []
    assert english_left("# 标题\n\n一些中文，含 $x^2$ 和 `code`。") == []


@pytest.mark.parametrize(
    "change, found",
    [
        (lambda nb: setattr(nb.cells[2], "source", "plot(seed + 1)"), "drift"),
        (lambda nb: nb.cells[1].metadata["tags"].append("x"), "drift"),
        (lambda nb: setattr(nb.cells[1], "source", "seed = 1"), "drift"),
        (lambda nb: nb.metadata.update(x=1), "notebook metadata"),
        (lambda nb: nb.cells.pop(), "cells differ"),
    ],
    ids=["code", "tag", "parameter", "metadata", "cell"],
)
def test_check_finds_drift(book, change, found):
    _edit(zh.zh_path(book), change)
    assert any(found in p for p in zh.problems(book)), zh.problems(book)


def test_an_english_edit_makes_the_twin_stale(book):
    _edit(book, lambda nb: setattr(nb.cells[0], "source", "# A new title"))
    assert zh.problems(book) == ["zh/chapters/a.ipynb cell 0: stale"]


def test_sync_keeps_translations_and_takes_new_code(book):
    _edit(book, lambda nb: setattr(nb.cells[2], "source", "plot(2)"))
    assert zh.sync_one(book)
    twin = nbformat.read(zh.zh_path(book), as_version=4)
    assert twin.cells[2].source == "plot(2)"
    assert twin.cells[0].source.startswith("# 标题")
    assert (
        twin.cells[2].metadata["mystnb"]["figure"]["caption"] == "一条直线。"
    )
    assert zh.problems(book) == []


def test_a_new_english_cell_arrives_untranslated(book):
    _edit(
        book, lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell("Hi"))
    )
    zh.sync_one(book)
    assert zh.problems(book) == ["zh/chapters/a.ipynb cell 3: untranslated"]


@pytest.mark.parametrize(
    "text",
    [
        "The weights shrink.",
        "## Exercises",
        "| weight | decay |",
        "- a list item",
    ],
)
def test_english_prose_is_found(text):
    assert english_left(f"一段中文。\n\n{text}\n") != []


def test_figure_words_are_swapped():
    svg = '<svg><text x="1">epoch</text><text x="2">0.5</text></svg>'
    out = zh.translate_svg(svg, {"epoch": "轮次"})
    assert ">轮次<" in out and ">0.5<" in out
    assert zh.untranslated_words(svg) == ["epoch"]
    assert zh.untranslated_words(out) == []
    assert (
        zh.translate_alt(
            "loss against epoch, for λ = 3",
            {"loss against epoch": "损失随轮次的变化"},
        )
        == "损失随轮次的变化（λ = 3）"
    )


def test_figure_text_file_is_a_map():
    words = json.loads((zh.ZH / "figure-text.json").read_text("utf-8"))
    assert all(isinstance(k, str) and HAN.search(v) for k, v in words.items())


def test_part_captions_in_chinese():
    """The sidebar's part headings: every caption of _toc.yml translated."""
    captions = [part["caption"] for part in zh.zh_toc()["parts"]]
    assert captions and all(HAN.search(c) for c in captions), captions
