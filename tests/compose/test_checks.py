"""Pre-send checks (issue 6): real sentences in French, English, Polish and Arabic, firing and not."""

import dataclasses

import pytest
from django.template.defaultfilters import filesizeformat
from django.utils import translation

from webmail.compose.checks import CheckSettings, Draft, Finding, run_checks

ALL_ON = CheckSettings()


def draft(body: str = "", subject: str = "Compte rendu de la réunion du 4 mars", **fields) -> Draft:
    values = {
        "to": ["marie.dupont@acme.fr"],
        "cc": [],
        "bcc": [],
        "subject": subject,
        "body": body,
        "attachment_names": [],
        "attachments_bytes": 0,
        "is_reply_all": False,
    }
    values.update(fields)
    return Draft(**values)


def findings(d: Draft, settings: CheckSettings = ALL_ON, **kwargs) -> dict[str, Finding]:
    return {finding.code: finding for finding in run_checks(d, settings, **kwargs)}


def codes(d: Draft, settings: CheckSettings = ALL_ON, **kwargs) -> list[str]:
    return [finding.code for finding in run_checks(d, settings, **kwargs)]


def people(count: int, *domains: str) -> list[str]:
    return [f"person{i}@{domains[i % len(domains)]}" for i in range(count)]


# Forgotten attachment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("Bonjour Marie,\n\nVous trouverez ci-joint le devis signé.\n\nBien à vous,\nPaul", "ci-joint"),
        ("Ci-jointe la facture de mars, à régler sous 30 jours.", "Ci-jointe"),
        ("Je vous joins le planning de la semaine prochaine.", "Je vous joins"),
        ("Voir PJ pour le détail des frais.", "PJ"),
        ("Je t'envoie le fichier en P.J. comme convenu.", "P.J."),
        ("Le contrat complet est en annexe.", "en annexe"),
        ("Les pièces jointes sont à signer avant vendredi.", "pièces jointes"),
        ("Merci de relire la PIÈCE JOINTE avant la réunion.", "PIÈCE JOINTE"),
        ("Voir la piece jointe (clavier sans accents).", "piece jointe"),
        ("Please find attached the minutes of today's meeting.", "attached"),
        ("I attach the signed contract for your records.", "I attach"),
        ("The attachment contains the Q3 figures.", "attachment"),
        ("Enclosed is my CV for the developer position.", "Enclosed"),
        ("W załączeniu przesyłam fakturę za marzec.", "załączeniu"),
        ("Załączam poprawioną wersję umowy.", "Załączam"),
        ("Przesylam zalacznik z harmonogramem.", "zalacznik"),
        ("Proszę sprawdzić załączniki przed spotkaniem.", "załączniki"),
        ("تجدون في المرفق التقرير الشهري.", "المرفق"),
        ("أرفقت لكم العقد الموقع.", "أرفقت"),
        ("يرجى مراجعة الملف مُرفقاً مع هذه الرسالة.", "مُرفقاً"),
        ("والمرفقات تحتوي على التفاصيل.", "والمرفقات"),
        ("The report is attached to this email.", "attached"),
        ("Pas de souci, ci-joint le devis corrigé.", "ci-joint"),
        ("Sorry, I forgot the attachment!", "attachment"),
    ],
)
def test_a_mention_without_an_attachment_fires(body, word):
    found = findings(draft(body))
    assert found["attachment"].details == {"word": word}


def test_the_subject_is_checked_too():
    assert findings(draft("Bonjour, voici la facture de mars.", subject="PJ : facture"))[
        "attachment"
    ].details == {"word": "PJ"}


def test_nothing_fires_once_something_is_attached():
    d = draft("Vous trouverez ci-joint le devis.", attachment_names=["devis.pdf"], attachments_bytes=120_000)
    assert codes(d) == []


@pytest.mark.parametrize(
    "body",
    [
        "Je vous écris sans pièce jointe : tout est dans le texte.",
        "Il n'y a pas de pièce jointe cette fois-ci.",
        "Aucune pièce jointe n'est nécessaire.",
        "Réponse rapide, sans aucune PJ.",
        "Je n'ai pas mis de pièce jointe, tout est dans le lien.",
        "Pas besoin de PJ, le tableau est dans le texte.",
        "Pièces jointes : aucune.",
        "Short note, no attachment needed.",
        "Sent from my phone without any attachments.",
        "Nothing is attached, the link is below.",
        "Krótka wiadomość, bez załącznika.",
        "Załączniki: brak.",
        "رسالة قصيرة بدون مرفق.",
        "لا يوجد مرفق لهذه الرسالة.",
    ],
)
def test_negations_do_not_fire(body):
    assert codes(draft(body)) == []


