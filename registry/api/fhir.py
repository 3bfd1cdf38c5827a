"""A study, or one patient, as FHIR R4 (registry.interchange.fhir, docs/fhir.md): one Bundle
of type collection, or NDJSON as FHIR Bulk Data writes it.

The study's files are for its coordinators and administrators, as every export; a
patient's Bundle for anyone who reads the patient (registry.access.visible_patients), as
its JSON is. A client asking (Accept) for a type the endpoint does not give gets a 406
naming those it does.
"""

from django.http import Http404, HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import BaseContentNegotiation

from config.routers import use_replica
from registry import access
from registry import models as registry
from registry.api.cohorts import StudyDownloadView, download_schema
from registry.api.schema import ERROR, FIELD_ERRORS, PATIENT_ID
from registry.interchange.fhir.writer import iter_bundle_json, iter_ndjson, patient_bundle
from registry.jsontext import JSONRenderer
from registry.parameters import AS_OF_TODAY_WARNING, SnapshotParams

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
NOT_ACCEPTABLE = {
    406: OpenApiResponse(ERROR, description="The Accept header takes none of the types given")
}


class FhirNegotiation(BaseContentNegotiation):
    """The view's one type (`media_types[0]`) when the Accept header takes any of
    `media_types` (or says nothing), else 406. Errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        given = request.META.get("HTTP_ACCEPT", "").strip() or "*/*"
        offered = request.parser_context["view"].media_types
        if any(
            _takes(accepted, media_type) for accepted in given.split(",") for media_type in offered
        ):
            return renderers[0], renderers[0].media_type
        raise NotAcceptable(
            f"The Accept header ({given}) takes none of what this endpoint gives: "
            + ", ".join(offered)
        )


def _takes(accepted: str, media_type: str) -> bool:
    """Whether one type of an Accept header (its parameters, such as FHIR's fhirVersion,
    aside) takes `media_type`: the same, or a wildcard covering it."""
    wanted = accepted.split(";")[0].strip().lower()
    if wanted in ("*/*", media_type):
        return True
    return wanted.endswith("/*") and media_type.startswith(wanted[:-1])


class FhirView:
    content_negotiation_class = FhirNegotiation
    renderer_classes = [JSONRenderer]
    media_types = (FHIR_JSON, "application/json")


class StudyBundleView(FhirView, StudyDownloadView):
    @download_schema(
        "studies_export_fhir",
        "The study as one FHIR R4 Bundle of type collection, streamed (application/fhir+json): "
        "the ResearchStudy, then each patient's Patient (pseudonymous: the study id and the "
        "year of birth), ResearchSubject, Condition (B-ALL), Observations of the eligibility "
        "and genetics, the prior therapies (Procedure or MedicationStatement), the "
        "lymphodepletion (Procedure and a MedicationAdministration per drug), each infusion "
        "(MedicationAdministration, the dose per kg in UCUM) with the weight, Observations "
        "of the CAR-T counts, lab values (LOINC where one applies), each day's CRS and ICANS "
        "findings with the day's ASTCT grade, responses and MRD, the toxicity treatments "
        "(MedicationAdministration with the dose), AdverseEvents for CRS and ICANS with the "
        "site's ASTCT grade, and the follow-up events other than death and withdrawal "
        "(Procedure or Observation). Entries are named urn:uuid:<id> and refer to each "
        "other so. See docs/fhir.md.",
        FHIR_JSON,
        OpenApiTypes.OBJECT,
        refusals=NOT_ACCEPTABLE,
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        bundle = iter_bundle_json(self.study(code), self.as_of, self.cutoff)
        return self.streamed(bundle, FHIR_JSON, self.filename(code, "fhir") + ".json")


class StudyNdjsonView(FhirView, StudyDownloadView):
    media_types = (FHIR_NDJSON, "application/ndjson", "application/x-ndjson")

    @download_schema(
        "studies_export_fhir_ndjson",
        "The resources of the FHIR Bundle as NDJSON, one resource a line, as FHIR Bulk Data "
        "writes them (application/fhir+ndjson), for large studies; they refer to each other "
        "as Type/<id>. See docs/fhir.md.",
        FHIR_NDJSON,
        OpenApiTypes.STR,
        refusals=NOT_ACCEPTABLE,
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        lines = iter_ndjson(self.study(code), self.as_of, self.cutoff)
        return self.streamed(lines, FHIR_NDJSON, self.filename(code, "fhir") + ".ndjson")


class PatientBundleView(FhirView, StudyDownloadView):
    @extend_schema(
        operation_id="patients_fhir",
        parameters=[PATIENT_ID, SnapshotParams, AS_OF_TODAY_WARNING],
        description="The patient as one FHIR R4 Bundle of type collection "
        "(application/fhir+json): the study's ResearchStudy and the patient's resources, "
        "as in the study's Bundle. For anyone who reads the patient.",
        responses={
            (200, FHIR_JSON): OpenApiTypes.OBJECT,
            400: FIELD_ERRORS,
            404: ERROR,
            **NOT_ACCEPTABLE,
        },
    )
    def get(self, request, patient_pk: int) -> HttpResponse:
        patient = self.patient(patient_pk)
        with use_replica():
            bundle = patient_bundle(patient, self.as_of, self.cutoff)
        if bundle is None:
            raise Http404("The patient was not in the study on that day or at that cut-off")
        return self.dated(HttpResponse(bundle, content_type=FHIR_JSON))

    def patient(self, pk: int) -> registry.Patient:
        patients = access.visible_patients(self.request.user, registry.Patient.objects)
        patient = patients.select_related("study").filter(pk=pk).first()
        if patient is None:
            raise Http404
        return patient
