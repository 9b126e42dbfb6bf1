"""The Chinese edition: kept in step with the English one, built from it.

The Chinese book is the English book with its prose translated. Its
notebooks live in ``zh/`` (``zh/chapters/<part>/<name>.ipynb``, beside
``zh/chapters/index.md`` and the glossary) so that a reader can open one in
Jupyter or Colab; their code cells are the English ones, cell for cell
and id for id. Three jobs, one command each::

    python tools/zh.py sync    # code, tags, parameters: English -> zh
    python tools/zh.py status  # what is untranslated or stale, per page
    python tools/zh.py stamp zh/chapters/.../x.ipynb   # after translating
    python tools/zh.py build   # _build/html/zh, after the English build

* ``sync`` rewrites every zh notebook's code cells, their tags and
  metadata and the notebook's metadata from the English notebook, keeping
  the Chinese markdown and the Chinese figure captions and alt texts. A
  cell the English gained is copied in English (so ``status`` lists it);
  a cell it lost is dropped.
* A translated cell records which English text it translates:
  ``metadata.zh.en`` is a hash of the English markdown (or of a figure's
  caption and alt text). ``stamp`` sets it for every cell of a notebook
  once its translator has brought it up to date; when the English text
  changes later, the hash no longer matches and the cell is *stale*.
* ``build`` makes the Chinese HTML without running any notebook again:
  each zh notebook gets the outputs the English build stored in its
  execution cache (``_build/.jupyter_cache``: the code is the same, so the
  outputs are), the words in its figures are translated (SVG text, from
  ``zh/figure-text.json``), and Jupyter Book renders the result with
  ``zh/_config.yml`` into ``_build/html/zh``.

``tests/test_zh.py`` fails on any drift of code, tags or parameters, on
any untranslated or stale text, and on Chinese terms that differ from the
glossary's.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "zh"
sys.path.insert(0, str(ROOT / "tests"))
from notebook_tools import chapter_notebooks, toc_docnames  # noqa: E402

HAN = re.compile(r"[\u4e00-\u9fff]")
# What a code cell may differ in between the editions: its caption and
# alt text (translated) and the translation stamp.
TRANSLATED_KEYS = (("mystnb", "figure", "caption"), ("mystnb", "image", "alt"))


def zh_path(en: Path) -> Path:
    """``chapters/x/y.ipynb`` -> ``zh/chapters/x/y.ipynb``."""
    return ZH / Path(en).resolve().relative_to(ROOT)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _get(meta: dict, keys: tuple):
    for key in keys:
        if not isinstance(meta, dict) or key not in meta:
            return None
        meta = meta[key]
    return meta


def _set(meta: dict, keys: tuple, value) -> None:
    for key in keys[:-1]:
        meta = meta.setdefault(key, {})
    meta[keys[-1]] = value


def translatable(cell) -> str | None:
    """The English text of a cell that a translator translates: a
    markdown cell's source, a figure cell's caption and alt text."""
    if cell.cell_type == "markdown":
        return cell.source
    parts = [_get(cell.metadata, k) for k in TRANSLATED_KEYS]
    return "\n".join(p for p in parts if p) or None


def code_view(cell) -> dict:
    """What must be equal in both editions: a code cell without the
    translated metadata."""
    meta = copy.deepcopy(dict(cell.metadata))
    meta.pop("zh", None)
    for keys in TRANSLATED_KEYS:
        parent = _get(meta, keys[:-1])
        if isinstance(parent, dict):
            parent.pop(keys[-1], None)
    for key in ("figure", "image"):
        if _get(meta, ("mystnb", key)) == {}:
            meta["mystnb"].pop(key)
    if meta.get("mystnb") == {}:
        meta.pop("mystnb")
    return {"source": cell.source, "metadata": meta}


# -- sync ---------------------------------------------------------------------
def sync_one(en: Path) -> bool:
    """Bring ``zh_path(en)`` in step with ``en``; return True if changed."""
    en_nb = nbformat.read(en, as_version=4)
    target = zh_path(en)
    old = nbformat.read(target, as_version=4) if target.is_file() else None
    by_id = {c.id: c for c in old.cells} if old else {}
    cells = []
    for cell in en_nb.cells:
        mine = by_id.get(cell.id)
        new = copy.deepcopy(cell)
        if mine is not None and mine.cell_type == cell.cell_type:
            if cell.cell_type == "markdown":
                new = copy.deepcopy(mine)
            elif cell.cell_type == "code":
                for keys in TRANSLATED_KEYS:
                    value = _get(mine.metadata, keys)
                    if value is not None and _get(new.metadata, keys):
                        _set(new.metadata, keys, value)
                if "zh" in mine.metadata:
                    new.metadata["zh"] = mine.metadata["zh"]
        cells.append(new)
    nb = copy.deepcopy(en_nb)
    nb.cells = cells
    if old is not None and "zh" in old.metadata:
        nb.metadata["zh"] = old.metadata["zh"]
    text = nbformat.writes(nb) + "\n"
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return True


def stamp(path: Path) -> None:
    """Record that every translatable cell of ``path`` translates the
    current English text."""
    en = ROOT / Path(path).resolve().relative_to(ZH)
    en_cells = {c.id: c for c in nbformat.read(en, as_version=4).cells}
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        english = translatable(en_cells[cell.id])
        if english is not None:
            cell.metadata["zh"] = {"en": digest(english)}
    nbformat.write(nb, path)


# -- status -------------------------------------------------------------------
def problems(en: Path) -> list[str]:
    """What keeps the zh notebook of ``en`` from being the same book in
    Chinese: drift of code, tags or metadata; untranslated or stale text."""
    target = zh_path(en)
    if not target.is_file():
        return [f"{target.relative_to(ROOT)} missing: run tools/zh.py sync"]
    en_nb = nbformat.read(en, as_version=4)
    zh_nb = nbformat.read(target, as_version=4)
    name = target.relative_to(ROOT)
    out = []
    en_meta = {k: v for k, v in en_nb.metadata.items() if k != "zh"}
    zh_meta = {k: v for k, v in zh_nb.metadata.items() if k != "zh"}
    if en_meta != zh_meta:
        out.append(f"{name}: notebook metadata differs from the English")
    en_ids = [(c.id, c.cell_type) for c in en_nb.cells]
    zh_ids = [(c.id, c.cell_type) for c in zh_nb.cells]
    if en_ids != zh_ids:
        return out + [f"{name}: cells differ from the English: run sync"]
    for i, (e, z) in enumerate(zip(en_nb.cells, zh_nb.cells)):
        if e.cell_type == "code" and code_view(e) != code_view(z):
            out.append(f"{name} cell {i}: code, tags or metadata drifted")
        english = translatable(e)
        if english is None:
            continue
        if _get(z.metadata, ("zh", "en")) != digest(english):
            state = "stale" if "zh" in z.metadata else "untranslated"
            out.append(f"{name} cell {i}: {state}")
    return out


# -- build --------------------------------------------------------------------
def figure_words(zh_nb) -> dict[str, str]:
    """English -> Chinese for the words in a notebook's figures: the book's
    shared ``zh/figure-text.json``, then the notebook's own
    ``metadata.zh.figure_text`` (axis labels, legends, titles, and a
    slider's whole alt text)."""
    words = json.loads((ZH / "figure-text.json").read_text("utf-8"))
    words.update(zh_nb.metadata.get("zh", {}).get("figure_text", {}))
    return words


_SVG_TEXT = re.compile(r"(<text\b[^>]*>)([^<]*)(</text>)")
# Words a figure may keep in any language: names and maths.
NAMES = {
    "ReLU",
    "tanh",
    "sin",
    "sigmoid",
    "softmax",
    "log",
    "exp",
    "max",
    "min",
    "SGD",
    "Adam",
    "He",
    "Xavier",
    "PyTorch",
    "MSE",
    "GELU",
    "Leaky",
    "LeakyReLU",
}


def untranslated_words(svg: str) -> list[str]:
    """The SVG texts that still hold an English word (three letters or
    more that is not a name)."""
    left = []
    for m in _SVG_TEXT.finditer(svg):
        text = html.unescape(m.group(2)).strip()
        words = re.findall(r"[A-Za-z]{3,}", text)
        if any(w not in NAMES for w in words) and not HAN.search(text):
            left.append(text)
    return left


def translate_text(text: str, words: dict[str, str]) -> str:
    """``words[text]``; a key with ``{}`` fields matches any text in its
    place, carried over: ``"p = {}: test {}"`` -> ``"p = {}：测试 {}"``."""
    if text in words:
        return words[text]
    for key, value in words.items():
        if "{}" in key:
            pattern = "(.+?)".join(map(re.escape, key.split("{}")))
            m = re.fullmatch(pattern, text)
            if m and value.count("{}") == len(m.groups()):
                return value.format(*m.groups())
    return text


def translate_svg(svg: str, words: dict[str, str]) -> str:
    """Translate every SVG ``<text>`` whose whole text ``words`` knows."""

    def swap(m):
        text = html.unescape(m.group(2)).strip()
        new = translate_text(text, words)
        if new != text:
            return m.group(1) + html.escape(new) + m.group(3)
        return m.group(0)

    return _SVG_TEXT.sub(swap, svg)


_URI = "data:image/svg+xml;base64,"


def _translate_uri(uri: str, words: dict[str, str]) -> str:
    if not uri.startswith(_URI):
        return uri
    svg = base64.b64decode(uri[len(_URI) :]).decode("utf-8")
    data = translate_svg(svg, words).encode("utf-8")
    return _URI + base64.b64encode(data).decode("ascii")


_ALT = re.compile(r"^(.*), for (.+) = (.+)$", re.S)


def translate_alt(alt: str, words: dict[str, str]) -> str:
    """A slider frame's alt text, "<what>, for λ = 3" -> "<what>（λ = 3）"."""
    m = _ALT.match(alt)
    if not m:
        return translate_text(alt, words)
    what = translate_text(m.group(1), words)
    return f"{what}（{m.group(2)} = {m.group(3)}）"


_SLIDER_DATA = re.compile(
    r'(<script type="application/json" class="d2l-slider-data">)(.*?)'
    r"(</script>)",
    re.S,
)


def translate_slider(page: str, words: dict[str, str]) -> str:
    """A static slider's frames, alt texts and shown image, in Chinese."""

    def swap(m):
        data = json.loads(m.group(2))
        data["frames"] = [_translate_uri(f, words) for f in data["frames"]]
        data["alts"] = [translate_alt(a, words) for a in data["alts"]]
        text = json.dumps(data, ensure_ascii=False)
        for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(ch, esc)
        return m.group(1) + text + m.group(3)

    page = _SLIDER_DATA.sub(swap, page)
    page = re.sub(
        r'(<img class="d2l-slider-img" src=")([^"]*)(" alt=")([^"]*)(")',
        lambda m: (
            m.group(1)
            + _translate_uri(m.group(2), words)
            + m.group(3)
            + html.escape(translate_alt(html.unescape(m.group(4)), words))
            + m.group(5)
        ),
        page,
    )
    return page


def with_outputs(en: Path, cache) -> nbformat.NotebookNode:
    """The zh notebook of ``en`` with the English build's outputs."""
    en_nb = nbformat.read(en, as_version=4)
    try:
        _, merged = cache.merge_match_into_notebook(en_nb)
    except KeyError as err:
        raise SystemExit(
            f"{en.relative_to(ROOT)} has no executed copy in the build "
            "cache: build the English book first (make book)"
        ) from err
    zh_nb = nbformat.read(zh_path(en), as_version=4)
    words = figure_words(zh_nb)
    for e, z in zip(merged.cells, zh_nb.cells):
        if z.cell_type != "code":
            continue
        if e.source != z.source:
            raise SystemExit(
                f"{zh_path(en).relative_to(ROOT)}: code differs from the "
                "English notebook: run tools/zh.py sync"
            )
        z.outputs = copy.deepcopy(e.outputs)
        z.execution_count = e.get("execution_count")
        for out in z.outputs:
            data = out.get("data", {})
            if "image/svg+xml" in data:
                data["image/svg+xml"] = translate_svg(
                    data["image/svg+xml"], words
                )
            if "text/html" in data and "d2l-slider" in data["text/html"]:
                data["text/html"] = translate_slider(data["text/html"], words)
    return zh_nb


def stage(build: Path) -> Path:
    """Write the zh book's sources, with outputs, under ``build/zh-src``."""
    from jupyter_cache import get_cache

    cache = get_cache(build / ".jupyter_cache")
    src = build / "zh-src"
    shutil.rmtree(src, ignore_errors=True)
    for doc in toc_docnames():
        en = ROOT / f"{doc}.ipynb"
        target = src / f"{doc}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        if en.is_file():
            nbformat.write(with_outputs(en, cache), target)
        else:
            shutil.copy(ZH / f"{doc}.md", src / f"{doc}.md")
    (src / "_toc.yml").write_text(
        yaml.safe_dump(zh_toc(), allow_unicode=True, sort_keys=False), "utf-8"
    )
    config = yaml.safe_load((ROOT / "_config.yml").read_text("utf-8"))
    _merge(config, yaml.safe_load((ZH / "_config.yml").read_text("utf-8")))
    config["sphinx"]["local_extensions"] = {"d2lbook": str(ROOT / "_ext")}
    words = src / "jieba-dict.txt"
    words.write_text(
        "".join(f"{term} 1000 n\n" for term in glossary_terms()), "utf-8"
    )
    config["sphinx"]["config"]["html_search_options"] = {"dict": str(words)}
    (src / "_config.yml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return src


def zh_toc() -> dict:
    """``_toc.yml`` with its part captions in Chinese (``zh/parts.json``)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text("utf-8"))
    names = json.loads((ZH / "parts.json").read_text("utf-8"))
    for part in toc.get("parts", []):
        if part["caption"] not in names:
            raise ValueError(
                f"the part {part['caption']!r} of _toc.yml has no Chinese "
                "name: add it to zh/parts.json"
            )
        part["caption"] = names[part["caption"]]
    return toc


def _merge(base: dict, override: dict) -> None:
    """``override`` into ``base``, key by key (nested dicts merged)."""
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def glossary_terms() -> list[str]:
    """Every Chinese term of the zh glossary (alternatives split on /)."""
    text = (ZH / "chapters" / "appendix" / "glossary.md").read_text("utf-8")
    terms = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and HAN.search(cells[1]):
            for term in re.split(r"[/／、，,；;（）()]", cells[1]):
                if HAN.search(term):
                    terms.append(term.strip())
    return sorted(set(terms))


def build(build_dir: Path = ROOT / "_build") -> int:
    """Build the zh HTML into ``build_dir/html/zh``; return an exit code."""
    src = stage(build_dir)
    jb = Path(sys.executable).with_name("jupyter-book")
    status = subprocess.call(
        [str(jb), "build", str(src), "--warningiserror", "--keep-going"]
    )
    if status:
        return status
    out = build_dir / "html" / "zh"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src / "_build" / "html", out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync", help="code, tags, parameters: English -> zh")
    sub.add_parser("status", help="untranslated or stale cells, per page")
    st = sub.add_parser("stamp", help="mark a translated notebook current")
    st.add_argument("notebooks", nargs="+", type=Path)
    sub.add_parser("build", help="the zh HTML, after the English build")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for en in chapter_notebooks():
            if sync_one(en):
                print(f"updated {zh_path(en).relative_to(ROOT)}")
        return 0
    if args.command == "stamp":
        for path in args.notebooks:
            stamp(path)
        return 0
    if args.command == "build":
        return build()
    found = [p for en in chapter_notebooks() for p in problems(en)]
    print("\n".join(found) or "every zh notebook is in step and translated")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