@pytest.mark.parametrize(
    "body",
    [
        "Le projet PJM avance bien.",
        "Le projet avance, on se voit jeudi.",
        "The old barn stands unattached to the house.",
        "I'm really attached to this idea.",
        "Attachez vos ceintures, le trimestre sera chargé.",
        "Nous rejoindrons l'équipe à Lyon.",
        "Trzeba to załatwić do piątku.",
        "Écrivez à pj@acme.fr pour les congés.",
        "Le fichier est sur https://intranet.acme.fr/attachments/42 depuis hier.",
        "Merci pour votre pièce jointe, je la lis ce soir.",
        "Thanks, I got your attachment.",
        "J'ai bien reçu la pièce jointe, merci.",
    ],
)
def test_the_word_inside_another_word_or_someone_elses_does_not_fire(body):
    assert codes(draft(body)) == []


@pytest.mark.parametrize(
    "body",
    [
        "Merci, c'est noté.\n\nLe lun. 3 mars 2025 à 10:00, Marie Dupont <marie@acme.fr> a écrit :\n"
        "> Bonjour,\n> Vous trouverez ci-joint le devis.\n>\n> Marie",
        "Merci, c'est noté.\n\nLe lun. 3 mars 2025 à 10:00, Marie Dupont <marie@acme.fr> a\nécrit :\n"
        "> Voir la pièce jointe.",
        "Thanks, got it.\n\nOn Mon, Mar 3, 2025 at 10:00 AM Sarah Kelly <s.kelly@example.ie> wrote:\n"
        "> Please find attached the revised schedule.\n>> Earlier: attachment missing",
        "Dziękuję, jutro odpowiem.\n\nW dniu 3.03.2025 o 10:00, Piotr Nowak <p.nowak@firma.pl> napisał(a):\n"
        "> W załączeniu przesyłam harmonogram.",
        "شكرا، سأطلع عليه.\n\nفي 3 مارس 2025، كتب أحمد <ahmed@example.com>:\n> تجدون في المرفق الجدول الزمني.",
        "Je te transfère le message de Marie.\n\n---------- Message transféré ----------\n"
        "De : Marie <marie@acme.fr>\nObjet : devis\n\nCi-joint le devis.",
        "See below.\n\n-----Original Message-----\nFrom: Sarah\nSubject: plan\n\nPlease find attached the plan.",
    ],
)
def test_quoted_and_forwarded_text_is_ignored(body):
    assert codes(draft(body)) == []


def test_text_written_above_an_attribution_still_counts():
    body = "Voici ci-joint le rapport.\nLe 3 mars 2025, Marie <marie@acme.fr> a écrit :\n> Tu l'as ?"
    assert codes(draft(body)) == ["attachment"]


def test_inline_answers_between_quotes_still_count():
    body = "On Mon, Sarah wrote:\n> Can you send the report?\nSure, I attach it here.\n> Thanks"
    assert findings(draft(body))["attachment"].details == {"word": "I attach"}


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        ("Bonjour,\n\nÀ demain.\n\n-- \nPierre-Jean (PJ) Martin\nAttachments: none", ""),
        ("Bonjour,\n\nÀ demain.\n\n--\nPJ Martin — ACME", ""),
        ("Bonjour,\n\nÀ demain.\n\nPJ Martin\nPièces jointes : voir l'intranet", "PJ Martin\nPièces jointes : voir l'intranet"),
        ("Hello,\n\nSee you tomorrow.\n\nSarah Kelly\nP.S. attachments are scanned", "Sarah Kelly\nP.S. attachments are scanned"),
    ],
)  # fmt: skip
def test_the_signature_is_ignored(body, signature):
    assert codes(draft(body, signature=signature)) == []


def test_a_signature_does_not_hide_the_same_words_in_the_text():
    d = draft("Voir en PJ.\n\n-- \nPJ", signature="PJ")
    assert findings(d)["attachment"].details == {"word": "PJ"}


# Subject -------------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["", "   "])
def test_an_empty_subject(subject):
    assert codes(draft("Bonjour, le planning est validé.", subject=subject)) == ["subject_empty"]


