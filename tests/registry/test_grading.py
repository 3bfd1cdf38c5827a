"""ASTCT grading (Lee et al. 2019), cell by cell of the tables in clinical-rules.md."""

import itertools

import pytest

from registry.grading import (
    NO_FEVER_HINT,
    Grade,
    crs_grade,
    crs_no_fever_hint,
    icans_grade,
    worst,
)

FEVER = 38.5
NORMAL = 36.8


def crs(**overrides) -> Grade:
    day = {
        "temperature_c": FEVER,
        "fever_masked": False,
        "hypotension": False,
        "vasopressors": 0,
        "vasopressin": False,
        "oxygen": "none",
    }
    return crs_grade(**(day | overrides))


def icans(**overrides) -> Grade:
    day = {
        "age_years": 30,
        "ice_score": 10,
        "capd_score": None,
        "capd_unable": False,
        "consciousness": "awake",
        "seizure": "none",
        "motor_weakness": "none",
        "cerebral_edema": "none",
    }
    return icans_grade(**(day | overrides))


@pytest.mark.parametrize(
    "day, expected",
    [
        pytest.param({}, 1, id="fever only"),
        pytest.param({"temperature_c": 38.0}, 1, id="38.0 is fever"),
        pytest.param({"temperature_c": 37.9}, 0, id="37.9 is no fever"),
        pytest.param({"temperature_c": None}, 0, id="no temperature is no fever"),
        pytest.param({"hypotension": True}, 2, id="hypotension without vasopressors"),
        pytest.param({"oxygen": "low_flow"}, 2, id="low-flow oxygen"),
        pytest.param({"vasopressors": 1}, 3, id="one vasopressor, hypotension unticked"),
        pytest.param({"vasopressin": True}, 3, id="vasopressin alone"),
        pytest.param({"vasopressors": 1, "vasopressin": True}, 3, id="one + vasopressin"),
        pytest.param({"oxygen": "high_flow"}, 3, id="high-flow oxygen"),
        pytest.param({"vasopressors": 2}, 4, id="two vasopressors"),
        pytest.param({"vasopressors": 3, "hypotension": True}, 4, id="three vasopressors"),
        pytest.param({"oxygen": "positive_pressure"}, 4, id="positive pressure"),
    ],
)
def test_it_grades_each_cell_of_the_crs_table(day, expected):
    assert crs(**day).grade == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        pytest.param({"vasopressors": 1, "oxygen": "low_flow"}, 3, id="vasopressor over low-flow"),
        pytest.param({"hypotension": True, "oxygen": "high_flow"}, 3, id="high-flow"),
        pytest.param({"vasopressin": True, "oxygen": "positive_pressure"}, 4, id="ventilation"),
        pytest.param({"vasopressors": 2, "oxygen": "low_flow"}, 4, id="two vasopressors"),
    ],
)
def test_it_takes_the_more_severe_of_hypotension_and_hypoxia(day, expected):
    assert crs(**day).grade == expected


@pytest.mark.parametrize(
    "day",
    [
        pytest.param({"hypotension": True}, id="hypotension"),
        pytest.param({"vasopressors": 2}, id="two vasopressors"),
        pytest.param({"oxygen": "positive_pressure"}, id="positive pressure"),
    ],
)
def test_it_requires_fever_when_not_masked(day):
    assert crs(**day, temperature_c=NORMAL) == Grade(0, "grade 0: no fever")


@pytest.mark.parametrize(
    "day, expected",
    [
        pytest.param({"hypotension": True}, 2, id="hypotension"),
        pytest.param({"oxygen": "high_flow"}, 3, id="high-flow oxygen"),
        pytest.param({"vasopressors": 2}, 4, id="two vasopressors"),
        pytest.param({}, 0, id="nothing"),
        pytest.param({"temperature_c": FEVER}, 1, id="measured fever despite therapy"),
    ],
)
def test_it_grades_masked_fever_by_hypotension_and_hypoxia(day, expected):
    assert crs(**({"temperature_c": NORMAL, "fever_masked": True} | day)).grade == expected


@pytest.mark.parametrize(
    "day, reason",
    [
        ({}, "grade 1: fever only"),
        ({"vasopressors": 1}, "grade 3: one vasopressor"),
        ({"vasopressin": True}, "grade 3: vasopressin alone counts as one vasopressor"),
        ({"vasopressors": 1, "vasopressin": True}, "grade 3: one vasopressor with vasopressin"),
        ({"vasopressors": 2, "vasopressin": True}, "grade 4: 2 vasopressors"),
        ({"oxygen": "low_flow"}, "grade 2: low-flow oxygen"),
        ({"oxygen": "positive_pressure"}, "grade 4: positive-pressure ventilation"),
        ({"vasopressors": 1, "oxygen": "high_flow"}, "grade 3: one vasopressor"),
        (
            {"temperature_c": NORMAL, "fever_masked": True, "hypotension": True},
            "grade 2: hypotension without vasopressors, fever masked",
        ),
        (
            {"temperature_c": NORMAL, "fever_masked": True},
            "grade 0: fever masked, no hypotension or hypoxia",
        ),
    ],
)
def test_it_names_what_set_the_crs_grade(day, reason):
    assert crs(**day).reason == reason


