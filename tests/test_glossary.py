"""Every term the text introduces with its Chinese name is in the glossary.

The book sets a key term in bold with its Chinese name in brackets at first
use, "**weight decay** (权重衰减)"; the appendix glossary must list it. The
match ignores case, line breaks, maths markup, hyphens and a plural "s";
a glossary entry "a (b)" stands for both a and b.
"""

from __future__ import annotations

import json
import re

import pytest
from notebook_tools import ROOT, chapter_notebooks

GLOSSARY = ROOT / "chapters" / "appendix" / "glossary.md"
PAGES = chapter_notebooks() + [ROOT / "chapters" / "index.md"]
HAN = re.compile(r"[\u4e00-\u9fff]")
TERM = re.compile(r"\*\*([^*]+)\*\*\s*\(([^)]*)\)")


def normalize(term: str) -> str:
    term = term.replace("$", "").replace("\\ell_", "ℓ").replace("-", " ")
    term = " ".join(term.lower().split())
    return term[:-1] if term.endswith("s") and len(term) > 3 else term


def glossary_terms() -> dict[str, str]:
    terms = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not HAN.search(cells[1]):
            continue
        english = cells[0]
        variants = [re.sub(r"\s*\(.*\)", "", english)]
        variants += re.findall(r"\(([^)]*)\)", english)
        for v in variants:
            terms[normalize(v)] = cells[1]
    return terms


def page_text(path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join(
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "markdown"
    )


def introduced_terms():
    for path in PAGES:
        for m in TERM.finditer(page_text(path)):
            if HAN.search(m.group(2)):
                yield path.name, m.group(1), m.group(2)


def test_glossary_has_entries():
    assert len(glossary_terms()) > 50


@pytest.mark.parametrize(
    "page, term, chinese",
    list(introduced_terms()),
    ids=lambda x: " ".join(str(x).split())[:40],
)
def test_term_is_in_glossary(page, term, chinese):
    terms = glossary_terms()
    assert normalize(term) in terms, (
        f"{page}: **{' '.join(term.split())}** ({chinese}) is not in "
        "chapters/appendix/glossary.md: add a row to its chapter's table"
    )

    def bare(text):  # "$\\ell_2$ 范数" and "ℓ2范数" are the same term
        return re.sub(r"[\s$]", "", text.replace("\\ell_", "ℓ"))

    names = terms[normalize(term)].split(" / ")  # the field's other names
    assert any(bare(name) in bare(chinese) for name in names), (
        f"{page}: **{' '.join(term.split())}** ({chinese}), but the glossary "
        f"says {' / '.join(names)}: use the glossary's term or change it there"
    )
