"""The Django admin as an operator sees it: accounts and outbox entries, read-only, without message
content, recipients or credentials."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from webmail.accounts.models import MailAccount
from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = pytest.mark.django_db

SUBJECT = "Augmentation de salaire confidentielle"
BODY = "Le montant proposé est de 4 200 euros"
RECIPIENT = "direction@example.test"
PASSWORD = "mot-de-passe-imap-secret"


@pytest.fixture
def operator(client):
    admin = get_user_model().objects.create_superuser("ops", "ops@example.test", "ops-password")
    client.force_login(admin)
    return client


@pytest.fixture
def queued():
    user = get_user_model().objects.create_user("erin@example.test")
    account = MailAccount(user=user, email="erin@example.test")
    account.set_password(PASSWORD)
    account.save()
    composition = Composition.objects.create(user=user, to=RECIPIENT, subject=SUBJECT, body=BODY)
    outbox = service.queue(composition, send_at=timezone.now() + timedelta(hours=2), scheduled=True)
    OutboxMessage.objects.filter(pk=outbox.pk).update(last_error=f"refused: {RECIPIENT}")
    return outbox


def _secrets_absent(html: str) -> None:
    for text in (SUBJECT, BODY, RECIPIENT, PASSWORD, "gAAAAA"):  # gAAAAA: how every Fernet token starts
        assert text not in html, f"{text!r} is visible in the admin"


def test_the_outbox_changelist_shows_states_and_times_but_no_content(operator, queued):
    response = operator.get("/admin/outbox/outboxmessage/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "erin@example.test" in html and f"/admin/outbox/outboxmessage/{queued.pk}/change/" in html
    _secrets_absent(html)
    assert operator.get("/admin/outbox/outboxmessage/?state__exact=pending&scheduled__exact=1").status_code == 200


def test_an_outbox_entry_opens_read_only_with_addresses_masked_in_the_error(operator, queued):
    response = operator.get(f"/admin/outbox/outboxmessage/{queued.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "refused: &lt;address&gt;" in html
    assert queued.message_id.strip("<>") in html  # operational: matches the SMTP server's logs
    _secrets_absent(html)
    assert 'name="_save"' not in html, "read-only: no save button"


def test_operators_cannot_add_change_or_delete_outbox_entries(operator, queued):
    assert operator.get("/admin/outbox/outboxmessage/add/").status_code == 403
    assert operator.post(f"/admin/outbox/outboxmessage/{queued.pk}/change/", {"state": "sent"}).status_code == 403
    assert operator.post(f"/admin/outbox/outboxmessage/{queued.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutboxMessage.objects.get(pk=queued.pk).state == State.PENDING


def test_mail_accounts_are_read_only_and_never_show_the_stored_password(operator, queued):
    changelist = operator.get("/admin/accounts/mailaccount/")
    assert changelist.status_code == 200 and "erin@example.test" in changelist.content.decode()
    account = MailAccount.objects.get(email="erin@example.test")
    detail = operator.get(f"/admin/accounts/mailaccount/{account.pk}/change/")
    assert detail.status_code == 200
    _secrets_absent(detail.content.decode())
    assert operator.get("/admin/accounts/mailaccount/add/").status_code == 403
