"""The search box's language, as plain functions: what people type → terms → IMAP SEARCH keys."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from webmail.mailbox.search_query import (
    HAS_ATTACHMENT,
    Term,
    describe,
    imap_keys,
    parse,
    parse_date,
    resolve_folder,
)

FR_DATES = ("%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y")
EN_DATES = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")


def terms(text, formats=FR_DATES):
    return parse(text, formats).terms


@pytest.mark.parametrize(("typed", "expected"), [
    ("from:claire", [Term("from", "claire")]),
    ("de:claire", [Term("from", "claire")]),
    ("De:Claire", [Term("from", "Claire")]),
    ("de : claire", [Term("from", "claire")]),  # French typography puts a space before the colon
    ("to:bob@example.test", [Term("to", "bob@example.test")]),
    ("à:bob", [Term("to", "bob")]),
    ("a:bob", [Term("to", "bob")]),
    ("À:bob", [Term("to", "bob")]),
    ("cc:compta", [Term("cc", "compta")]),
    ("cci:direction", [Term("bcc", "direction")]),
    ("subject:facture", [Term("subject", "facture")]),
    ("objet:facture", [Term("subject", "facture")]),
    ('objet:"rapport annuel"', [Term("subject", "rapport annuel")]),
    ("has:attachment", [Term("has", "attachment")]),
    ("avec:pièce-jointe", [Term("has", "attachment")]),
    ("avec:pj", [Term("has", "attachment")]),
    ("is:unread", [Term("is", "unread")]),
    ("est:non-lu", [Term("is", "unread")]),
    ("is:read", [Term("is", "read")]),
    ("is:starred", [Term("is", "starred")]),
    ("est:suivi", [Term("is", "starred")]),
    ("réunion", [Term("text", "réunion")]),
    ('"ordre du jour"', [Term("text", "ordre du jour")]),
    ('"ordre du jour', [Term("text", "ordre du jour")]),  # an unclosed quote runs to the end
    ("-devis", [Term("text", "devis", negated=True)]),
    ("-from:shop", [Term("from", "shop", negated=True)]),
    ('-"bon de commande"', [Term("text", "bon de commande", negated=True)]),
    ("-has:attachment", [Term("has", "attachment", negated=True)]),
    ("wyjazd służbowy", [Term("text", "wyjazd"), Term("text", "służbowy")]),
    ("من:سارة", [Term("text", "من:سارة")]),  # not an operator: searched as typed
])
def test_operators_and_french_aliases(typed, expected):
    assert terms(typed) == expected


@pytest.mark.parametrize("typed", ["http://exemple.fr/devis", "Re:budget", "label:travail", "has:drive",
                                   "is:important-ish", "mailto:x@y.fr"])
def test_an_unknown_operator_or_value_is_searched_as_text(typed):
    assert terms(typed) == [Term("text", typed)]


def test_the_example_of_the_issue_and_a_mix():
    assert terms("from:claire has:attachment") == [Term("from", "claire"), Term("has", "attachment")]
    query = parse('de:claire@example.fr objet:"Réunion budget" -is:read avant:01/03/2026 in:Archive plage',
                  FR_DATES)
    assert query.terms == [Term("from", "claire@example.fr"), Term("subject", "Réunion budget"),
                           Term("is", "read", negated=True), Term("before", date(2026, 3, 1)),
                           Term("text", "plage")]
    assert query.folder == "Archive" and query.notices == []


def test_empty_and_blank_queries_have_no_terms():
    for typed in ("", "   ", "-", " - ", '""', "from:", "de : ", "objet:\"\""):
        assert parse(typed, FR_DATES).terms == [], typed
    assert imap_keys([]) == ["ALL"]


@pytest.mark.parametrize(("typed", "formats", "expected"), [
    ("2026-03-01", FR_DATES, date(2026, 3, 1)),
    ("2026/03/01", FR_DATES, date(2026, 3, 1)),  # Gmail's own shape
    ("01/03/2026", FR_DATES, date(2026, 3, 1)),  # French: day first
    ("01/03/26", FR_DATES, date(2026, 3, 1)),
    ("01.03.2026", FR_DATES, date(2026, 3, 1)),
    ("03/01/2026", EN_DATES, date(2026, 3, 1)),  # English: month first
    ("31/02/2026", FR_DATES, None),
    ("hier", FR_DATES, None),
    ("2026-13-01", FR_DATES, None),
])
def test_dates_in_the_users_format_and_iso(typed, formats, expected):
    assert parse_date(typed, formats) == expected


def test_an_invalid_date_says_so_and_the_rest_is_still_searched():
    with translation.override("fr"):
        query = parse("de:claire avant:31/02/2026", FR_DATES)
    assert query.terms == [Term("from", "claire")]
    assert query.notices == ["« 31/02/2026 » n’est pas une date : « avant:31/02/2026 » n’a pas été pris en "
                             "compte. Écrivez-la comme 31/03/2026 ou 2026-03-31."]
    with translation.override("en"):
        query = parse("after:yesterday", EN_DATES)
    assert query.terms == [] and "“yesterday” is not a date" in query.notices[0]
    assert "03/31/2026" in query.notices[0]


def test_in_and_not_in_name_folders():
    query = parse("in:envoyés -in:corbeille -in:Spam facture", FR_DATES)
    assert query.folder == "envoyés" and query.excluded_folders == ["corbeille", "Spam"]
    assert query.terms == [Term("text", "facture")]


@pytest.mark.parametrize(("term", "keys"), [
    (Term("text", "réunion"), ["TEXT", "réunion"]),
    (Term("from", "claire"), ["FROM", "claire"]),
    (Term("to", "bob"), ["OR", "OR", "TO", "bob", "CC", "bob", "BCC", "bob"]),
    (Term("cc", "bob"), ["CC", "bob"]),
    (Term("bcc", "bob"), ["BCC", "bob"]),
    (Term("subject", "rapport annuel"), ["SUBJECT", "rapport annuel"]),
    (Term("body", "plage"), ["BODY", "plage"]),
    (Term("has", "attachment"), HAS_ATTACHMENT),
    (Term("is", "unread"), ["UNSEEN"]),
    (Term("is", "read"), ["SEEN"]),
    (Term("is", "starred"), ["FLAGGED"]),
    (Term("before", date(2026, 3, 1)), ["BEFORE", date(2026, 3, 1)]),
    (Term("after", date(2026, 3, 1)), ["SINCE", date(2026, 3, 1)]),
    (Term("until", date(2026, 3, 1)), ["BEFORE", date(2026, 3, 2)]),
    (Term("text", "devis", negated=True), ["NOT", "TEXT", "devis"]),
    (Term("to", "bob", negated=True), ["NOT", "OR", "OR", "TO", "bob", "CC", "bob", "BCC", "bob"]),
    (Term("has", "attachment", negated=True), ["NOT", *HAS_ATTACHMENT]),
])
def test_each_term_is_one_imap_search_key(term, keys):
    assert term.imap() == keys


def test_keys_of_several_terms_are_anded_by_juxtaposition():
    assert imap_keys(terms("de:claire -devis")) == ["FROM", "claire", "NOT", "TEXT", "devis"]


FOLDERS = {"INBOX": None, "Sent": "\\Sent", "Trash": "\\Trash", "Archive": "\\Archive", "Junk": "\\Junk",
           "Clients/Dupont": None, "Projets.Été 2026": None}


@pytest.mark.parametrize(("typed", "expected"), [
    ("inbox", "INBOX"), ("Réception", "INBOX"), ("envoyés", "Sent"), ("Envoyes", "Sent"), ("sent", "Sent"),
    ("corbeille", "Trash"), ("trash", "Trash"), ("spam", "Junk"), ("archives", "Archive"),
    ("clients/dupont", "Clients/Dupont"), ("Dupont", "Clients/Dupont"), ("été 2026", "Projets.Été 2026"),
    ("Brouillons", None), ("nulle-part", None),
])
def test_in_resolves_names_labels_and_what_people_call_special_folders(typed, expected):
    assert resolve_folder(typed, FOLDERS) == expected


def test_in_resolves_the_label_shown_on_screen():
    assert resolve_folder("Boîte d'envoi perso", {"X-Perso": None}, {"X-Perso": "Boîte d'envoi perso"}) == "X-Perso"


def test_the_sentence_says_what_was_searched():
    with translation.override("fr"):
        assert describe(terms("from:claire@example.fr has:attachment")) == (
            "Messages de claire@example.fr avec pièce jointe")
        assert describe(terms('objet:facture -devis is:unread après:01/03/2026 "bon de commande"'),
                        "Archives") == (
            "Messages avec « facture » dans l’objet sans « devis » non lus depuis le 1 mars 2026 "
            "contenant « bon de commande » dans Archives")
        assert describe(terms("-is:unread -has:attachment -à:bob")) == (
            "Messages déjà lus sans pièce jointe pas à bob")
        assert describe([]) == "Tous les messages"
    with translation.override("en"):
        assert describe(terms("from:claire has:attachment is:starred")) == (
            "Messages from claire with an attachment starred")
