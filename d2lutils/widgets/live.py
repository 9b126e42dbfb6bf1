"""Widget mode: a live ipywidgets slider that redraws on release.

In Jupyter or Colab the kernel is there to draw, so only the default value
is drawn up front; releasing the slider draws the new value once (a value
seen before reuses its PNG) and shows it in an ``Output`` below.
"""

from __future__ import annotations

from typing import Callable

from .figure import png_base64, render_png
from .markup import ticks_html
from .mode import MODE_ENV_VAR
from .record import SliderRecord

__all__ = ["build_widget"]


def build_widget(record: SliderRecord, draw: Callable, name: str) -> None:
    """Fill ``record.widget`` (the box to display) and ``record.control``."""
    try:
        import ipywidgets as widgets
    except ImportError as err:
        raise ImportError(
            "widget mode needs ipywidgets: `pip install ipywidgets`, or set "
            f"{MODE_ENV_VAR}=static to precompute every value instead"
        ) from err
    control = widgets.SelectionSlider(
        options=list(zip(record.labels, range(len(record.values)))),
        value=record.default_index,
        description=name,
        continuous_update=False,
        readout=True,
        layout=widgets.Layout(width="28em"),
    )
    # The track's position inside the widget depends on the frontend, so
    # the values are listed rather than lined up under it.
    ticks = widgets.HTML(ticks_html(record.labels, spread=False))
    out = widgets.Output()

    def show(index: int) -> None:
        if index not in record.pngs:
            value = record.values[index]
            try:
                record.pngs[index] = render_png(
                    draw, value, record.labels[index], name
                )
            except Exception as err:
                out.outputs = (
                    {
                        "output_type": "stream",
                        "name": "stderr",
                        "text": f"{type(err).__name__}: {err}\n",
                    },
                )
                raise
        out.outputs = (
            {
                "output_type": "display_data",
                "data": {
                    "image/png": png_base64(record.pngs[index]),
                    "text/plain": f"<figure for {name} = "
                    f"{record.labels[index]}>",
                },
                "metadata": {},
            },
        )

    show(record.default_index)
    control.observe(lambda change: show(change["new"]), names="value")
    record.control = control
    record.widget = widgets.VBox([control, ticks, out])
