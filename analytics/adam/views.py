"""GET /api/v1/studies/{code}/export/adam/{ADSL|ADTTE|ADAE}.{xpt|json|csv} and
.../export/adam/define.xml (docs/adam.md).

As the other study downloads: only the study's coordinators and administrators export it
(anyone else with a role in it gets 403, others 404); `as_of` reads the data as recorded
on a day. `cutoff` is the analyses' clinical cut-off, the study's own when not given
(`none`: everything recorded), so that the datasets agree with the analytics endpoints
asked without one.
"""

import tempfile

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from analytics import schema
from analytics.adam.define import define_xml
from analytics.adam.derive import adam_dataset
from analytics.adam.formats import CONTENT_TYPES, write
from analytics.adam.variables import DATASETS
from analytics.caching import study_cache
from analytics.exports import dates_headers
from analytics.params import AnalysisRequest
from analytics.results import selected_frame
from registry import access
from registry.http import STUDY_CODE, StudyDataView, exported_study
from registry.models import Study
from registry.parameters import (
    AS_OF_TODAY_WARNING,
    AsOfField,
    CutoffField,
    given_params,
    query_problems,
)


class AdamParams(serializers.Serializer):
    as_of = AsOfField()
    cutoff = CutoffField()


def adam_request(query, user, study: Study) -> AnalysisRequest:
    """The validated dates of a request; a ValidationError naming each bad or unknown one."""
    names = list(AdamParams().fields)
    params = AdamParams(data=given_params(query, names))
    errors = query_problems(query, names)
    if not params.is_valid():
        errors |= params.errors
    if errors:
        raise serializers.ValidationError(errors)
    scope = access.patient_scope(user, study)
    return AnalysisRequest(params.validated_data, None, "", scope, study.data_cutoff)


DATASET_NAME = OpenApiParameter(
    "name", str, OpenApiParameter.PATH, enum=list(DATASETS), description="The ADaM dataset"
)
FILE_FORMAT = OpenApiParameter(
    "file_format",
    str,
    OpenApiParameter.PATH,
    enum=list(CONTENT_TYPES),
    description="xpt: SAS transport version 5; json: CDISC Dataset-JSON 1.1; csv",
)


def documented(operation_id: str, description: str, media_types, path_parameters=()):
    return extend_schema(
        operation_id=operation_id,
        description=description,
        parameters=[STUDY_CODE, *path_parameters, AdamParams, AS_OF_TODAY_WARNING],
        responses={
            **{(200, media_type): OpenApiTypes.BINARY for media_type in media_types},
            400: schema.BAD_PARAMETERS,
            403: OpenApiResponse(description="Your role reads the study but does not export it"),
        },
        tags=["exports"],
    )


class AdamView(StudyDataView):
    def parse(self, code: str) -> tuple[Study, AnalysisRequest]:
        study = exported_study(self.request.user, code)
        return study, adam_request(self.request.query_params, self.request.user, study)


class AdamDatasetView(AdamView):
    @documented(
        "studies_export_adam_dataset",
        "An ADaM dataset of the study: ADSL (a record per patient), ADTTE (a record per "
        "patient and time-to-event parameter: OS, EFS, RFS, CIR, NRM, DOR; AVAL in days, "
        "CNSR 0 the event) or ADAE (a record per patient and toxicity: CRS, ICANS), as a "
        "SAS transport file (version 5), CDISC Dataset-JSON 1.1 or CSV. Derived from the "
        "analysis dataset at the clinical cut-off (the study's by default), as the "
        "analytics endpoints are. See docs/adam.md.",
        sorted({content_type.split(";")[0] for content_type in CONTENT_TYPES.values()}),
        (DATASET_NAME, FILE_FORMAT),
    )
    def get(self, request, code: str, name: str, file_format: str) -> FileResponse:
        study, analysis = self.parse(code)
        found = adam_dataset(
            name, selected_frame(study, study_cache(study), analysis), study.code, analysis.cutoff
        )
        # Written to a temporary file and sent from it, a chunk at a time.
        file = tempfile.TemporaryFile()
        write(found, DATASETS[name], file_format, file, study_code=study.code)
        file.seek(0)
        response = FileResponse(
            file,
            as_attachment=True,
            filename=f"{study.code}-{name.lower()}.{file_format}",
            content_type=CONTENT_TYPES[file_format],
        )
        return dates_headers(response, analysis.dates)


class AdamDefineView(AdamView):
    @documented(
        "studies_export_adam_define",
        "The Define-XML 2.1 document describing the ADaM datasets: each dataset's class, "
        "structure and keys, each variable's label, type, length, derivation and code list.",
        ["application/xml"],
    )
    def get(self, request, code: str) -> HttpResponse:
        study, analysis = self.parse(code)
        response = HttpResponse(
            define_xml(study.code, study.title), content_type="application/xml; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{study.code}-define.xml"'
        return dates_headers(response, analysis.dates)
