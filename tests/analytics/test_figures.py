"""analytics.figures: the dashboard's figures, drawn from the published cohort's analysis
frame and reports (An et al., BMC Cancer 2022: Fig. 2 is the swimmer plot, Fig. 3 the
Kaplan–Meier curves)."""

import pytest
from matplotlib.colors import to_hex

from analytics import figures, reports, stats
from analytics.cohort import RESPONDERS, analysis_frame, in_population, is_true
from analytics.dataset import analysis_rows, car_t_counts, study_patients


@pytest.fixture
def frame(published):
    return analysis_frame(analysis_rows(study_patients(published)))


@pytest.fixture
def counts(published):
    return car_t_counts(study_patients(published))


def survival(frame, **chosen) -> dict:
    ticks = figures.month_ticks(frame["followup_months"].max())
    return reports.survival_report(frame, endpoint="efs", population="all", times=ticks, **chosen)


def at_risk_rows(figure) -> list[list[int]]:
    """The numbers of the table beneath the curves, row by row."""
    table = figure.axes[1]
    rows = sorted({text.get_position()[1] for text in table.texts})
    return [
        [int(text.get_text()) for text in table.texts if text.get_position()[1] == row]
        for row in rows
    ]


def test_it_puts_the_survival_report_s_numbers_at_risk_beneath_the_curves(frame):
    report = survival(frame, by="prior_allo_hct")
    figure = figures.km_figure(report)
    expected = [[point["at_risk"] for point in group["estimates"]] for group in report["groups"]]
    assert at_risk_rows(figure) == expected
    # The paper, Table 1: 10 patients after an allo-HCT and 9 without, all at risk at 0.
    assert [row[0] for row in expected] == [10, 9]
    table = figure.axes[1]
    assert list(table.get_xticks()) == [
        point["month"] for point in report["groups"][0]["estimates"]
    ]
    assert [label.get_text() for label in table.get_yticklabels()] == ["Yes", "No"]


def test_it_draws_each_group_s_curve_from_100_percent_with_its_band(frame):
    report = survival(frame, by="prior_allo_hct")
    plot = figures.km_figure(report).axes[0]
    curves = [line for line in plot.get_lines() if line.get_gid() != "censored"]
    assert len(curves) == 2
    # Among all patients a non-responder fails at month 0: the curve drops there from 100%.
    assert list(curves[0].get_ydata()[:2]) == [1.0, report["groups"][0]["curve"]["survival"][0]]
    assert len(plot.collections) == 2  # the 95% bands
    assert plot.get_legend().get_title().get_text() == "Prior allo-HCT"


def test_it_says_so_when_no_patient_has_an_event(frame):
    event_free = frame[~is_true(frame["efs_event"]) & is_true(frame["responder"])]
    report = survival(event_free)
    assert figures.km_problem(report) == "No patient in this selection has an event yet."
    with pytest.raises(figures.NothingToDraw):
        figures.km_figure(report)


def test_it_draws_one_bar_per_patient_with_their_events(frame):
    figure = figures.swimmer_figure(frame)
    plot = figure.axes[0]
    assert len(plot.patches) == 19
    assert [label.get_text() for label in plot.get_yticklabels()][-1] == "P04"  # the longest
    marks = {line.get_label(): len(line.get_xdata()) for line in plot.get_lines()}
    # The paper, Results "Follow-up" and Fig. 2: 14 transplanted after hCD19 CAR-T (11 in CR,
    # 3 non-responders); 5 relapses (3 in CR, 2 after a salvage transplant); 6 deaths (2 in
    # the CR group, 4 in the NR group).
    assert marks["Allo-HCT"] == int(is_true(frame["hct_after_infusion"]).sum()) == 14
    assert marks["Relapse"] == int(is_true(frame["relapse"]).sum()) == 5
    assert marks["Death"] == int(is_true(frame["death"]).sum()) == 6
    assert marks["Alive at last contact"] == 13


