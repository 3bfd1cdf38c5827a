"""The API's representation of a patient, with every section of the course nested."""

from rest_framework import serializers

from registry import choices
from registry import models as registry
from registry.api.serializers.base import RegistrySerializer
from registry.api.serializers.fields import JsonCharField
from registry.api.serializers.sections import SERIALIZERS, SectionSerializer
from registry.models.patient import DAY_30_ASSESSMENT
from registry.sections import BY_KEY, SECTIONS


def nested_section(key: str, help_text: str) -> SectionSerializer:
    """A section of the patient's course nested in it, read only (it is written at its own
    address): the list of its records, or for a one-to-one section its record or null."""
    serializer = SERIALIZERS[key]
    if BY_KEY[key].many:
        return serializer(many=True, read_only=True, help_text=help_text)
    return serializer(read_only=True, allow_null=True, help_text=help_text)


class PatientSerializer(RegistrySerializer):
    """A patient with every section of the course; sections are written at their own URLs."""

    study = serializers.SlugRelatedField(
        slug_field="code",
        queryset=registry.Study.objects.all(),
        help_text="Code of the patient's study",
    )
    site = JsonCharField(source="site.code", help_text="Code of the patient's site in the study")
    study_id = JsonCharField(
        source="subject_id",
        max_length=40,
        help_text="The patient's pseudonymous code, unique within the study; no names or "
        "record numbers",
    )
    age_years = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Age in completed years at the first infusion (at enrolment before any)",
    )
    first_infusion_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="Date of the first CAR-T infusion"
    )
    d30_response = serializers.ChoiceField(
        source="d30_status",
        choices=choices.ResponseStatus.choices,
        read_only=True,
        allow_null=True,
        help_text=f"Day-30 response: {DAY_30_ASSESSMENT}",
    )
    prior_allo_hct = serializers.BooleanField(
        read_only=True, help_text="An allogeneic HCT before the infusion"
    )
    prior_cd22_cart = serializers.BooleanField(
        read_only=True, help_text="A CD22 CAR-T before the infusion"
    )
    relapsed = serializers.BooleanField(
        read_only=True, help_text="A relapse is recorded after the infusion"
    )
    died = serializers.BooleanField(read_only=True, help_text="A death is recorded")
    eligibility = nested_section("eligibility", "Eligibility findings; null when not recorded")
    genetics = nested_section("genetics", "Genetics; null when not recorded")
    prior_therapies = nested_section("prior_therapies", "Earlier treatments")
    lymphodepletion = nested_section(
        "lymphodepletion", "Lymphodepleting chemotherapy; null when not recorded"
    )
    infusions = nested_section("infusions", "CAR-T infusions, by date")
    car_t_counts = nested_section("car_t_counts", "CAR-T cells by flow cytometry and qPCR, by day")
    labs = nested_section("labs", "Laboratory and biomarker values, by day")
    toxicities = nested_section(
        "toxicities",
        "The site's record of maximum CRS and ICANS grades; null when not recorded",
    )
    toxicity_treatments = nested_section(
        "toxicity_treatments", "Treatments of CRS, ICANS and related toxicities"
    )
    daily_assessments = nested_section(
        "daily_assessments", "Daily CRS and ICANS observations, by day"
    )
    response_assessments = nested_section("response_assessments", "Response assessments, by day")
    events = nested_section("events", "Follow-up events after the infusion, by date")

    class Meta:
        model = registry.Patient
        fields = [
            "id",
            "study",
            "site",
            "study_id",
            *registry.Patient.document_fields,
            "age_years",
            "first_infusion_date",
            "d30_response",
            "prior_allo_hct",
            "prior_cd22_cart",
            "relapsed",
            "died",
            # Each section, nested as declared above, in a cohort document's order.
            *(section.key for section in SECTIONS),
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"id": {"help_text": "Patient id; its address in the API"}}

    def validate(self, attrs: dict) -> dict:
        if "site" in attrs:
            attrs["site"] = self._site(attrs["site"]["code"], attrs.get("study"))
        return super().validate(attrs)

    def _site(self, code: str, study: registry.Study | None) -> registry.Site:
        study = study or self.instance.study
        site = study.sites.filter(code=code).first()
        if site is None:
            raise serializers.ValidationError({"site": study.no_such_sites([code])})
        return site
