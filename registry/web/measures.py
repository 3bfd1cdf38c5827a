"""Units on the pages as registry.units declares them: `{% load measures %}`, then
`{{ record.weight_kg|floatformat:"-1" }} {{ "weight_kg"|unit }}`."""

from django import template

from registry.units import FIELD_UNITS

register = template.Library()


@register.filter
def unit(field_name: str) -> str:
    """The unit a measured field is shown in (registry.units.FIELD_UNITS)."""
    return FIELD_UNITS[field_name].shown