def test_it_reads_unrecorded_crs_fields_as_none():
    unrecorded = ("fever_masked", "hypotension", "vasopressors", "vasopressin", "oxygen")
    day = dict.fromkeys(unrecorded)
    assert crs(**day) == Grade(1, "grade 1: fever only")


@pytest.mark.parametrize(
    "day",
    [{"oxygen": "mask"}, {"vasopressors": -1}, {"oxygen": "mask", "temperature_c": NORMAL}],
)
def test_it_rejects_impossible_crs_values(day):
    with pytest.raises(ValueError):
        crs(**day)


@pytest.mark.parametrize(
    "ice, expected",
    [(10, 0), (9, 1), (8, 1), (7, 1), (6, 2), (5, 2), (3, 2), (2, 3), (1, 3), (0, 3), (None, 0)],
)
def test_it_grades_the_ice_score(ice, expected):
    assert icans(ice_score=ice).grade == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        pytest.param({"consciousness": "awake"}, 0, id="awake"),
        pytest.param({"consciousness": "awakens_to_voice"}, 2, id="awakens to voice"),
        pytest.param({"consciousness": "awakens_to_touch"}, 3, id="awakens to touch"),
        pytest.param({"consciousness": "unarousable"}, 4, id="unarousable"),
        pytest.param({"seizure": "resolved"}, 3, id="seizure resolved"),
        pytest.param({"seizure": "prolonged"}, 4, id="seizure prolonged"),
        pytest.param({"motor_weakness": "deep_focal"}, 4, id="deep focal weakness"),
        pytest.param({"cerebral_edema": "focal"}, 3, id="focal edema"),
        pytest.param({"cerebral_edema": "diffuse"}, 4, id="diffuse edema"),
    ],
)
def test_it_grades_each_icans_domain(day, expected):
    assert icans(**day).grade == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        pytest.param({"ice_score": 0}, 3, id="ICE 0 awake"),
        pytest.param({"ice_score": 0, "consciousness": "unarousable"}, 4, id="ICE 0 unarousable"),
        pytest.param({"ice_score": None, "seizure": "resolved"}, 3, id="no ICE, seizure"),
        pytest.param({"ice_score": 8, "consciousness": "awakens_to_voice"}, 2, id="voice over ICE"),
        pytest.param({"ice_score": 5, "cerebral_edema": "focal"}, 3, id="edema over ICE"),
        pytest.param({"ice_score": 2, "seizure": "prolonged"}, 4, id="seizure over ICE"),
    ],
)
def test_it_takes_the_most_severe_icans_domain(day, expected):
    assert icans(**day).grade == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        pytest.param({"capd_score": 0}, 0, id="CAPD 0"),
        pytest.param({"capd_score": 1}, 1, id="CAPD 1"),
        pytest.param({"capd_score": 8}, 1, id="CAPD 8"),
        pytest.param({"capd_score": 9}, 3, id="CAPD 9"),
        pytest.param({"capd_score": 32}, 3, id="CAPD 32"),
        pytest.param({"capd_unable": True}, 4, id="unable to perform CAPD"),
        pytest.param({}, 0, id="CAPD not recorded"),
        pytest.param({"capd_score": 5, "consciousness": "awakens_to_voice"}, 2, id="CAPD 5, voice"),
        pytest.param({"capd_score": 5, "consciousness": "awakens_to_touch"}, 3, id="CAPD 5, touch"),
        pytest.param({"capd_score": 0, "seizure": "prolonged"}, 4, id="seizure in a child"),
    ],
)
def test_it_grades_children_with_capd(day, expected):
    assert icans(**({"age_years": 5, "ice_score": 0} | day)).grade == expected


@pytest.mark.parametrize(
    "age, expected",
    [(11, 1), (12, 3), (None, 3)],
)
def test_it_uses_capd_under_12_and_ice_from_12(age, expected):
    assert icans(age_years=age, ice_score=0, capd_score=4, capd_unable=False).grade == expected


def test_it_ignores_capd_from_12():
    assert icans(age_years=12, capd_unable=True).grade == 0


