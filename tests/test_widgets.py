"""d2lutils.widgets: ``slider`` in its three modes, its errors, its files.

The static slider's script (``_ext/static/d2lbook.js``) runs in the
browser test (``tests/test_browser.py``), on the built book, and the
widget mode in a live JupyterLab (``tests/test_jupyterlab.py``); here the
Python side.
"""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

import IPython.display
import matplotlib.pyplot as plt
import pytest

import d2lutils as d2l
from d2lutils import widgets

SVG_URI = "data:image/svg+xml;base64,"
VALUES = [0, 0.5, 1, 2, 3]


class Drawer:
    """A draw(value) function that records every value it is called with."""

    def __init__(self, fail_on=None):
        self.calls = []
        self.fail_on = fail_on

    def __call__(self, value):
        self.calls.append(value)
        if value == self.fail_on:
            raise ZeroDivisionError("boom")
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1], [0, value])
        ax.set_ylim(-1, 4)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        return fig


@pytest.fixture
def drawer():
    return Drawer()


@pytest.fixture
def shown(monkeypatch):
    """Everything slider() passes to IPython's display()."""
    objs = []
    monkeypatch.setattr(IPython.display, "display", objs.append)
    return objs


@pytest.fixture
def set_mode(monkeypatch):
    def set_(mode):
        monkeypatch.setenv(widgets.MODE_ENV_VAR, mode)

    return set_


class Dom(HTMLParser):
    """Collect tags (with attributes and text) from an HTML string."""

    def __init__(self, text):
        super().__init__()
        self.tags = []  # [tag, attrs, text]
        self.stack = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        node = [tag, dict(attrs), ""]
        self.tags.append(node)
        if tag not in ("input", "img"):
            self.stack.append(node)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for node in self.stack:
            node[2] += data

    def by_class(self, cls):
        return [t for t in self.tags if cls in t[1].get("class", "").split()]


# -- choosing the mode -------------------------------------------------------


@pytest.mark.parametrize("mode", ["static", "widget", "script", " Static "])
def test_mode_from_env(set_mode, mode):
    set_mode(mode)
    assert widgets.slider_mode() == mode.strip().lower()


@pytest.mark.parametrize("mode", ["", "auto"])
def test_auto_mode_is_script_outside_a_kernel(set_mode, mode):
    set_mode(mode)
    assert widgets.slider_mode() == "script"


def test_auto_mode_is_widget_in_a_kernel(set_mode, monkeypatch):
    set_mode("auto")
    monkeypatch.setattr(widgets, "in_notebook", lambda: True)
    assert widgets.slider_mode() == "widget"


def test_auto_mode_without_ipywidgets_is_script(set_mode, monkeypatch):
    set_mode("auto")
    monkeypatch.setattr(widgets, "in_notebook", lambda: True)
    monkeypatch.setattr(widgets, "_has_ipywidgets", lambda: False)
    assert widgets.slider_mode() == "script"


def test_unknown_mode_in_env_names_the_allowed_modes(set_mode, drawer):
    set_mode("frozen")
    with pytest.raises(ValueError, match="'frozen'.*static, widget, script"):
        d2l.slider(drawer, VALUES)
    assert drawer.calls == []


def test_mode_argument_overrides_env(set_mode):
    set_mode("static")
    assert widgets.slider_mode("script") == "script"


# -- static mode --------------------------------------------------------------


@pytest.fixture
def static(set_mode, drawer, shown):
    set_mode("static")
    record = d2l.slider(drawer, VALUES, default=2, label="λ")
    return record, Dom(record.html)


def test_static_draws_every_value_once(static, drawer):
    record, _ = static
    assert drawer.calls == VALUES
    assert sorted(record.frames) == list(range(len(VALUES)))


def test_static_displays_one_html_output(static, shown):
    record, _ = static
    assert len(shown) == 1
    assert isinstance(shown[0], IPython.display.HTML)
    assert shown[0].data == record.html


def test_static_closes_every_figure(static):
    assert plt.get_fignums() == []


