"""Whole cohorts over HTTP: the interchange document in and out, and the flat exports.

Importing needs the study's coordinator or administrator role (or the add_study
permission for a new study); exporting, the coordinator or administrator role.
"""

from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import date
from functools import cached_property
from io import BytesIO

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from config.routers import use_replica
from registry import access, flat_export
from registry import models as registry
from registry.api.parsers import DocumentParser, OdmDocumentParser, too_large
from registry.api.schema import ERROR, FIELD_ERRORS
from registry.deidentified import DEIDENTIFIED_COLUMNS
from registry.http import AUTHENTICATION, STUDY_CODE, StudyDataView, dated, exported_study
from registry.interchange.exporter import iter_cohort_json, patients_for_export
from registry.interchange.importer import cohort_import
from registry.interchange.odm.reader import OdmSnapshot
from registry.interchange.odm.transactions import OdmChanges, changes_apply, snapshot_import
from registry.interchange.reader import DocumentRejected, refuse_unstorable
from registry.parameters import (
    AS_OF_TODAY_WARNING,
    SnapshotParams,
    download_params,
)
from registry.problems import Problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
EXPORT_REFUSED = OpenApiResponse(
    ERROR,
    description="Your role in the study reads it but does not export it (a monitor, a clinician)",
)


class CanImportCohorts(permissions.BasePermission):
    """An import creates and changes studies and patients."""

    required = [
        "registry.add_study",
        "registry.change_study",
        "registry.add_patient",
        "registry.change_patient",
    ]

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(self.required))


IMPORT_RESULT = inline_serializer(
    "ImportResult",
    {
        "study": serializers.CharField(help_text="Code of the imported study"),
        "created": serializers.IntegerField(help_text="Patients added"),
        "updated": serializers.IntegerField(
            help_text="Patients already there: changed plus unchanged"
        ),
        "changed": serializers.IntegerField(
            help_text="Patients already there whose data differed, updated in place"
        ),
        "unchanged": serializers.IntegerField(
            help_text="Patients already there that the document left as they were"
        ),
        "removed": serializers.IntegerField(
            help_text="Patients deleted: those a transactional ODM document removes (0 for "
            "a cohort document or an ODM snapshot, which delete no patient)"
        ),
        "records": inline_serializer(
            "ImportedRecords",
            {
                "created": serializers.IntegerField(help_text="Section records added"),
                "changed": serializers.IntegerField(
                    help_text="Section records updated in place (same id, version raised)"
                ),
                "unchanged": serializers.IntegerField(
                    help_text="Section records left as they were"
                ),
                "deleted": serializers.IntegerField(
                    help_text="Section records of the document's patients it no longer holds"
                ),
            },
            help_text="The section records (infusions, events, ...) of the document's patients",
        ),
    },
)
IMPORT_REJECTED = inline_serializer(
    "ImportRejected",
    {
        "detail": serializers.CharField(help_text="Why nothing was imported"),
        "problems": inline_serializer(
            "ImportProblem",
            {
                "path": serializers.CharField(
                    help_text="Where in the document, e.g. patients[3].events[1].date"
                ),
                "message": serializers.CharField(help_text="What is wrong there"),
            },
            many=True,
            help_text="Every problem found; empty when the body is not a cohort document",
        ),
    },
)