@pytest.mark.parametrize(
    "subject",
    ["Bonjour", "bonjour !", "RE : Bonjour", "Information", "Question ?", "URGENT!!!", "Coucou", "Hello", "Hi",
     "Fwd: Hi", "TR: Info", "FYI", "Re:", "[EXTERNAL] Re: hello", "Dzień dobry", "dzien dobry", "Pytanie",
     "Witam", "مرحبا", "عاجل", "سؤال"],
)  # fmt: skip
def test_a_vague_subject(subject):
    found = findings(draft("Le planning est validé.", subject=subject))
    assert list(found) == ["subject_vague"]
    assert found["subject_vague"].details == {"subject": subject.strip()}


@pytest.mark.parametrize(
    "subject",
    ["Re: Question sur la facture 2025-03", "Bonjour de Lyon : photos du séminaire", "Hello from the QA team",
     "Important : changement de salle jeudi", "Pytanie o fakturę 12/2025", "سؤال عن الفاتورة", "Test plan v2"],
)  # fmt: skip
def test_a_precise_subject(subject):
    assert codes(draft("Le planning est validé.", subject=subject)) == []


# Placeholders --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "placeholder",
    ["<FirstName>", "<Prénom>", "<nom du client>", "{{name}}", "{{ first_name }}", "{first_name}", "[Prénom]",
     "[NOM]", "[Company Name]", "*|FNAME|*", "%NAME%", "%%name%%", "$FIRSTNAME$", "XXX", "XXXX", "{% if vip %}"],
)  # fmt: skip
def test_each_placeholder_style(placeholder):
    body = f"Bonjour {placeholder},\n\nVotre commande est prête.\n\nCordialement"
    assert findings(draft(body))["placeholder"].details == {"placeholders": [placeholder]}


def test_placeholders_in_the_subject_and_at_most_five():
    d = draft("Chère <Prénom> {{nom}} [Ville] %CODE% *|FNAME|* $DATE$", subject="Offre pour [Company Name]")
    assert findings(d)["placeholder"].details == {
        "placeholders": ["[Company Name]", "<Prénom>", "{{nom}}", "[Ville]", "%CODE%"]
    }


def test_the_same_placeholder_is_listed_once():
    d = draft("Bonjour [Prénom],\nÀ bientôt [Prénom] !")
    assert findings(d)["placeholder"].details == {"placeholders": ["[Prénom]"]}


@pytest.mark.parametrize(
    "body",
    [
        "Écrivez à Marie Dupont <marie.dupont@acme.fr> pour les accès.",
        "Le profil est sur https://acme.fr/users/{id}/profile?ref=%NAME%.",
        "Copié depuis le site :<br>Horaires : 9h-18h<br/>",
        "Voir la note [1] et l'article [12].",
        "Il a écrit « ils sont partit » [sic].",
        "Bisous, Marie xxx",
        "Remise de 20% à 30% selon le volume.",
        "It costs $5 and $10 with shipping.",
        "Voir [la documentation](https://acme.fr/doc).",
        "Au XXe siècle déjà, ce bâtiment existait.",
        "[x] fait\n[ ] à faire",
        "Merci !\n\nLe 3 mars 2025, Marie <marie@acme.fr> a écrit :\n> Bonjour [Prénom], voici {{lien}}",
    ],
)
def test_things_that_look_like_placeholders_but_are_not(body):
    assert codes(draft(body)) == []


@pytest.mark.parametrize(
    "subject", ["[EXTERNAL] Re: réunion de jeudi", "Re: [django-users] Migrations lentes"]
)
def test_leading_subject_tags_are_not_placeholders(subject):
    assert codes(draft("Merci pour le retour.", subject=subject)) == []


# Mistyped domains ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "suggestion"),
    [
        ("marie@gmial.com", "marie@gmail.com"),
        ("marie@gmail.con", "marie@gmail.com"),
        ("paul@hotmial.fr", "paul@hotmail.fr"),
        ("jean@orange.fe", "jean@orange.fr"),
        ("ana@gamil.com", "ana@gmail.com"),
        ("ana@gmail.co", "ana@gmail.com"),
        ("ana@gmail.cm", "ana@gmail.com"),
        ("max@gmx.ne", "max@gmx.net"),
        ("ana@gmial.con", "ana@gmail.com"),
        ("tom@yahooo.fr", "tom@yahoo.fr"),
        ("tom@outlok.com", "tom@outlook.com"),
        ("luc@laposte.ner", "luc@laposte.net"),
        ("luc@wanadoo.ft", "luc@wanadoo.fr"),
        ("ola@intreia.pl", "ola@interia.pl"),
        ("Marie@GMIAL.com", "Marie@gmail.com"),
        ("chloe@client-exmple.fr", "chloe@client-exemple.fr"),
        ("chloe@client-exemple.fe", "chloe@client-exemple.fr"),
    ],
)
def test_a_mistyped_domain_gets_a_suggestion(address, suggestion):
    found = findings(draft("Bonjour.", to=[address]), known_domains=["client-exemple.fr"])
    assert list(found) == ["domain_typo"]
    assert found["domain_typo"].details["address"] == address
    assert found["domain_typo"].details["suggestion"] == suggestion


