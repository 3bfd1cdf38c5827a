"""The lab entries of cohort format 1.1 ("Version 1.1", labs, car_t_counts and
toxicity_treatments in docs/cohort-format.md), row by row of its tables."""

import pytest

from registry.analytes import (
    ANALYTES,
    Measurement,
    car_t_count_problems_by_key,
    convert,
    every_problem,
    lab_problems,
    series_unit,
    to_series_unit,
    toxicity_treatment_problems_by_key,
    treatment_flags,
)

FORMAT_UNITS = {
    "anc": ["10^9/L", "/uL"],
    "alc": ["10^9/L", "/uL"],
    "platelets": ["10^9/L", "/uL"],
    "hemoglobin": ["g/dL", "g/L"],
    "ferritin": ["ng/mL", "ug/L"],
    "crp": ["mg/L", "mg/dL"],
    "fibrinogen": ["g/L", "mg/dL"],
    "ldh": ["U/L"],
    "il6": ["pg/mL"],
    "ifng": ["pg/mL"],
    "il10": ["pg/mL"],
    "tnfa": ["pg/mL"],
    "sil2r": ["U/mL", "pg/mL"],
    "b_cells_pct": ["%"],
}


def test_it_lists_the_formats_analytes_with_the_registrys_own_unit_first():
    assert {code: list(analyte.units) for code, analyte in ANALYTES.items()} == FORMAT_UNITS


@pytest.mark.parametrize(
    "analyte, unit", [(code, unit) for code, units in FORMAT_UNITS.items() for unit in units]
)
def test_it_accepts_every_unit_of_the_table(analyte, unit):
    assert lab_problems(analyte=analyte, value=1, unit=unit) == []


@pytest.mark.parametrize(
    "entry, message",
    [
        pytest.param(
            {"analyte": "anc", "value": 2, "unit": "mg/dL"},
            "Unit mg/dL is not used for ANC; use 10^9/L or /uL",
            id="unit of another analyte",
        ),
        pytest.param(
            {"analyte": "crp", "value": 2, "unit": "g/L"},
            "Unit g/L is not used for CRP; use mg/L or mg/dL",
            id="CRP in g/L",
        ),
        pytest.param(
            {"analyte": "il2", "value": 2, "unit": "pg/mL"},
            "Unknown analyte 'il2': use one of " + ", ".join(FORMAT_UNITS),
            id="unknown analyte",
        ),
        pytest.param(
            {"analyte": "ferritin", "value": -1, "unit": "ng/mL"},
            "ferritin cannot be negative (-1 ng/mL)",
            id="negative",
        ),
        pytest.param(
            {"analyte": "b_cells_pct", "value": 100.5, "unit": "%"},
            "B cells cannot be over 100% (100.5%)",
            id="percentage over 100",
        ),
        pytest.param(
            {"analyte": "anc", "value": 1500, "unit": "10^9/L"},
            "ANC 1500 10^9/L is more than any patient has: check the unit",
            id="count in /uL typed under 10^9/L",
        ),
        pytest.param(
            {"analyte": "hemoglobin", "value": 95, "unit": "g/dL"},
            "haemoglobin 95 g/dL is more than any patient has: check the unit",
            id="haemoglobin in g/L typed under g/dL",
        ),
        pytest.param(
            {"analyte": "anc", "value": 0.5, "unit": "10^9/L", "specimen": "urine"},
            "Unknown specimen 'urine': use pb (peripheral blood), bm (bone marrow), "
            "csf (cerebrospinal fluid)",
            id="unknown specimen",
        ),
    ],
)
def test_it_refuses_an_impossible_entry_in_words_a_clinician_understands(entry, message):
    assert lab_problems(**entry) == [message]


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({"analyte": "b_cells_pct", "value": 100, "unit": "%"}, id="100%"),
        pytest.param({"analyte": "anc", "value": 0, "unit": "/uL"}, id="zero"),
        pytest.param({"analyte": "anc", "value": 150_000, "unit": "/uL"}, id="high, in /uL"),
        pytest.param({"analyte": "hemoglobin", "value": 95, "unit": "g/L"}, id="95 g/L"),
        pytest.param({"analyte": "ferritin", "value": 250_000, "unit": "ng/mL"}, id="HLH"),
        pytest.param({"analyte": "il6", "value": 0.5, "unit": "pg/mL", "specimen": "csf"}),
    ],
)
def test_it_accepts_extreme_but_possible_values(entry):
    assert lab_problems(**entry) == []