class CohortImportView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanImportCohorts]
    parser_classes = [DocumentParser, OdmDocumentParser]

    @extend_schema(
        operation_id="studies_import",
        description="Import a cohort document (format cart-cohort, version 1) as the JSON "
        "body, or a CDISC ODM 1.3.2 document as the XML body (Content-Type: "
        "application/xml; checked against the ODM 1.3.2 schema first; the registry's OIDs, "
        "docs/odm.md; a document with study events, forms, item groups or items the "
        "registry cannot place is refused naming them; a transactional document's changes "
        "are applied to the study holding the snapshot they follow): "
        "all or nothing. Creates the study and its sites where needed; patients "
        "already in the study (by study id) are updated in place: each record is matched "
        "by its natural key (a day, a date, a kind), and only records that differ are "
        "written, keeping their ids and raising their versions. An ODM document's "
        "problems are named by where they are in the cohort document it is read into: "
        "patients[i] is the i-th SubjectData, counted from 0.",
        request={"application/json": OpenApiTypes.OBJECT, "application/xml": OpenApiTypes.STR},
        responses={
            200: IMPORT_RESULT,
            400: IMPORT_REJECTED,
            413: OpenApiResponse(
                ERROR,
                description="Larger than COHORT_IMPORT_MAX_BYTES (an ODM document: "
                "ODM_IMPORT_MAX_BYTES)",
            ),
        },
    )
    def post(self, request) -> Response:
        too_large = _too_large(request)
        if too_large:
            return Response({"detail": too_large}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            if _content_length(request) == 0:
                # Not parsed at all: it would be read as a cohort document with no keys.
                raise DocumentRejected([Problem("", EMPTY_BODY)])
            odm = request.data if isinstance(request.data, OdmChanges | OdmSnapshot) else None
            if odm is None:
                refuse_unstorable(request.data)
            code = odm.study_code if odm else _study_code(request.data)
            if not access.can_import(request.user, code):
                message = f"Only the coordinators and administrators of {code} import it"
                raise PermissionDenied(message)
            new = not registry.Study.objects.filter(code=code).exists()
            if isinstance(odm, OdmChanges):
                result = changes_apply(changes=odm, user=request.user)
            elif isinstance(odm, OdmSnapshot):
                result = snapshot_import(snapshot=odm, user=request.user)
            else:
                result = cohort_import(data=request.data, user=request.user)
        except DocumentRejected as rejected:
            rejection = _rejection(rejected, request.content_type)
            return Response(rejection, status=status.HTTP_400_BAD_REQUEST)
        if new:
            access.study_creator_grant(user=request.user, study=result.study)
        counts = {"created": result.created, "updated": result.updated}
        counts |= {"changed": result.changed, "unchanged": result.unchanged}
        counts |= {"removed": result.removed}
        return Response({"study": result.study.code, **counts, "records": asdict(result.records)})

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, ParseError):
            # A body that is not a JSON document at all: no problems within it to list.
            response.data = {"detail": response.data["detail"], "problems": []}
        return response


EMPTY_BODY = (
    "The body is empty: send a cohort document (application/json) or a CDISC ODM document "
    "(application/xml)"
)


def _study_code(data: object) -> object:
    study = data.get("study") if isinstance(data, dict) else None
    return study.get("code") if isinstance(study, dict) else None


def _too_large(request) -> str | None:
    """Why the body is refused for its size, by the limit of its kind; None when it is not.
    An ODM document is read as a stream, so its limit is far larger (docs/odm.md)."""
    length = _content_length(request)
    if request.content_type.startswith(OdmDocumentParser.media_type):
        limit = settings.ODM_IMPORT_MAX_BYTES
        return too_large(limit, "ODM_IMPORT_MAX_BYTES") if length > limit else None
    limit = settings.COHORT_IMPORT_MAX_BYTES
    return too_large(limit, "COHORT_IMPORT_MAX_BYTES") if length > limit else None


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _rejection(rejected: DocumentRejected, content_type: str) -> dict:
    problems = [{"path": p.path, "message": p.message} for p in rejected.problems]
    document = "ODM" if content_type.startswith(OdmDocumentParser.media_type) else "cohort"
    detail = f"{len(problems)} problem(s) in the {document} document; nothing was imported"
    return {"detail": detail, "problems": problems}


def download_schema(
    operation_id: str,
    description: str,
    media_type: str,
    body,
    params=SnapshotParams,
    refusals: dict | None = None,
) -> Callable:
    """The OpenAPI description of a study download: its body, or why there is none
    (`refusals`: answers besides those of every download)."""
    return extend_schema(
        operation_id=operation_id,
        parameters=[STUDY_CODE, params, AS_OF_TODAY_WARNING],
        description=description,
        responses={
            (200, media_type): body,
            400: FIELD_ERRORS,
            403: EXPORT_REFUSED,
            404: ERROR,
            **(refusals or {}),
        },
    )


