"""What every figure is drawn with: a canvas of its own (never pyplot, so concurrent
requests share no state), the palette, the house style of its axes, and rendering."""

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# SVG text stays text (crisp at any size, in the page's sans-serif); ids and metadata do not
# change between renderings of the same figure.
matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "car-t-registry"})

# The page's text and rule colours (static/css/registry.css), for axes and labels.
TEXT, MUTED, LINE = "#1c2430", "#5a6473", "#d6dbe2"
# Every colour that tells data apart comes from the Okabe–Ito palette (with its grey, as in
# the R Graphics Cookbook), readable with any common colour-vision deficiency; each group
# also has its own marker shape or line style, so that no figure relies on colour alone.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
# Yellow is left out of lines and bars: too pale on white.
GROUP_COLOURS = tuple(
    OKABE_ITO[name]
    for name in ("blue", "orange", "bluish_green", "reddish_purple", "sky_blue", "vermillion")
)
GROUP_LINE_STYLES = ("solid", "dashed", "dashdot", "dotted", (0, (5, 1, 1, 1)), (0, (1, 3)))
RESPONSE_COLOURS = {
    True: OKABE_ITO["blue"],
    False: OKABE_ITO["vermillion"],
    None: OKABE_ITO["grey"],
}
RESPONSE_MARKERS = {True: "o", False: "s", None: "^"}
# The swimmer plot's bars, told apart without colour too.
RESPONSE_HATCHES = {True: "", False: "////", None: "...."}
RESPONSE_NAMES = {True: "CR/CRi at day 30", False: "No response", None: "Not assessed"}
PNG_DPI = 200


class NothingToDraw(Exception):
    """The selection has nothing this figure could show; the message says why."""


def render(figure: Figure, image_format: str, caption: str = "") -> bytes:
    """The figure as PNG or SVG bytes, with the caption under it."""
    if caption:
        # A downloaded figure says which data it shows, away from the page that said it.
        figure.supxlabel(caption, fontsize=8, color=MUTED)
    content = io.BytesIO()
    metadata = {"Date": None} if image_format == "svg" else {}
    figure.savefig(content, format=image_format, dpi=PNG_DPI, metadata=metadata)
    return content.getvalue()


def new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def style_axes(axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.spines[["left", "bottom"]].set_color(LINE)
    axes.tick_params(colors=MUTED, labelcolor=TEXT, labelsize=10)
    axes.grid(axis="y", color=LINE, linewidth=0.6, alpha=0.7)
    axes.set_axisbelow(True)


def refuse(problem: str | None) -> None:
    if problem:
        raise NothingToDraw(problem)


def floats(values: Sequence) -> np.ndarray:
    return np.array([np.nan if value is None else value for value in values], dtype=float)