@pytest.mark.parametrize(
    "address",
    ["marie@gmail.com", "marie@email.com", "marie@ymail.com", "jean@free.fr", "jean@gree.fr", "jean@sfr.fr",
     "jan@wp.pl", "jan@o2.pl", "jan@onet.pl", "max@gmx.de", "max@web.de", "eve@me.com", "eve@proton.me",
     "bob@acme.de", "bob@acme.fr", "etu@univ-lyon2.fr", "x@gmial.com"],
)  # fmt: skip
def test_real_domains_are_left_alone(address):
    d = draft("Bonjour.", to=[address])
    assert codes(d, known_domains=["acme.fr", "univ-lyon1.fr", "gmial.com"]) == []


def test_each_mistyped_address_has_its_own_fix_in_any_field():
    d = draft("Bonjour.", to=["a@gmial.com"], cc=["b@gmial.com"], bcc=["c@hotmial.fr", "a@gmial.com"])
    suggestions = [f.details["suggestion"] for f in run_checks(d, ALL_ON)]
    assert suggestions == ["a@gmail.com", "b@gmail.com", "c@hotmail.fr"]


# Recipients' privacy, reply-all, heavy attachments --------------------------------------------


def test_ten_visible_recipients_are_fine():
    assert (
        codes(draft("Bonjour à tous.", to=people(6, "acme.fr", "exemple.com"), cc=people(4, "exemple.com")))
        == []
    )


def test_eleven_visible_recipients_from_two_domains_suggest_bcc():
    d = draft("Bonjour à tous.", to=people(11, "acme.fr", "exemple.com"))
    assert findings(d)["recipients_privacy"].details == {"count": 11, "domains": 2}


def test_eleven_colleagues_of_one_domain_are_fine():
    assert codes(draft("Bonjour à tous.", to=people(8, "acme.fr"), cc=people(11, "acme.fr")[8:])) == []


def test_bcc_recipients_are_not_visible():
    d = draft("Bonjour à tous.", to=people(10, "acme.fr", "exemple.com"), bcc=["extra@exemple.org"])
    assert codes(d) == []


def test_the_visible_limit_is_a_setting():
    d = draft("Bonjour à tous.", to=people(4, "acme.fr", "exemple.com"))
    assert codes(d, CheckSettings(visible_recipients_limit=3)) == ["recipients_privacy"]


def test_reply_all_threshold():
    ten = draft("Merci à tous.", to=people(1, "acme.fr"), cc=people(9, "acme.fr")[1:], bcc=["z@acme.fr"],
                is_reply_all=True)  # fmt: skip
    assert codes(ten) == []
    eleven = dataclasses.replace(ten, bcc=["z@acme.fr", "y@acme.fr"])
    assert findings(eleven)["reply_all"].details == {"count": 11}
    assert codes(dataclasses.replace(eleven, is_reply_all=False)) == []
    assert codes(ten, CheckSettings(reply_all_limit=5)) == ["reply_all"]


def test_heavy_attachments():
    limit = ALL_ON.heavy_attachments_bytes
    at_limit = draft("Le dossier complet.", attachment_names=["dossier.zip"], attachments_bytes=limit)
    assert codes(at_limit) == []
    over = dataclasses.replace(at_limit, attachments_bytes=limit + 1)
    finding = findings(over)["heavy_attachments"]
    assert finding.details == {"bytes": limit + 1, "limit": limit}
    assert filesizeformat(limit + 1) in finding.message
    assert codes(over, CheckSettings(heavy_attachments_bytes=20 * 1024 * 1024)) == []


# Off hours, switches, messages ---------------------------------------------------------------

OFF_HOURS = Finding(
    "off_hours", "Il est 23 h 40 : programmer l'envoi pour demain 8 h ?", {"send_at": "08:00"}
)


def test_off_hours_is_passed_through():
    d = draft("Bonjour, le planning est validé.")
    assert run_checks(d, ALL_ON, off_hours=OFF_HOURS) == [OFF_HOURS]
    assert run_checks(d, ALL_ON, off_hours=None) == []