@pytest.mark.parametrize(
    "day, reason",
    [
        ({"ice_score": 5}, "grade 2: ICE score 5"),
        ({}, "grade 0: no ICANS findings"),
        ({"ice_score": 0, "cerebral_edema": "focal"}, "grade 3: ICE score 0"),
        ({"ice_score": 0, "consciousness": "unarousable"}, "grade 4: unarousable"),
        (
            {"seizure": "prolonged", "motor_weakness": "deep_focal"},
            "grade 4: prolonged or repetitive seizures",
        ),
        ({"age_years": 4, "capd_unable": True}, "grade 4: unable to perform CAPD"),
        ({"age_years": 4, "capd_score": 12}, "grade 3: CAPD score 12"),
    ],
)
def test_it_names_the_icans_domain_that_set_the_grade(day, reason):
    assert icans(**day).reason == reason


def test_it_reads_unrecorded_icans_fields_as_none():
    unrecorded = ("capd_unable", "consciousness", "seizure", "motor_weakness", "cerebral_edema")
    day = dict.fromkeys(unrecorded)
    assert icans(**day).grade == 0


@pytest.mark.parametrize(
    "day",
    [
        {"ice_score": 11},
        {"ice_score": -1},
        {"age_years": 5, "capd_score": 33},
        {"consciousness": "drowsy"},
        {"seizure": "yes"},
        {"motor_weakness": "mild"},
        {"cerebral_edema": "global"},
    ],
)
def test_it_rejects_impossible_icans_values(day):
    with pytest.raises(ValueError):
        icans(**day)


def test_it_never_grades_an_assessment_above_4():
    crs_grades = {
        crs(
            temperature_c=t, fever_masked=m, hypotension=h, vasopressors=v, vasopressin=vn, oxygen=o
        ).grade
        for t, m, h, v, vn, o in itertools.product(
            (NORMAL, FEVER),
            (False, True),
            (False, True),
            (0, 1, 2, 5),
            (False, True),
            ("none", "low_flow", "high_flow", "positive_pressure"),
        )
    }
    icans_grades = {
        icans(
            age_years=a,
            ice_score=0,
            capd_unable=True,
            consciousness="unarousable",
            seizure="prolonged",
            motor_weakness="deep_focal",
            cerebral_edema="diffuse",
        ).grade
        for a in (5, 30)
    }
    assert crs_grades == {0, 1, 2, 3, 4}
    assert icans_grades == {4}


def test_it_takes_the_worst_grade():
    days = [
        Grade(1, "grade 1: fever only"),
        Grade(3, "grade 3: one vasopressor"),
        Grade(2, "grade 2: low-flow oxygen"),
    ]
    assert worst(days) == Grade(3, "grade 3: one vasopressor")


def test_it_keeps_the_first_of_tied_worst_grades():
    first, second = Grade(3, "grade 3: high-flow oxygen"), Grade(3, "grade 3: one vasopressor")
    assert worst(iter([Grade(0, "grade 0: no fever"), first, second])) is first


def test_it_reports_no_assessments_when_empty():
    assert worst([]) == Grade(0, "no assessments")


def test_it_keeps_a_recorded_grade_0_over_no_assessments():
    assert worst([Grade(0, "grade 0: no fever")]) == Grade(0, "grade 0: no fever")


CRS_DEFAULTS = {
    "fever_masked": False,
    "hypotension": False,
    "vasopressors": 0,
    "vasopressin": False,
    "oxygen": "none",
}
SIGNS_WITHOUT_FEVER = [
    pytest.param({"hypotension": True}, id="hypotension"),
    pytest.param({"vasopressors": 1}, id="one vasopressor"),
    pytest.param({"oxygen": "low_flow"}, id="low-flow oxygen"),
]


@pytest.mark.parametrize("day", SIGNS_WITHOUT_FEVER)
def test_it_says_why_signs_without_fever_are_grade_0(day):
    values = {**CRS_DEFAULTS, "temperature_c": NORMAL, **day}

    assert crs_grade(**values).grade == 0
    assert crs_no_fever_hint(**values) == NO_FEVER_HINT
    assert "fever masked" in NO_FEVER_HINT


@pytest.mark.parametrize(
    "day",
    [
        pytest.param({"temperature_c": NORMAL}, id="no signs"),
        pytest.param({"temperature_c": FEVER, "hypotension": True}, id="fever"),
        pytest.param(
            {"temperature_c": NORMAL, "fever_masked": True, "vasopressors": 1}, id="masked"
        ),
    ],
)
def test_it_gives_no_fever_hint_where_the_grade_needs_none(day):
    assert crs_no_fever_hint(**{**CRS_DEFAULTS, **day}) is None