class StudyDownloadView(StudyDataView):
    params_class = SnapshotParams  # the query parameters it takes

    def study(self, code: str) -> registry.Study:
        return exported_study(self.request.user, code)

    def patients(self, code: str) -> Iterator[registry.Patient]:
        return patients_for_export(self.study(code), self.as_of, self.cutoff)

    @cached_property
    def params(self) -> dict:
        return download_params(self.request.query_params, self.params_class)

    @property
    def as_of(self) -> date | None:
        """The day asked for (?as_of=), or None for the data as it stands."""
        return self.params.get("as_of")

    @property
    def cutoff(self) -> date | None:
        """The clinical cut-off asked for (?cutoff=), or None: everything recorded."""
        return self.params["cutoff"]

    def filename(self, code: str, name: str) -> str:
        name = f"{code}-{name}"
        if self.as_of is not None:
            name += f"-as-of-{self.as_of.isoformat()}"
        if self.cutoff is not None:
            name += f"-cutoff-{self.cutoff.isoformat()}"
        return name

    def dated(self, response: HttpResponse) -> HttpResponse:
        """The dates a download was made at, in its headers (registry.http.dated)."""
        return dated(response, self.cutoff, self.as_of)

    def streamed(self, chunks: Iterator, content_type: str, filename: str) -> StreamingHttpResponse:
        """`chunks` streamed on the replica as an attachment named `filename`, dated."""
        response = StreamingHttpResponse(on_replica(chunks), content_type=content_type)
        return self.dated(attachment(response, filename))


def on_replica(chunks: Iterator) -> Iterator:
    """Stream `chunks`, reading on the replica if there is one (see config.routers).

    Each step enters and leaves use_replica() itself: a streamed body is produced after
    the view has returned, possibly a step at a time in different threads (ASGI).
    """
    while True:
        with use_replica():
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CohortExportView(StudyDownloadView):
    @download_schema(
        "studies_export",
        "The study as a cohort document (format cart-cohort, version 1), streamed.",
        "application/json",
        OpenApiTypes.OBJECT,
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        chunks = iter_cohort_json(self.study(code), self.as_of, self.cutoff)
        return self.streamed(chunks, "application/json", self.filename(code, "cohort") + ".json")


class PatientsCsvView(StudyDownloadView):
    @download_schema(
        "studies_export_patients_csv",
        "One row per patient, every captured field; the columns are described in "
        "registry.flat_export.PATIENT_COLUMNS and the XLSX's columns sheet.",
        "text/csv",
        OpenApiTypes.STR,
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        rows = flat_export.iter_patients_csv(self.patients(code))
        return self.streamed(rows, CSV, self.filename(code, "patients") + ".csv")


class PatientsXlsxView(StudyDownloadView):
    @download_schema(
        "studies_export_patients_xlsx",
        "The patients sheet as in the CSV, one sheet per list section (one row per record, "
        "with the study id) and a sheet describing the columns.",
        XLSX,
        OpenApiTypes.BINARY,
    )
    def get(self, request, code: str) -> HttpResponse:
        workbook = BytesIO()
        with use_replica():
            flat_export.write_patients_xlsx(self.patients(code), workbook)
        response = HttpResponse(workbook.getvalue(), content_type=XLSX)
        return self.dated(attachment(response, self.filename(code, "patients") + ".xlsx"))


class DeidentifiedCsvView(StudyDownloadView):
    @download_schema(
        "studies_export_deidentified_csv",
        "The patients CSV made fit to share: pseudonyms instead of study ids, no birth "
        "dates (age at infusion instead), every date as days from the first infusion, no "
        "free text. See registry.deidentified.",
        "text/csv",
        OpenApiTypes.STR,
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        rows = flat_export.iter_patients_csv(self.patients(code), DEIDENTIFIED_COLUMNS)
        return self.streamed(rows, CSV, self.filename(code, "deidentified") + ".csv")
