"""The dashboard's patient filter fields are made from the patient filter definitions
(registry.patient_filters): each offers the filter's own choices, "Any" first."""

from analytics.dashboard_form import DashboardForm
from registry.patient_filters import BY_NAME


def test_it_has_a_field_for_every_patient_filter():
    assert [field.name for field in DashboardForm({}).filter_fields()] == list(BY_NAME)


def test_a_filter_with_choices_is_a_choice_of_them_any_first():
    form = DashboardForm({})
    for name in ("sex", "prior_allo_hct", "prior_cd22_cart", "d30_response", "vital_status"):
        offered = list(form.fields[name].widget.choices)
        assert offered == [("", "Any"), *BY_NAME[name].filter.extra["choices"]], name


def test_the_true_false_filters_read_yes_and_no():
    offered = dict(DashboardForm({}).fields["prior_allo_hct"].widget.choices)
    assert offered == {"": "Any", "true": "Yes", "false": "No"}