def everything_wrong() -> Draft:
    return draft(
        "Bonjour <Prénom>, ci-joint le devis.",
        subject="",
        to=people(10, "acme.fr", "exemple.com"),
        cc=["marie@gmial.com"],
        is_reply_all=True,
        attachments_bytes=50 * 1024 * 1024,
    )


EVERY_CODE = ["attachment", "subject_empty", "placeholder", "recipients_privacy", "domain_typo", "reply_all",
              "heavy_attachments", "off_hours"]  # fmt: skip
SWITCHES = {
    "attachment": "attachment",
    "subject": "subject_empty",
    "placeholders": "placeholder",
    "recipients_privacy": "recipients_privacy",
    "domain_typos": "domain_typo",
    "reply_all": "reply_all",
    "heavy_attachments": "heavy_attachments",
    "off_hours": "off_hours",
}


def test_everything_fires_in_a_stable_order():
    assert codes(everything_wrong(), off_hours=OFF_HOURS) == EVERY_CODE


@pytest.mark.parametrize(("switch", "code"), SWITCHES.items())
def test_each_check_can_be_switched_off(switch, code):
    settings = dataclasses.replace(ALL_ON, **{switch: False})
    assert codes(everything_wrong(), settings, off_hours=OFF_HOURS) == [c for c in EVERY_CODE if c != code]


def test_messages_are_sentences_with_their_details():
    with translation.override("en"):
        found = findings(everything_wrong())
    assert found["attachment"].message == "You mention an attachment (“ci-joint”) but nothing is attached."
    assert found["domain_typo"].message == "Did you mean marie@gmail.com instead of marie@gmial.com?"
    assert found["placeholder"].message == "A placeholder was not filled in: <Prénom>."
    assert found["reply_all"].message == "This reply-all goes to 11 people. Do they all need it?"
    assert "11 addresses from 3 domains" in found["recipients_privacy"].message


# Clean messages ------------------------------------------------------------------------------

CLEAN = [
    draft(
        "Bonjour Marie,\n\nComme convenu, la réunion est déplacée à jeudi 14 h, salle B.\n"
        "Merci de confirmer ta présence.\n\nBonne journée,\nPaul",
        subject="Réunion projet Atlas déplacée à jeudi",
        cc=["paul.martin@acme.fr"],
        signature="Paul Martin\nACME — PJ : aucune",
    ),
    draft(
        "Merci Marie, c'est noté pour jeudi.\n\n-- \nPaul Martin\nPJ Consulting\n\n"
        "Le lun. 3 mars 2025 à 10:00, Marie Dupont <marie.dupont@acme.fr> a écrit :\n"
        "> Bonjour Paul,\n> Vous trouverez ci-joint le compte rendu (voir pièce jointe).\n> Marie",
        subject="Re: Compte rendu du comité de pilotage",
        to=["marie.dupont@acme.fr"],
    ),
    draft(
        "Hi Sarah,\n\nThe release is confirmed for Friday. I'll share the notes in the wiki.\n\n"
        "Best,\nTom\n-- \nTom Baker | QA lead\nAttachments: none",
        subject="Release 4.2 confirmed for Friday",
        to=["sarah.kelly@example.ie", "tom@gmail.com"],
    ),
    draft(
        "Dzień dobry,\n\npotwierdzam spotkanie w czwartek o 10:00 w Krakowie.\n\nPozdrawiam\nPiotr",
        subject="Spotkanie w czwartek — potwierdzenie",
        to=["p.nowak@firma.pl", "anna@wp.pl"],
    ),
    draft(
        "مرحبا أحمد،\n\nنؤكد موعد الاجتماع يوم الخميس الساعة العاشرة.\n\nمع التحية،\nسارة\n\n"
        "في 3 مارس 2025، كتب أحمد <ahmed@example.com>:\n> تجدون في المرفق جدول الأعمال.",
        subject="تأكيد موعد الاجتماع يوم الخميس",
        to=["ahmed@example.com"],
    ),
    draft(
        "Bonjour à toutes et à tous,\n\nLe séminaire aura lieu le 12 juin.\n\nL'équipe RH",
        subject="Séminaire annuel : 12 juin",
        to=["rh@acme.fr"],
        bcc=people(40, "acme.fr", "exemple.com", "gmail.com", "orange.fr"),
    ),
]


@pytest.mark.parametrize("clean", CLEAN, ids=["fr", "fr-reply", "en", "pl", "ar-reply", "many-bcc"])
def test_nothing_fires_on_a_clean_message(clean):
    assert run_checks(clean, ALL_ON, known_domains=["acme.fr", "example.ie", "firma.pl"]) == []
