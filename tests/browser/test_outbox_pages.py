"""The Boîte d'envoi in a real browser: it counts down in seconds and follows the message until it has
left, without a reload (issue 14: it stayed on "part dans 0 minute" and Annuler after the send)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import write

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery,
              pytest.mark.django_db(transaction=True)]


def test_boite_d_envoi_counts_down_then_the_message_leaves_the_list(page, sign_in, mail_user, make_mail_user,
                                                                     settings, celery_worker, screenshot):
    settings.OUTBOX_DELAY_OVERRIDE = 8
    bob = make_mail_user("bob")
    sign_in(mail_user)
    write(page, bob.email, "Procès-verbal du conseil — Łódź", "Bonjour Bob,\n\nLe procès-verbal est validé.\n\nAlice")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("status").filter(has_text="Envoi dans")).to_be_visible()

    page.goto(page.base_url + "/envoi/")
    item = page.locator(".outbox-item").filter(has_text="Procès-verbal du conseil")
    countdown = item.locator(".countdown")
    expect(countdown).to_have_text(re.compile(r"^part dans \d s$"))
    first = int(re.search(r"\d+", countdown.inner_text()).group())
    page.wait_for_timeout(1300)
    assert int(re.search(r"\d+", countdown.inner_text()).group()) < first, "the countdown moves"
    expect(item.get_by_role("button", name="Annuler")).to_be_visible()

    # The list follows the server: once the message has left it is gone, Annuler with it.
    expect(item).to_have_count(0, timeout=20_000)
    expect(page.get_by_text("Aucun message en attente d'envoi.")).to_be_visible()
    expect(page.locator(".outbox-item").get_by_role("button", name="Annuler")).to_have_count(0)
