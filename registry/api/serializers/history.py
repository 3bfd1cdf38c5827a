"""The API's representation of a patient's audit trail (registry.history)."""

from rest_framework import serializers


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name, as elsewhere in this API")
    old = serializers.JSONField(allow_null=True, help_text="Its value before; null if none")
    new = serializers.JSONField(allow_null=True, help_text="Its value after; null if none")


class HistoryEntrySerializer(serializers.Serializer):
    """One change in a patient's audit trail (registry.history.HistoryEntry)."""

    model = serializers.CharField(
        source="record", help_text="The kind of record, e.g. patient or infusion"
    )
    section = serializers.CharField(
        help_text="Where in the course: patient, or a section such as infusions"
    )
    record_id = serializers.IntegerField(help_text="Id of the record changed")
    action = serializers.ChoiceField(
        choices=["created", "changed", "deleted"], help_text="What was done to the record"
    )
    user = serializers.CharField(
        allow_null=True, help_text="Username of who did it; null when not known"
    )
    date = serializers.DateTimeField(help_text="When")
    reason = serializers.CharField(
        allow_null=True, help_text="The reason for change given; null when none was"
    )
    changes = FieldChangeSerializer(
        many=True,
        help_text="Each value set (created), changed, or held when deleted, with its "
        "value before and after",
    )
