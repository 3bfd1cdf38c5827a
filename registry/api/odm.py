"""A study as a CDISC ODM 1.3.2 document (registry.interchange.odm, docs/odm.md): a
snapshot, or with ?since= the changes after a moment. Imported through studies/import/
(registry.api.cohorts) with Content-Type application/xml."""

from datetime import datetime

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes

from registry.api.cohorts import StudyDownloadView, download_schema
from registry.interchange.odm.writer import iter_odm_xml
from registry.parameters import ChangesParams

XML = "application/xml"


class OdmExportView(StudyDownloadView):
    params_class = ChangesParams

    @property
    def since(self) -> datetime | None:
        return self.params.get("since")

    @download_schema(
        "studies_export_odm",
        "The study as one CDISC ODM 1.3.2 document, streamed: Study/MetaDataVersion (one "
        "StudyEventDef per phase of the course, a FormDef and ItemGroupDef per section, an "
        "ItemDef per field with its data type, unit and code list) and ClinicalData with "
        "a SubjectData per patient (SiteRef: the site's code). A snapshot (FileType "
        "Snapshot) holds every patient, and imports back through studies/import/; with "
        "since=, a transactional document (FileType Transactional) holds only what the "
        "audit trail shows changed after that moment: subjects and records marked Insert, "
        "Update or Remove. See docs/odm.md for the OIDs.",
        XML,
        OpenApiTypes.STR,
        params=ChangesParams,
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        odm = iter_odm_xml(self.study(code), self.as_of, self.cutoff, self.since)
        name = self.filename(code, "odm")
        if self.since is not None:
            name += "-changes-since-" + self.since.strftime("%Y%m%dT%H%M%S%z")
        return self.streamed(odm, f"{XML}; charset=utf-8", name + ".xml")
