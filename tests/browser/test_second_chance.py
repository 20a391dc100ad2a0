"""A second chance everywhere, in Chromium: Tout arrêter (Shift+Z), Annuler on archive (`z`),
Envoyer un correctif from Sent."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from tests.mailbox.conftest import build
from tests.outbox.conftest import messages_in, state_of, wait_for
from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery,
              pytest.mark.django_db(transaction=True)]

LETTER = "Bonjour,\n\nCi-dessous le planning de la semaine prochaine, Zażółć gęślą jaźń, مرحبا.\n" * 20


def _queue(user, to, subject, in_seconds, scheduled=False):
    composition = Composition.objects.create(user=user, to=to, subject=subject, body=LETTER)
    return service.queue(composition, send_at=timezone.now() + timedelta(seconds=in_seconds), scheduled=scheduled)


def test_tout_arreter_with_two_in_their_window_and_one_scheduled(page, sign_in, mail_user, make_mail_user, imap,
                                                                 smtp_server, celery_worker, screenshot):
    bob = make_mail_user("bob")
    sign_in(mail_user)
    alice = get_user_model().objects.get(username=mail_user.email.lower())
    window = [_queue(alice, bob.email, subject, 25) for subject in ("Planning — version fausse", "Planning (suite)")]
    scheduled = _queue(alice, bob.email, "Invitation : séminaire de Kraków", 86400, scheduled=True)

    page.goto(page.base_url + "/mail/")
    expect(page.get_by_role("status").filter(has_text="Envoi dans")).to_have_count(2)
    page.locator("body").press("Shift+Z")
    expect(page.get_by_role("heading", name="Tout arrêter", exact=True)).to_be_visible()
    expect(page.get_by_text("2 envois arrêtés : les messages sont de nouveau dans Brouillons.")).to_be_visible()
    expect(page.get_by_text("Invitation : séminaire de Kraków")).to_be_visible()
    assert [state_of(m) for m in window] == [State.CANCELLED, State.CANCELLED]
    assert state_of(scheduled) == State.PENDING
    screenshot("stop-everything-confirm")

    page.get_by_role("button", name="Arrêter ce message programmé").click()
    expect(page.get_by_text("2 envois arrêtés, 1 message programmé remis dans Brouillons.")).to_be_visible()
    screenshot("stop-everything-done")
    assert state_of(scheduled) == State.CANCELLED
    assert len(messages_in(imap, mail_user, "Drafts")) == 3
    time.sleep(1)
    assert all(not smtp_server.messages_with_id(m.message_id) for m in OutboxMessage.objects.all())
    assert messages_in(imap, bob) == []


def test_shortcut_for_tout_arreter_is_in_the_help(page, sign_in, mail_user):
    sign_in(mail_user)
    page.goto(page.base_url + "/mail/")
    page.locator("body").press("?")
    help_dialog = page.get_by_role("dialog", name="Raccourcis clavier")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_text("Tout arrêter : tous les messages qui ne sont pas encore partis")).to_be_visible()
    expect(help_dialog.get_by_text("Annuler la dernière action ou le dernier envoi")).to_be_visible()


def test_archive_then_annuler_puts_it_back_with_its_flags(page, sign_in, mail_user, imap, screenshot):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [build(subject="Facture n° 2027-114", body=LETTER),
                                      build(subject="Spotkanie w piątek", body=LETTER)])
        first, second = mailbox.search("INBOX", ["ALL"])
        mailbox.set_flag("INBOX", [second], "\\Flagged", True)
    sign_in(mail_user)
    page.goto(page.base_url + "/mail/")
    row = page.locator("li.message", has_text="Spotkanie w piątek")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Archiver").first.click()
    toast = page.get_by_role("status").filter(has_text="1 message archivé.")  # said once: by the toast
    expect(toast).to_be_visible()
    expect(toast.get_by_role("button", name="Annuler")).to_be_visible()
    expect(page.locator("li.message", has_text="Spotkanie w piątek")).to_have_count(0)
    screenshot("archive-undo-toast")

    page.locator("body").press("z")
    expect(page.get_by_text("1 message remis en place.")).to_be_visible()
    expect(page.locator("li.message", has_text="Spotkanie w piątek")).to_have_count(1)
    with imap(mail_user) as mailbox:
        uids = mailbox.search("INBOX", ["ALL"])
        assert len(uids) == 2 and mailbox.search("Archive", ["ALL"]) == []
        assert mailbox.search("INBOX", ["FLAGGED"]) == [max(uids)], "the star came back with it"
        assert mailbox.search("INBOX", ["UNSEEN"]) == uids, "still unread"


def test_envoyer_un_correctif_from_sent(page, sign_in, mail_user, make_mail_user, settings, celery_worker,
                                       smtp_server, imap, screenshot):
    settings.OUTBOX_DELAY_OVERRIDE = 0.5
    bob, carol = make_mail_user("bob"), make_mail_user("carol")
    sign_in(mail_user)
    alice = get_user_model().objects.get(username=mail_user.email.lower())
    composition = Composition.objects.create(user=alice, to=bob.email, cc=carol.email, subject="Planning",
                                             body=LETTER)
    original = service.queue(composition)
    wait_for(lambda: OutboxMessage.objects.get(pk=original.pk).filed)
    original.refresh_from_db()

    page.goto(f"{page.base_url}/mail/{original.sent_uid}/?folder={original.sent_folder}")
    screenshot("correction-button")
    page.get_by_role("navigation", name="Répondre").get_by_role("button", name="Envoyer un correctif").click()
    expect(page).to_have_url(re.compile(r"/ecrire/[0-9a-f-]+/$"))
    expect(page.get_by_label("À", exact=True)).to_have_value(bob.email)
    expect(page.get_by_label("Cc", exact=True)).to_have_value(carol.email)
    expect(page.get_by_label("Objet")).to_have_value("Correctif : Planning")
    screenshot("correction-compose")


def _sent_and_filed(alice, to, subject):
    original = service.queue(Composition.objects.create(user=alice, to=to, subject=subject, body=LETTER))
    wait_for(lambda: OutboxMessage.objects.get(pk=original.pk).filed, timeout=30)
    original.refresh_from_db()
    return original


def test_a_follow_up_that_fires_and_one_a_reply_cancels(page, sign_in, mail_user, make_mail_user, settings,
                                                        celery_worker, smtp_server, imap, screenshot):
    from email.message import EmailMessage

    from webmail.reminders import service as reminders
    from webmail.reminders.models import FollowUp

    settings.OUTBOX_DELAY_OVERRIDE = 0.5
    bob = make_mail_user("bob")
    sign_in(mail_user)
    alice = get_user_model().objects.get(username=mail_user.email.lower())
    silent = _sent_and_filed(alice, bob.email, "Devis refonte — 18 400 €")
    answered = _sent_and_filed(alice, bob.email, "Réunion de lancement")
    for sent in (silent, answered):
        page.goto(f"{page.base_url}/mail/{sent.sent_uid}/?folder={sent.sent_folder}")
        page.get_by_label("Me le rappeler s’il n’y a pas de réponse").select_option("1")
        page.get_by_role("button", name="Me le rappeler", exact=True).click()
        expect(page.get_by_text("Sans réponse, ce message reviendra en haut de votre boîte de réception")).to_be_visible()
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = bob.email, mail_user.email, "Re: Réunion de lancement"
    reply["In-Reply-To"] = answered.message_id
    reply.set_content("Parfait, à mardi.")
    with imap(mail_user) as mailbox:
        mailbox.append("INBOX", reply.as_bytes())

    FollowUp.objects.update(due_at=timezone.now())
    for row in FollowUp.objects.all():
        reminders.check_follow_up(row.pk)
    page.goto(page.base_url + "/mail/")
    banner = page.get_by_role("region", name="Toujours pas de réponse")
    expect(banner.get_by_text("Pas de réponse à « Devis refonte — 18 400 € »")).to_be_visible()
    expect(banner.get_by_text("Réunion de lancement")).to_have_count(0)
    screenshot("follow-up-fired")
    banner.get_by_role("button", name="Relancer").click()
    expect(page.get_by_label("Objet")).to_have_value("Re : Devis refonte — 18 400 €")
    expect(page.get_by_label("À", exact=True)).to_have_value(bob.email)


def test_a_snoozed_message_comes_back(page, sign_in, mail_user, imap, screenshot):
    from webmail.reminders import service as reminders
    from webmail.reminders.models import Snooze

    with imap(mail_user) as mailbox:
        mailbox.append("INBOX", b"Message-ID: <relance-urssaf@example.fr>\n"
                       + build(subject="Échéance URSSAF du 15", body=LETTER))
        [uid] = mailbox.search("INBOX", ["ALL"])
    sign_in(mail_user)
    page.goto(f"{page.base_url}/mail/{uid}/?folder=INBOX")
    page.locator(".snooze-menu summary").click()
    screenshot("snooze-menu")
    page.locator(".snooze-menu .preset").first.click()
    expect(page.get_by_text(re.compile("Reporté à .*: il reviendra dans votre boîte de réception, non lu."))) \
        .to_be_visible()
    expect(page.locator("li.message", has_text="Échéance URSSAF du 15")).to_have_count(0)

    Snooze.objects.update(wake_at=timezone.now())
    assert reminders.wake(Snooze.objects.get().pk) == Snooze.State.WOKEN
    page.goto(page.base_url + "/mail/")
    back = page.locator("li.message", has_text="Échéance URSSAF du 15")
    expect(back).to_have_count(1)
    expect(back).to_have_class(re.compile("unread"))