def test_static_dom_contract(static):
    record, dom = static
    (root,) = dom.by_class("d2l-slider")
    assert root[0] == "div"
    assert root[1]["data-default-index"] == "3"
    (inp,) = dom.by_class("d2l-slider-input")
    assert inp[0] == "input"
    assert inp[1]["type"] == "range"
    assert inp[1]["aria-valuetext"] == "λ = 2"  # the value, not position 3
    assert (inp[1]["min"], inp[1]["max"], inp[1]["step"]) == ("0", "4", "1")
    assert inp[1]["value"] == "3"
    (value,) = dom.by_class("d2l-slider-value")
    assert value[2] == "2"
    (label,) = dom.by_class("d2l-slider-label")
    assert label[2].startswith("λ = ")
    (ticks,) = dom.by_class("d2l-slider-ticks")
    assert ticks[2] == "00.5123"  # the five labels, one span each
    spans = [t for t in dom.tags if t[0] == "span" and not t[1]]
    assert [s[2] for s in spans] == ["0", "0.5", "1", "2", "3"]


def _svg(uri):
    assert uri.startswith(SVG_URI), uri[:40]
    return base64.b64decode(uri[len(SVG_URI) :]).decode("utf-8")


def test_static_has_one_svg_frame_per_value(static):
    record, dom = static
    (data,) = dom.by_class("d2l-slider-data")
    payload = json.loads(data[2])
    frames = [_svg(f) for f in payload["frames"]]
    assert len(frames) == len(VALUES)
    assert all("<svg" in f and "<text" in f for f in frames)  # text kept
    assert len(set(frames)) == len(VALUES)  # each value draws differently
    assert frames == [record.frames[i][0] for i in range(len(VALUES))]
    assert payload["labels"] == ["0", "0.5", "1", "2", "3"]
    assert payload["name"] == "λ"


def test_static_image_shows_the_default_frame(static):
    record, dom = static
    (img,) = dom.by_class("d2l-slider-img")
    assert _svg(img[1]["src"]) == record.frames[3][0]
    assert img[1]["alt"] == "y against x, for λ = 2"


def test_static_alt_text_from_the_caller(set_mode, drawer, shown):
    set_mode("static")
    record = d2l.slider(drawer, [1, 2], label="p", alt="A rising line")
    alts = json.loads(Dom(record.html).by_class("d2l-slider-data")[0][2])
    assert alts["alts"] == [
        "A rising line, for p = 1",
        "A rising line, for p = 2",
    ]


def test_static_svg_is_repeatable(set_mode, drawer, shown):
    """No date in the SVG: building the book twice gives the same HTML."""
    set_mode("static")
    a = d2l.slider(drawer, [1, 2]).frames[0][0]
    b = d2l.slider(drawer, [1, 2]).frames[0][0]
    assert a == b and "<dc:date>" not in a


def test_static_is_self_contained(static):
    record, dom = static
    for _tag, attrs, _ in dom.tags:
        assert "href" not in attrs
        if "src" in attrs:
            assert attrs["src"].startswith(SVG_URI)
        assert "style" not in attrs  # the book's stylesheet lays it out
    scripts = [t for t in dom.tags if t[0] == "script"]
    assert [s[1]["type"] for s in scripts] == ["application/json"]  # no code


def test_two_static_sliders_get_different_ids(set_mode, drawer, shown):
    set_mode("static")
    a = d2l.slider(drawer, [1, 2])
    b = d2l.slider(drawer, [1, 2])
    ids = [Dom(r.html).by_class("d2l-slider")[0][1]["id"] for r in (a, b)]
    assert ids[0] != ids[1]


def test_static_escapes_labels(set_mode, shown):
    set_mode("static")
    record = d2l.slider(
        Drawer(), [1, 2], label="<b>", fmt=lambda v: f"</script>{v}"
    )
    assert "<b>" not in record.html
    assert record.html.count("</script>") == 1  # only the real one
    payload = json.loads(Dom(record.html).by_class("d2l-slider-data")[0][2])
    assert payload["labels"] == ["</script>1", "</script>2"]


# -- widget mode --------------------------------------------------------------


@pytest.fixture
def widget(set_mode, drawer, shown):
    set_mode("widget")
    return d2l.slider(drawer, VALUES, default=2, label="λ")


