"""The API's representation of studies and their sites, read-only."""

from rest_framework import serializers

from registry import models as registry
from registry.api.serializers.base import RegistrySerializer


class StudySerializer(RegistrySerializer):
    class Meta:
        model = registry.Study
        fields = [
            "code",
            "title",
            "data_cutoff",
            "is_synthetic",
            "dose_ceiling_post_hct_per_kg",
            "dose_ceiling_per_kg",
            "b_cell_aplasia_threshold_pct",
            "b_cell_aplasia_specimen",
            "car_t_kinetics_specimen",
            "min_cd19_blast_pct",
            "min_bm_blast_pct",
            "max_ecog",
            "requires_prior_murine_cd19",
            "date_format",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "code": {"help_text": "Short code of the study, e.g. HCD19; its address in the API"},
            "date_format": {
                "help_text": "How the study's pages show dates; the API always uses YYYY-MM-DD"
            },
        }


class SiteSerializer(RegistrySerializer):
    study = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Code of the study the site takes part in"
    )

    class Meta:
        model = registry.Site
        fields = ["id", "study", "code", "name"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Site id"},
            "code": {"help_text": "Site code, unique within its study"},
            "name": {"help_text": "Name of the centre"},
        }