def test_it_draws_no_swimmer_plot_of_more_patients_than_it_can_show(frame, monkeypatch):
    monkeypatch.setattr(figures.patients, "MAX_PATIENTS_DRAWN", 18)
    assert "at most 18" in figures.swimmer_problem(frame)
    assert figures.swimmer_problem(frame.iloc[:0]) == (
        "No patient in this selection has been infused."
    )


def test_it_draws_one_expansion_curve_per_patient_on_a_log_axis(frame, counts):
    plot = figures.expansion_figure(frame, counts).axes[0]
    curves = [
        line for line in plot.get_lines() if len(line.get_xdata()) > 2 and line.get_gid() is None
    ]
    assert len(curves) == 19
    assert plot.get_yscale() == "log"
    # Undetectable counts (0) sit on the "not detected" line, not off the log axis.
    assert min(min(curve.get_ydata()) for curve in curves) == figures.NOT_DETECTED_AT
    assert figures.expansion_problem(frame, {}) == (
        "No CAR-T count is recorded for the patients in this selection."
    )


def test_it_draws_recorded_and_computed_grades_side_by_side(frame):
    toxicity = reports.toxicity_report(frame)
    crs = figures.grades_figure(toxicity).axes[0]
    heights = [int(bar.get_height()) for bar in crs.patches]
    recorded = [row["n"] for row in toxicity["crs"]["recorded"]]
    computed = [row["n"] for row in toxicity["crs"]["computed"]]
    assert heights == recorded + computed
    # The paper, Table 2: CRS grade 0 in 1, grade 1 in 15, grade 2 in 2, grade 4 in 1.
    assert recorded == [1, 15, 2, 0, 1, 0]


def test_it_draws_relapse_and_non_relapse_mortality_at_every_observed_time(frame):
    responders = in_population(frame, RESPONDERS)
    times = figures.curve_times(responders["efs_months"].tolist(), (0.0, 12.0))
    report = reports.incidence_report(responders, times=times)
    plot = figures.incidence_figure(report).axes[0]
    relapse, nrm = plot.get_lines()
    assert (relapse.get_label(), nrm.get_label()) == ("Relapse", "Non-relapse mortality")
    # The paper, Results "Follow-up": 3 of the 13 CR patients relapsed: three steps.
    assert len(set(relapse.get_ydata())) == 4
    assert figures.incidence_problem({**report, "n": 0}) == (
        "No day-30 responder in this selection."
    )


@pytest.mark.parametrize(
    ("longest", "ticks"),
    [
        (None, (0.0,)),
        (0.0, (0.0,)),
        (10.0, (0.0, 3.0, 6.0, 9.0, 12.0)),
        (27.5, (0.0, 6.0, 12.0, 18.0, 24.0, 30.0)),
        (60.0, (0.0, 12.0, 24.0, 36.0, 48.0, 60.0)),
    ],
)
def test_it_spaces_the_month_ticks_to_the_follow_up(longest, ticks):
    assert figures.month_ticks(longest) == ticks


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (True, "Yes"),
        (False, "No"),
        (None, "Not recorded"),
        ("<12", "< 12"),
        (">=12", "≥ 12"),
        ("emd_only", "EMD only"),
        ("child", "Children (< 18)"),
        (1, "1"),
        ("BOREN", "BOREN"),
    ],
)
def test_it_names_covariate_values_as_a_clinician_would(value, label):
    assert figures.value_label(value) == label


def test_it_renders_png_and_svg_with_text_as_text(frame):
    figure = figures.km_figure(survival(frame))
    assert figures.render(figure, "png").startswith(b"\x89PNG")
    svg = figures.render(figure, "svg")
    assert b"<svg" in svg
    assert b"Number at risk" in svg
    assert figures.render(figure, "svg") == svg  # no date or random ids


