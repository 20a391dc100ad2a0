"""The operations tests reuse the outbox tests' fixtures (short cancel windows, a second account)."""

import pytest

from tests.outbox.conftest import bob, short_delay  # noqa: F401  (fixtures)


@pytest.fixture
def alice(signed_in_client):
    """The signed-in test user, as a Django user (the service functions take one)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=signed_in_client.mail_user.email.lower())