def _shown_svg(record):
    (out,) = [
        c for c in record.widget.children if type(c).__name__ == "Output"
    ]
    (item,) = out.outputs
    assert item["data"]["text/plain"].endswith(
        "for λ = " + record.labels[record.control.value]
    )
    return item["data"]["image/svg+xml"]


def test_widget_draws_only_the_default_up_front(widget, drawer, shown):
    assert drawer.calls == [2]
    assert shown == [widget.widget]
    assert _shown_svg(widget) == widget.frames[3][0]
    assert plt.get_fignums() == []


def test_widget_control_shows_values_and_updates_on_release(widget):
    control = widget.control
    assert type(control).__name__ == "SelectionSlider"
    assert control.continuous_update is False
    assert control.readout is True
    assert control.description == "λ"
    assert control.label == "2"
    assert list(control.options) == [
        ("0", 0),
        ("0.5", 1),
        ("1", 2),
        ("2", 3),
        ("3", 4),
    ]
    ticks = [c for c in widget.widget.children if type(c).__name__ == "HTML"]
    assert "d2l-slider-ticks" in ticks[0].value
    assert "<span>0.5</span>" in ticks[0].value


def test_widget_redraws_new_values_and_caches(widget, drawer):
    widget.control.value = 1
    assert drawer.calls == [2, 0.5]
    assert _shown_svg(widget) == widget.frames[1][0]
    widget.control.value = 4
    assert drawer.calls == [2, 0.5, 3]
    widget.control.value = 1  # revisit: cached, not redrawn
    widget.control.value = 3
    assert drawer.calls == [2, 0.5, 3]
    assert _shown_svg(widget) == widget.frames[3][0]
    assert plt.get_fignums() == []


def test_widget_prints_nothing(set_mode, drawer, shown, capsys):
    set_mode("widget")
    record = d2l.slider(drawer, VALUES)
    record.control.value = 2
    assert capsys.readouterr() == ("", "")


def test_widget_names_a_failing_value(set_mode, shown):
    set_mode("widget")
    record = d2l.slider(Drawer(fail_on=3), VALUES, label="λ")
    with pytest.raises(widgets.SliderError, match="λ = 3") as info:
        record.control.value = 4
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    (out,) = [
        c for c in record.widget.children if type(c).__name__ == "Output"
    ]
    assert "λ = 3" in out.outputs[0]["text"]
    assert plt.get_fignums() == []


# -- script mode --------------------------------------------------------------


def test_script_draws_the_default_once_and_keeps_it(
    set_mode, drawer, shown, capsys
):
    set_mode("script")
    record = d2l.slider(drawer, VALUES, default=3)
    assert drawer.calls == [3]
    assert record.mode == "script"
    assert record.figure.number in plt.get_fignums()  # left for plt.show()
    assert shown == []
    assert capsys.readouterr() == ("", "")


def test_script_accepts_an_axes(set_mode):
    set_mode("script")

    def draw(value):
        _, ax = plt.subplots()
        ax.set_title(str(value))
        return ax

    record = d2l.slider(draw, [1, 2])
    assert record.figure.axes[0].get_title() == "1"


def test_default_none_is_the_first_value(set_mode, drawer):
    set_mode("script")
    record = d2l.slider(drawer, VALUES)
    assert record.default_index == 0 and drawer.calls == [0]


def test_fmt_spec_and_repr(set_mode, drawer):
    set_mode("script")
    record = d2l.slider(drawer, [0.25, 1.0], fmt=".2f", default=1.0)
    assert record.labels == ("0.25", "1.00")
    assert repr(record) == (
        "SliderRecord(mode='script', 2 values, default 1.00, 0 drawn)"
    )


# -- errors -------------------------------------------------------------------


@pytest.mark.parametrize("mode", widgets.SLIDER_MODES)
def test_empty_values(mode, drawer):
    with pytest.raises(ValueError, match="values is empty"):
        d2l.slider(drawer, [], mode=mode)


@pytest.mark.parametrize("mode", widgets.SLIDER_MODES)
def test_default_not_in_values(mode, drawer):
    with pytest.raises(ValueError, match=r"default 7 is not one of"):
        d2l.slider(drawer, VALUES, default=7, mode=mode)
    assert drawer.calls == []