def drawn_colours(figure) -> set[str]:
    """Every colour that tells data apart: of lines, markers, bars and bands."""
    colours = set()
    for plot in figure.axes:
        for line in plot.get_lines():
            colours |= {to_hex(line.get_color()), to_hex(line.get_markerfacecolor())}
        colours |= {to_hex(patch.get_facecolor(), keep_alpha=False) for patch in plot.patches}
        for band in plot.collections:
            colours |= {to_hex(colour, keep_alpha=False) for colour in band.get_facecolor()}
    return colours


def test_it_draws_every_figure_in_the_okabe_ito_palette(frame, counts):
    responders = in_population(frame, RESPONDERS)
    times = figures.curve_times(responders["efs_months"].tolist(), (0.0, 12.0))
    drawn = [
        figures.km_figure(survival(frame, by="age_group")),
        figures.incidence_figure(reports.incidence_report(responders, times=times)),
        figures.swimmer_figure(frame),
        figures.expansion_figure(frame, counts),
        figures.grades_figure(reports.toxicity_report(frame)),
    ]
    palette = {colour.lower() for colour in figures.OKABE_ITO.values()}
    for figure in drawn:
        assert drawn_colours(figure) <= palette, figure.axes[0].get_xlabel()


def test_it_tells_the_curves_apart_by_line_style_too(frame):
    plot = figures.km_figure(survival(frame, by="prior_allo_hct")).axes[0]
    curves = [line for line in plot.get_lines() if line.get_gid() != "censored"]
    assert len({line.get_linestyle() for line in curves}) == len(curves) == 2


def test_it_marks_each_censored_patient_on_the_curve_where_it_stands(frame):
    report = survival(frame, by="prior_allo_hct")
    plot = figures.km_figure(report).axes[0]
    marks = [line for line in plot.get_lines() if line.get_gid() == "censored"]
    assert [line.get_marker() for line in marks] == ["|", "|"]
    for group, line in zip(report["groups"], marks, strict=True):
        censored = group["curve"]["censored_months"]
        # Every patient without an event is censored, at their own follow-up time.
        assert len(censored) == group["n"] - group["events"] > 0
        assert list(line.get_xdata()) == censored
        curve = group["curve"]
        for month, height in zip(censored, line.get_ydata(), strict=True):
            before = [
                s for t, s in zip(curve["months"], curve["survival"], strict=True) if t <= month
            ]
            assert height == before[-1]


def test_it_counts_the_patients_without_an_event_as_censored(frame):
    report = survival(frame)
    censored = report["groups"][0]["curve"]["censored_months"]
    # Among all patients non-response is an event at day 0 (analytics.cohort).
    without_event = frame[~is_true(frame["efs_event"]) & is_true(frame["responder"])]
    assert censored == sorted(without_event["efs_months"].astype(float))


def test_it_gives_each_response_its_own_marker_and_bar_hatching(frame, counts):
    expansion = figures.expansion_figure(frame, counts).axes[0]
    patients = [line for line in expansion.get_lines() if line.get_gid() is None]
    # One marker per day-30 response: responders, non-responders (the paper: 14 and 5).
    by_colour = {to_hex(line.get_color()): line.get_marker() for line in patients}
    assert len(set(by_colour.values())) == len(by_colour) == 2
    swimmer = figures.swimmer_figure(frame).axes[0]
    bars = {
        (to_hex(bar.get_facecolor(), keep_alpha=False), bar.get_hatch()) for bar in swimmer.patches
    }
    assert len({hatch for _, hatch in bars}) == len(bars) == 2


def test_it_draws_the_median_expansion_across_patients(frame, counts):
    plot = figures.expansion_figure(frame, counts).axes[0]
    (median,) = [line for line in plot.get_lines() if line.get_gid() == "median"]
    expected = stats.car_t_median_by_day(
        [counts[key] for key in frame["study_id"] if counts.get(key)]
    )
    assert list(median.get_xdata()) == [point.day for point in expected]
    assert list(median.get_ydata()) == [
        max(point.cells_per_ul, figures.NOT_DETECTED_AT) for point in expected
    ]
    assert len(expected) >= 3
    assert median.get_label() in [text.get_text() for text in plot.get_legend().get_texts()]
