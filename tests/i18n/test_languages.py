"""Arabic and Polish as a user meets them: the language chosen in Paramètres (else the browser's),
plural forms, dates, the digits of Arabic, and the subject prefixes of replies and forwards."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, translation
from django.utils.translation import ngettext

from tests.helpers import preferences_data
from webmail.compose import replies
from webmail.mailbox.conversations import strip_prefixes
from webmail.preferences import digits
from webmail.preferences.models import Preferences


@pytest.mark.parametrize(("language", "counts"), [
    ("pl", {1: "1 wiadomość", 2: "2 wiadomości", 5: "5 wiadomości", 22: "22 wiadomości", 112: "112 wiadomości"}),
    ("ar", {0: "لا رسائل", 1: "رسالة واحدة", 2: "رسالتان", 3: "3 رسائل", 11: "11 رسالة", 100: "100 رسالة"}),
])
def test_plural_forms_follow_each_language(language, counts):
    with translation.override(language):
        for n, expected in counts.items():
            assert ngettext("%(n)s message", "%(n)s messages", n) % {"n": n} == expected


def test_polish_few_and_many_differ():
    with translation.override("pl"):
        archived = {n: ngettext("%(n)d message archived.", "%(n)d messages archived.", n) % {"n": n} for n in (1, 3, 5, 24)}
    assert archived == {1: "1 wiadomość zarchiwizowana.", 3: "3 wiadomości zarchiwizowane.",
                        5: "5 wiadomości zarchiwizowanych.", 24: "24 wiadomości zarchiwizowane."}


def test_dates_are_written_in_each_language():
    moment = datetime(2026, 11, 30, 9, 5, tzinfo=ZoneInfo("Europe/Warsaw"))
    with translation.override("pl"):
        assert formats.date_format(moment, "l, j E Y") == "Poniedziałek, 30 listopada 2026"
    with translation.override("ar"):
        assert formats.date_format(moment, "l j F Y") == "الاثنين 30 نوفمبر 2026"


@pytest.mark.parametrize(("language", "preference", "expected"), [
    ("ar", "", "09:05"),  # Arabic's default since CLDR 42, and Django's: Western digits
    ("ar", "latn", "09:05"),
    ("ar", "arab", "٠٩:٠٥"),
    ("fr", "arab", "09:05"),  # the choice is about Arabic only
])
def test_digits_follow_the_choice_in_arabic(language, preference, expected):
    token = digits.activate(digits.choose(language, preference))
    try:
        assert digits.shape("09:05") == expected
    finally:
        digits.deactivate(token)


@pytest.mark.parametrize(("language", "original", "reply", "forward"), [
    ("fr", "RE: Odp: رد: Réunion budget", "Re : Réunion budget", "Tr : Réunion budget"),
    ("pl", "Re: RE[2]: TR: Spotkanie zarządu", "Odp: Spotkanie zarządu", "PD: Spotkanie zarządu"),
    ("ar", "Odp: Fwd: رد: اجتماع الفريق", "رد: اجتماع الفريق", "إعادة توجيه: اجتماع الفريق"),
    ("ar", "إعادة توجيه:\u200f رد: تقرير 2026", "رد: تقرير 2026", "إعادة توجيه: تقرير 2026"),
    ("en", "Re : Re: PD: Budget", "Re: Budget", "Fwd: Budget"),
])
def test_reply_and_forward_prefixes_follow_the_language_and_never_stack(language, original, reply, forward):
    with translation.override(language):
        assert replies.reply_subject(original) == reply
        assert replies.forward_subject(original) == forward
        # Replying to the reply, in any language, still says it once.
        assert replies.reply_subject(replies.reply_subject(original)) == reply
    for other in ("fr", "pl", "ar", "en"):
        with translation.override(other):
            assert strip_prefixes(replies.reply_subject(original)) == strip_prefixes(original)


def test_subjects_that_only_look_like_prefixes_are_kept():
    for subject in ("Relance: facture 118", "Trip: Kraków", "Podsumowanie: Q3", "ردود العملاء: ملخص"):
        assert strip_prefixes(subject) == subject


def test_reply_lines_are_written_in_the_users_language():
    with translation.override("pl"):
        assert replies.forward_subject("Oferta") == "PD: Oferta"
        assert translation.gettext("On %(date)s, %(sender)s wrote:") % {"date": "1 grudnia", "sender": "Ola"} == \
            "1 grudnia, Ola napisał(a):"
    with translation.override("ar"):
        assert translation.gettext("---------- Forwarded message ----------") == "---------- رسالة مُعاد توجيهها ----------"


@pytest.mark.imap
@pytest.mark.django_db
class TestLanguageChoice:
    def test_the_browser_language_is_the_default(self, signed_in_client):
        page = signed_in_client.get("/parametres/", headers={"accept-language": "pl-PL,pl;q=0.9"})
        assert page.headers["Content-Language"] == "pl"
        assert '<html lang="pl" dir="ltr"' in page.content.decode()
        assert "Ustawienia" in page.content.decode()
        arabic = signed_in_client.get("/parametres/", headers={"accept-language": "ar"})
        assert '<html lang="ar" dir="rtl"' in arabic.content.decode()

    def test_the_language_chosen_in_settings_wins_everywhere(self, signed_in_client):
        response = signed_in_client.post("/parametres/", preferences_data(language="ar"),
                                         headers={"accept-language": "fr-FR"})
        assert response.status_code == 302
        page = signed_in_client.get("/parametres/", headers={"accept-language": "fr-FR"})
        assert page.headers["Content-Language"] == "ar"
        assert "حُفظت الإعدادات." in page.content.decode()
        assert '<html lang="ar" dir="rtl"' in page.content.decode()

        signed_in_client.post("/parametres/", preferences_data(language=""))
        page = signed_in_client.get("/parametres/", headers={"accept-language": "fr-FR"})
        assert page.headers["Content-Language"] == "fr"

    def test_an_unknown_language_is_refused_with_a_message(self, signed_in_client):
        response = signed_in_client.post("/parametres/", preferences_data(language="xx", theme="purple", digits="roman"))
        assert response.status_code == 400
        assert response.content.decode().count('class="field-error"') == 3

    def test_the_settings_page_names_each_language_in_its_own_tongue(self, signed_in_client):
        page = signed_in_client.get("/parametres/").content.decode()
        for name in ("Français", "English", "العربيّة", "Polski"):
            assert f">{name}</option>" in page

    def test_theme_and_digits_reach_the_page(self, signed_in_client, mail_user):
        signed_in_client.post("/parametres/", preferences_data(language="ar", theme="dark", digits="arab"))
        page = signed_in_client.get("/parametres/").content.decode()
        assert 'data-theme="dark"' in page and 'data-digits="arab"' in page
        assert '<meta name="color-scheme" content="dark">' in page
        signed_in_client.post("/parametres/", preferences_data(language="fr", theme="", digits="arab"))
        page = signed_in_client.get("/parametres/").content.decode()
        assert "data-theme" not in page and "data-digits" not in page  # French: Western digits
        assert '<meta name="color-scheme" content="light dark">' in page

    def test_saving_settings_is_a_post(self, signed_in_client):
        assert signed_in_client.put("/parametres/").status_code == 405

    def test_stored_on_the_row(self, signed_in_client, mail_user):
        signed_in_client.post("/parametres/", preferences_data(language="pl", theme="light", digits="latn"))
        preferences = Preferences.objects.get(user__username=mail_user.email.lower())
        assert (preferences.language, preferences.theme, preferences.digits) == ("pl", "light", "latn")

    def test_arabic_indic_digits_in_the_list_and_the_pane_but_not_in_subjects(self, signed_in_client, mail_user, imap):
        from tests.browser.test_accessibility import _mail

        with imap(mail_user) as mailbox:
            mailbox.append_many("INBOX", [_mail("فاتورة 2026-118", "سارة <sara@example.test>", "المبلغ 1500 يورو")])
        signed_in_client.post("/parametres/", preferences_data(language="ar", digits="arab"))
        listing = signed_in_client.get("/mail/").content.decode()
        row_time = re.search(r'<time datetime="[^"]+">([^<]+)</time>', listing).group(1)
        assert re.fullmatch(r"[٠-٩]{2}:[٠-٩]{2}", row_time), row_time
        assert "فاتورة 2026-118" in listing  # what the sender wrote stays as written
        uid = re.search(r'href="/mail/(\d+)/', listing).group(1)
        pane = signed_in_client.get(f"/mail/{uid}/").content.decode()
        assert re.search(r'<dd><time datetime="[^"]+">[^<0-9]*[٠-٩]{4}', pane)

        signed_in_client.post("/parametres/", preferences_data(language="ar", digits=""))
        listing = signed_in_client.get("/mail/").content.decode()
        assert re.search(r'<time datetime="[^"]+">\d{2}:\d{2}</time>', listing)  # the default: Western digits