@pytest.mark.parametrize(
    "analyte, value, unit, expected",
    [
        pytest.param("anc", 350, "/uL", 0.35, id="1 x10^9/L = 1000/uL"),
        pytest.param("anc", 100, "/uL", 0.1, id="100/uL is exactly 0.1"),
        pytest.param("platelets", 45_000, "/uL", 45, id="platelets"),
        pytest.param("hemoglobin", 95, "g/L", 9.5, id="g/L"),
        pytest.param("ferritin", 1200, "ug/L", 1200, id="ug/L equals ng/mL"),
        pytest.param("crp", 2.5, "mg/dL", 25, id="1 mg/dL = 10 mg/L"),
        pytest.param("fibrinogen", 150, "mg/dL", 1.5, id="100 mg/dL = 1 g/L"),
        pytest.param("anc", 0.8, "10^9/L", 0.8, id="already the own unit"),
    ],
)
def test_it_converts_a_value_to_the_registrys_own_unit(analyte, value, unit, expected):
    assert to_series_unit(analyte, value, unit) == expected
    assert series_unit(analyte, unit) == FORMAT_UNITS[analyte][0]


def test_it_converts_a_count_back_to_per_microlitre_exactly():
    assert convert("anc", to_series_unit("anc", 100, "/uL"), "10^9/L", "/uL") == 100


@pytest.mark.parametrize("unit", ["U/mL", "pg/mL"])
def test_it_keeps_sil2r_in_the_unit_given(unit):
    assert (to_series_unit("sil2r", 1800, unit), series_unit("sil2r", unit)) == (1800, unit)


def test_it_never_converts_sil2r_between_units():
    with pytest.raises(ValueError, match="sIL-2R in U/mL cannot be converted to pg/mL"):
        convert("sil2r", 1800, "U/mL", "pg/mL")


@pytest.mark.parametrize(
    "analyte, unit", [("anc", "mg/dL"), ("il2", "pg/mL")], ids=["unit", "analyte"]
)
def test_it_refuses_to_convert_what_it_would_refuse_to_record(analyte, unit):
    with pytest.raises(ValueError):
        to_series_unit(analyte, 1, unit)


def test_it_counts_a_value_below_detection_as_zero():
    assert Measurement(day=7, value=0.5, below_detection=True).level == 0
    assert Measurement(day=7, value=0.5).level == 0.5


@pytest.mark.parametrize(
    "count, problems",
    [
        pytest.param({"cells_per_ul": 12.5, "copies_per_ug_dna": None}, [], id="flow"),
        pytest.param({"cells_per_ul": None, "copies_per_ug_dna": 4e4}, [], id="qPCR"),
        pytest.param({"cells_per_ul": 0, "copies_per_ug_dna": 0}, [], id="both undetectable"),
        pytest.param(
            {"cells_per_ul": None, "copies_per_ug_dna": None},
            ["A CAR-T count needs cells/µL (flow cytometry) or copies/µg DNA (qPCR)"],
            id="neither",
        ),
        pytest.param(
            {"cells_per_ul": -1, "copies_per_ug_dna": 10},
            ["CAR-T cells/µL by flow cytometry cannot be negative (-1)"],
            id="negative",
        ),
        pytest.param(
            {"cells_per_ul": 3, "copies_per_ug_dna": None, "specimen": "bm"}, [], id="marrow"
        ),
    ],
)
def test_it_checks_a_car_t_count(count, problems):
    assert every_problem(car_t_count_problems_by_key(**count)) == problems


@pytest.mark.parametrize(
    "entry, problems",
    [
        pytest.param({"treatment": "tocilizumab", "dose_mg": 560}, [], id="tocilizumab"),
        pytest.param({"treatment": "other", "description": "ruxolitinib"}, [], id="other"),
        pytest.param(
            {"treatment": "other"},
            ["Say which treatment: 'other' needs a description"],
            id="other without a description",
        ),
        pytest.param(
            {"treatment": "anakinra", "dose_mg": -100},
            ["A dose cannot be negative (-100 mg)"],
            id="negative dose",
        ),
        pytest.param(
            {"treatment": "emapalumab"},
            [
                "Unknown treatment 'emapalumab': use one of tocilizumab, corticosteroid, "
                "anakinra, siltuximab, plasmapheresis, other"
            ],
            id="unknown",
        ),
    ],
)
def test_it_checks_a_toxicity_treatment(entry, problems):
    assert every_problem(toxicity_treatment_problems_by_key(**entry)) == problems


def test_it_derives_the_toxicities_booleans_from_the_treatments_given():
    given = ["tocilizumab", "tocilizumab", "anakinra", "corticosteroid"]
    assert treatment_flags(given) == {
        "tocilizumab": True,
        "corticosteroids": True,
        "plasmapheresis": False,
    }
