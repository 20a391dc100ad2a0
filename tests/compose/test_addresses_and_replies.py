from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from webmail.compose import replies
from webmail.compose.addresses import parse_recipients, split_recipients
from webmail.mailbox.parse import Address, ParsedMessage


def test_split_respects_quotes_and_brackets():
    assert split_recipients('"Dupont, Jean" <jd@x.fr>; marie@y.fr,\nbob@z.fr') == [
        '"Dupont, Jean" <jd@x.fr>', "marie@y.fr", "bob@z.fr",
    ]


@pytest.mark.parametrize(
    ("typed", "valid", "invalid"),
    [
        ("Marie <marie@exemple.fr>", ["marie@exemple.fr"], []),
        ("jose@bücher.example", ["jose@bücher.example"], []),
        ("a@b.fr; a@B.fr", ["a@b.fr"], []),
        ("pas une adresse, x@y", [], ["pas une adresse", "x@y"]),
        ("Marie <marie@", [], ["Marie <marie@"]),
        ("", [], []),
    ],
)
def test_parse_recipients_keeps_every_piece(typed, valid, invalid):
    parsed = parse_recipients(typed)
    assert [r.email for r in parsed.valid] == valid
    assert parsed.invalid == invalid


def _original(**overrides) -> ParsedMessage:
    fields = dict(
        subject="Réunion", from_=[Address("Bob", "bob@x.fr")], to=[Address("", "me@x.fr"), Address("", "c@x.fr")],
        cc=[Address("Dee", "d@x.fr"), Address("", "bob@x.fr")], reply_to=[], date=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        message_id="<m2@x.fr>", in_reply_to="<m1@x.fr>", references=["<m0@x.fr>", "<m1@x.fr>"],
        text="Ligne 1\nLigne 2", html=None, attachments=[], notices=[],
    )
    fields.update(overrides)
    return ParsedMessage(**fields)


def test_reply_goes_to_the_sender_and_reply_all_to_the_others_but_me():
    assert replies.reply_recipients(_original(), "me@x.fr", reply_all=False) == ('"Bob" <bob@x.fr>', "")
    to, cc = replies.reply_recipients(_original(), "ME@x.fr", reply_all=True)
    assert to == '"Bob" <bob@x.fr>'
    assert cc == 'c@x.fr, "Dee" <d@x.fr>'


def test_reply_to_header_wins_over_from():
    original = _original(reply_to=[Address("", "list@x.fr")])
    assert replies.reply_recipients(original, "me@x.fr", reply_all=False)[0] == "list@x.fr"


def test_references_chain_ends_with_the_answered_message():
    assert replies.references(_original()) == ("<m2@x.fr>", "<m0@x.fr> <m1@x.fr> <m2@x.fr>")


def test_prefixes_are_localized_and_not_repeated():
    with translation.override("fr"):
        assert replies.reply_subject("RE: Re : Réunion") == "Re : Réunion"
        assert replies.forward_subject("TR: Réunion") == "Tr : Réunion"
    with translation.override("en"):
        assert replies.reply_subject("Réunion") == "Re: Réunion"
        assert replies.forward_subject("Fwd: Réunion") == "Fwd: Réunion"


def test_signature_sits_above_the_quoted_text():
    with translation.override("fr"):
        body = replies.with_signature("", "Alice\nAtelier", replies.quoted_reply(_original()))
    assert body.index("-- \nAlice") < body.index("a écrit :") < body.index("> Ligne 1")


def test_quoted_and_forwarded_dates_are_in_the_replying_users_time_zone():
    late = _original(date=datetime(2026, 11, 20, 23, 30, tzinfo=UTC))  # already the 21st in Paris
    with translation.override("fr"), timezone.override(ZoneInfo("Europe/Paris")):
        assert replies.quoted_reply(late).startswith("Le 21 novembre 2026 00:30, Bob <bob@x.fr> a écrit :")
        assert "Date : 21 novembre 2026 00:30" in replies.forwarded_block(late)
    with translation.override("fr"), timezone.override(ZoneInfo("America/New_York")):
        assert replies.quoted_reply(late).startswith("Le 20 novembre 2026 18:30,")
