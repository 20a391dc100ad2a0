"""Failure toasts in a real browser (issue 15, part 2): they never hide the undo toast of a message
being sent, and never lie over a control the user needs. Clicks are Playwright's normal ones, which
fail when another element would receive the click."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.conftest import make_every_day_a_working_day
from tests.outbox.outcomes import refused_sends

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery,
              pytest.mark.django_db(transaction=True)]


def _user(mail_user):
    return get_user_model().objects.get(username=mail_user.email.lower())


def _write(page, to: str, subject: str, body: str) -> None:
    page.goto(page.base_url + "/ecrire/")
    page.get_by_label("À", exact=True).fill(to)
    page.get_by_label("Objet").fill(subject)
    page.get_by_label("Message", exact=True).fill(body)


def test_with_ten_failures_open_a_new_send_shows_its_undo_toast_and_annuler_works(
    page, sign_in, mail_user, make_mail_user, settings, celery_worker, screenshot
):
    bob = make_mail_user("bob")
    sign_in(mail_user)
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    refused_sends(_user(mail_user), 10)
    settings.OUTBOX_DELAY_OVERRIDE = 20

    _write(page, f"{bob.email}, compta@example.test", "Devis de novembre — version signée",
           "Bonjour Bob,\n\nVoici le devis signé pour le lot plâtrerie.\n\nAlice")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    undo_toast = page.get_by_role("status").filter(has_text="Envoi dans")
    expect(undo_toast).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="8 autres envois ont échoué")).to_be_visible()
    screenshot("toasts-folded-failures")
    undo = undo_toast.get_by_role("button", name="Annuler")
    expect(undo).to_be_in_viewport(ratio=1)  # in view as the page opens, not scrolled away in the region
    undo.click()
    expect(page).to_have_url(re.compile(r"/ecrire/[0-9a-f-]+/$"))
    expect(page.get_by_text("Envoi annulé")).to_be_visible()
    expect(page.get_by_label("Objet")).to_have_value("Devis de novembre — version signée")

    # "Voir": the Boîte d'envoi lists the ten failures with their reason and a way back to each draft.
    page.get_by_role("status").filter(has_text="8 autres envois ont échoué").get_by_role("link", name="Voir").click()
    recent = page.locator("#recent-outcomes li")
    expect(recent).to_have_count(10)
    expect(recent.first).to_contain_text("550 5.1.1 No such user here")
    screenshot("outbox-recent-failures")
    recent.first.get_by_role("link", name="Ouvrir le brouillon").click()
    expect(page).to_have_url(re.compile(r"/ecrire/[0-9a-f-]+/$"))


def test_with_three_failure_toasts_open_demain_matin_can_be_clicked(
    page, sign_in, mail_user, make_mail_user, celery_worker, screenshot
):
    bob = make_mail_user("bob")
    sign_in(mail_user)
    make_every_day_a_working_day(page)
    refused_sends(_user(mail_user), 3)

    _write(page, f"{bob.email}, secretariat@example.test", "Point budget de demain",
           "Bonjour Bob,\n\nOn fait le point sur le budget demain matin ?\n\nAlice")
    expect(page.locator("#toasts .toast")).to_have_count(3)
    page.get_by_text("Programmer l'envoi").click()
    preset = page.get_by_role("button", name=re.compile("Demain matin"))
    screenshot("schedule-menu-with-failure-toasts")
    preset.click(timeout=5_000)
    expect(page.get_by_role("status").filter(has_text="Envoi programmé pour demain 08:00")).to_be_visible()
