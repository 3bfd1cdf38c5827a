"""The patient page's cards write each measure with its unit, as registry.units declares it,
each finding in words, and the day-30 response's window as the registry counts it."""

from django.urls import reverse

from registry import models
from tests import factories


def page(client, patient) -> str:
    return client.get(reverse("web:patient-detail", args=[patient.pk])).content.decode()


def test_each_card_writes_its_measures_with_their_units(signed_in, infused_patient):
    models.Eligibility.objects.create(patient=infused_patient, cd19_blast_pct=99, bm_blast_pct=40)
    factories.ResponseAssessmentFactory(patient=infused_patient, day=28, bm_blast_pct=0.5)
    factories.ToxicityTreatmentFactory(patient=infused_patient, day=3, dose_mg=480)
    factories.DailyAssessmentFactory(patient=infused_patient, day=3, ice_score=7, capd_score=10)

    html = page(signed_in, infused_patient)

    assert "<dd>99 %</dd>" in html  # CD19-positive blasts
    assert "<dd>40 %</dd>" in html  # marrow blasts at enrolment
    assert 'data-label="Marrow blasts">0.50 %</td>' in html
    assert 'data-label="Dose">480 mg</td>' in html  # the treatments' card
    assert "Tocilizumab 480 mg</span>" in html  # beside the day's assessment
    # Found reading the card: ICE was written "7/10" and CAPD with no maximum.
    assert "ICE 7 / 10 CAPD 10 / 32" in html


def test_the_response_card_says_which_assessment_is_the_day_30_response(signed_in, infused_patient):
    html = page(signed_in, infused_patient)

    assert "The day-30 response is the earliest response assessment from day 21 to day 45." in html


def test_the_assessments_card_names_the_findings_that_are_not_normal(signed_in, infused_patient):
    abnormal = dict(oxygen="low_flow", consciousness="awakens_to_voice", seizure="resolved")
    factories.DailyAssessmentFactory(patient=infused_patient, day=4, **abnormal)
    factories.DailyAssessmentFactory(patient=infused_patient, day=5)

    html = page(signed_in, infused_patient)

    day_4 = html[html.index("Day 4</th>") : html.index("Day 5</th>")]
    assert (
        '<span title="Low-flow nasal cannula (≤6 L/min) or blow-by">Low-flow nasal cannula' in day_4
    )
    assert (
        "<br>Awakens to voice<br>Seizure that resolved rapidly or with intervention</td>" in day_4
    )
    day_5 = html[html.index("Day 5</th>") :]
    assert '<td data-label="Oxygen">—</td>' in day_5
    assert '<td data-label="Neurology">—</td>' in day_5