@pytest.mark.parametrize("mode", widgets.SLIDER_MODES)
def test_draw_failure_names_the_value(mode, shown):
    with pytest.raises(
        widgets.SliderError, match=r"draw\(1\) failed.*λ = 1"
    ) as e:
        d2l.slider(
            Drawer(fail_on=1), [0, 1, 2], label="λ", default=1, mode=mode
        )
    assert isinstance(e.value.__cause__, ZeroDivisionError)
    assert e.value.value == 1
    assert plt.get_fignums() == []


def test_static_failure_on_a_later_value_closes_figures(shown):
    with pytest.raises(widgets.SliderError, match="value = 2"):
        d2l.slider(Drawer(fail_on=2), [0, 1, 2], mode="static")
    assert plt.get_fignums() == [] and shown == []


@pytest.mark.parametrize("draw", [None, 3, "plot"])
def test_draw_must_be_callable(draw):
    with pytest.raises(TypeError, match="draw must be a function"):
        d2l.slider(draw, VALUES, mode="script")


@pytest.mark.parametrize("mode", widgets.SLIDER_MODES)
def test_draw_must_return_a_figure(mode, shown):
    def draw(value):
        plt.subplots()

    with pytest.raises(TypeError, match=r"returned NoneType.*Figure"):
        d2l.slider(draw, [1, 2], mode=mode)
    assert plt.get_fignums() == []


def test_values_must_not_be_a_string(drawer):
    with pytest.raises(TypeError, match="not a string"):
        d2l.slider(drawer, "abc", mode="script")


def test_values_that_look_the_same_are_rejected(drawer):
    with pytest.raises(ValueError, match="both show as '0.1'"):
        d2l.slider(drawer, [0.1, 0.12], fmt=".1f", mode="script")


def test_bad_fmt(drawer):
    with pytest.raises(TypeError, match="fmt must be"):
        d2l.slider(drawer, VALUES, fmt=3, mode="script")


def test_static_html_checks_its_input():
    with pytest.raises(ValueError, match="one label and one alt text"):
        widgets.static_html(["x"], ["a", "b"], ["A"], 0)
    with pytest.raises(ValueError, match="default_index 2 not in"):
        widgets.static_html(["x"], ["a"], ["A"], 2)


# -- in a real kernel ---------------------------------------------------------

KERNEL_CELL = """\
import matplotlib.pyplot as plt
import d2lutils as d2l

def draw(a):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, a])
    return fig

s = d2l.slider(draw, [0, 1, 2], default=1, label="a")"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "mode, mime",
    [
        ("static", "text/html"),
        ("auto", "application/vnd.jupyter.widget-view+json"),
    ],
)
def test_in_a_kernel_shows_exactly_one_output(monkeypatch, mode, mime):
    """As under nbval and the book build: one output, no stray figure."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv(widgets.MODE_ENV_VAR, mode)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(KERNEL_CELL),
        nbformat.v4.new_code_cell("print(s.mode, len(s.frames))"),
    ]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (out,) = nb.cells[0].outputs
    assert out["output_type"] == "display_data"
    assert mime in out["data"]
    expected = "static 3" if mode == "static" else "widget 1"
    assert nb.cells[1].outputs[0]["text"].strip() == expected


def test_static_html_is_repeatable_and_ids_distinct():
    """Same input, same HTML up to the counter; no two sliders share ids."""
    a = widgets.static_html(["x", "y"], ["0", "1"], ["X", "Y"], 0, "λ")
    b = widgets.static_html(["x", "y"], ["0", "1"], ["X", "Y"], 0, "λ")
    id_a = Dom(a).by_class("d2l-slider")[0][1]["id"]
    id_b = Dom(b).by_class("d2l-slider")[0][1]["id"]
    assert id_a != id_b
    assert id_a.rsplit("-", 1)[0] == id_b.rsplit("-", 1)[0]
    assert a.replace(id_a, "ID") == b.replace(id_b, "ID")
    # the label points at this slider's own input
    (label,) = Dom(a).by_class("d2l-slider-label")
    (inp,) = Dom(a).by_class("d2l-slider-input")
    assert label[1]["for"] == inp[1]["id"] and inp[1]["id"].startswith(id_a)
