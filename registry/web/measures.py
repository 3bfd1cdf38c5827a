"""Units and windows on the pages as the registry declares them: `{% load measures %}`, then
`{{ record.weight_kg|floatformat:"-1" }} {{ "weight_kg"|unit }}` (registry.units),
`{% icaht_window "early" %}` (registry.icaht) or `{% day_30_assessment %}`
(registry.models.patient)."""

from django import template

from registry.icaht import WINDOWS as ICAHT_WINDOWS
from registry.models.patient import DAY_30_ASSESSMENT
from registry.units import FIELD_UNITS

register = template.Library()


@register.filter
def unit(field_name: str) -> str:
    """The unit a measured field is shown in (registry.units.FIELD_UNITS)."""
    return FIELD_UNITS[field_name].shown


@register.simple_tag
def icaht_window(which: str) -> str:
    """The days of the early or the late ICAHT grade in words: "days 0–30"."""
    return ICAHT_WINDOWS[which]


@register.simple_tag
def day_30_assessment() -> str:
    """Which assessment is the day-30 response, in words."""
    return DAY_30_ASSESSMENT
