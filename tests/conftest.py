import pytest
from django.contrib.auth.models import User


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("admin", "admin@example.org", "correct-horse-battery")
