"""The dashboard's figures, drawn with matplotlib from an analysis frame or a report's dict.

Nothing here reads the ORM or computes a statistic: survival, incidence and grade counts
come from analytics.reports, so a figure shows exactly what the API returns; the swimmer
plot and the expansion curves draw the analysis dataset's own values.

Each figure has a `*_problem` function saying why it cannot be drawn (None when it can);
its drawing function raises NothingToDraw with that message, so the page can show the
message instead of an image without drawing anything. Figures are built as
matplotlib.figure.Figure on an Agg canvas, never through pyplot, so concurrent requests
share no state.

Its modules: ``drawing`` (the canvas, the palette, the house style, rendering), ``labels``
(covariates and values as a clinician names them), ``curves`` (Kaplan–Meier and cumulative
incidence), ``patients`` (one bar or line per patient: the swimmer plot and the CAR-T
expansion), ``grades`` (CRS and ICANS grades), ``labs`` (a laboratory value's median and
interquartile range by day).
"""

from analytics.figures.curves import (
    curve_times,
    incidence_figure,
    incidence_problem,
    km_figure,
    km_problem,
    month_ticks,
)
from analytics.figures.drawing import OKABE_ITO, NothingToDraw, render
from analytics.figures.grades import grades_figure, grades_problem
from analytics.figures.labels import (
    COVARIATE_LABELS,
    ENDPOINT_NAMES,
    format_p,
    group_name,
    value_label,
)
from analytics.figures.labs import lab_series_figure, lab_series_problem
from analytics.figures.patients import (
    NOT_DETECTED_AT,
    expansion_figure,
    expansion_problem,
    swimmer_figure,
    swimmer_problem,
)

__all__ = [
    "COVARIATE_LABELS",
    "ENDPOINT_NAMES",
    "NOT_DETECTED_AT",
    "OKABE_ITO",
    "NothingToDraw",
    "curve_times",
    "expansion_figure",
    "expansion_problem",
    "format_p",
    "grades_figure",
    "grades_problem",
    "group_name",
    "incidence_figure",
    "incidence_problem",
    "lab_series_figure",
    "lab_series_problem",
    "km_figure",
    "km_problem",
    "month_ticks",
    "render",
    "swimmer_figure",
    "swimmer_problem",
    "value_label",
]
