"""What a model's validation refuses, for tests of its rules."""

import pytest
from django.core.exceptions import ValidationError


def errors_of(instance) -> dict[str, list[str]]:
    """The messages by field of the ValidationError full_clean raises; it must raise one."""
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict
