"""Range validators whose messages name the value in a clinician's words."""

from django.core.validators import MaxValueValidator, MinValueValidator


def between(low: float, high: float, what: str) -> list:
    message = f"{what} must be between {low} and {high}"
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


def not_negative(what: str) -> list:
    return [MinValueValidator(0, message=f"{what} cannot be negative")]


def percent(what: str) -> list:
    message = f"{what} must be a percentage between 0 and 100"
    return [MinValueValidator(0, message=message), MaxValueValidator(100, message=message)]


def grade(what: str) -> list:
    return between(0, 5, f"{what} (ASTCT grade)")


def coded(what: str) -> dict:
    """Error messages for a coded field: the offending value and what the field is."""
    return {"invalid_choice": f"{what}: %(value)r is not one of the allowed codes"}
