"""Pre-send checks at the level the user sees them: the dialog, Modifier, Envoyer quand même."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import preferences_data
from webmail.compose.models import Composition
from webmail.outbox.models import OutboxMessage

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def _post(client, url, **fields):
    data = {"to": "bob@example.test", "cc": "", "bcc": "", "subject": "Facture de novembre",
            "body": "Bonjour Bob,\n\nVous trouverez ci-joint la facture.\n\nAlice", "action": "send"}
    data.update(fields)
    return client.post(url, data)


def _new(client) -> str:
    return client.get("/ecrire/").url


def test_a_forgotten_attachment_opens_the_dialog_and_nothing_is_sent(signed_in_client):
    url = _new(signed_in_client)
    response = _post(signed_in_client, url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-labelledby="checks-title"' in html
    assert re.search("Avant d(&#x27;|')envoyer", html)
    assert "ci-joint" in html
    assert "Envoyer quand même" in html and "Modifier" in html
    assert not OutboxMessage.objects.exists()


def test_modifier_returns_to_compose_with_nothing_lost(signed_in_client):
    url = _new(signed_in_client)
    _post(signed_in_client, url, subject="Facture n° 114")
    page = signed_in_client.get(url).content.decode()
    assert 'value="Facture n° 114"' in page and "Vous trouverez ci-joint la facture." in page
    assert "checks-title" not in page


def test_envoyer_quand_meme_leads_to_the_normal_undo_window(signed_in_client, settings):
    settings.OUTBOX_DELAY_OVERRIDE = 30
    url = _new(signed_in_client)
    _post(signed_in_client, url)
    response = signed_in_client.post(url, {"confirmed": "1", "action": "send"})
    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    assert outbox.subject == "Facture de novembre" and outbox.state == "pending"
    assert "Envoi dans" in signed_in_client.get("/mail/").content.decode()


def test_a_clean_message_goes_straight_to_the_outbox(signed_in_client):
    url = _new(signed_in_client)
    response = _post(signed_in_client, url, body="Bonjour Bob,\n\nMerci pour ton aide hier.\n\nAlice")
    assert response.status_code == 302
    assert OutboxMessage.objects.count() == 1


def test_a_mistyped_domain_is_fixed_in_one_click(signed_in_client):
    url = _new(signed_in_client)
    response = _post(signed_in_client, url, to="marie@gmial.com", body="Bonjour Marie, à demain.")
    html = response.content.decode()
    assert "marie@gmail.com" in html
    signed_in_client.post(url, {"action": "fix_address", "address": "marie@gmial.com",
                                "suggestion": "marie@gmail.com"})
    assert Composition.objects.get().to == "marie@gmail.com"
    assert _post(signed_in_client, url, to="marie@gmail.com", body="Bonjour Marie, à demain.").status_code == 302


def test_unfilled_placeholders_are_caught_in_subject_and_body(signed_in_client):
    url = _new(signed_in_client)
    html = _post(signed_in_client, url, subject="Offre pour {{company}}", body="Cher <FirstName>,\n\nà bientôt.").content.decode()
    assert "&lt;FirstName&gt;" in html and "{{company}}" in html
    assert not OutboxMessage.objects.exists()


def test_a_check_switched_off_in_settings_no_longer_fires(signed_in_client):
    signed_in_client.post("/parametres/", preferences_data(check_attachment=None))
    url = _new(signed_in_client)
    assert _post(signed_in_client, url).status_code == 302


def test_sending_outside_office_hours_suggests_scheduling(signed_in_client):
    today = datetime.now(ZoneInfo("Europe/Paris")).weekday()
    other_days = [str(day) for day in range(7) if day != today]
    signed_in_client.post("/parametres/", preferences_data(working_days=other_days, off_hours_nudge="on"))
    url = _new(signed_in_client)
    html = _post(signed_in_client, url, body="Bonjour Bob, merci pour hier.").content.decode()
    assert "Programmer pour" in html and "Il est" in html
    response = signed_in_client.post(url, {"confirmed": "1", "schedule_at": _preset_in(html)})
    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    assert outbox.scheduled
    assert outbox.deadline.astimezone(ZoneInfo("Europe/Paris")).weekday() != today


def test_the_nudge_can_be_switched_off(signed_in_client):
    today = datetime.now(ZoneInfo("Europe/Paris")).weekday()
    other_days = [str(day) for day in range(7) if day != today]
    signed_in_client.post("/parametres/", preferences_data(working_days=other_days, off_hours_nudge=None))
    url = _new(signed_in_client)
    assert _post(signed_in_client, url, body="Bonjour Bob, merci pour hier.").status_code == 302


def _preset_in(html: str) -> str:
    return re.search(r'name="schedule_at" value="([a-z_]+)" class="button">Programmer pour', html).group(1)
