"""The search box's language: what people type (Gmail's operators, French aliases) → search terms.

`parse("de:claire has:attachment -devis", date_formats)` gives a `Query`: a list of `Term`s, each
one IMAP SEARCH key (`Term.imap()`), the folder named by `in:` if any, and the notices to show
(an invalid date says so and is left out of the search; nothing else is refused). An unknown
operator (`http://…`, `Re:`) is searched as text, as typed. `describe(terms)` is the sentence the
results page shows ("Messages de claire avec pièce jointe").

Plain Python: the gateway sends the keys with CHARSET UTF-8; dates are days (IMAP's BEFORE/SINCE
compare the day of arrival).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext as _

# What people type → the operator. Keys are compared without case or accents ("à", "a", "A").
OPERATORS = {
    "from": "from", "de": "from",
    "to": "to", "a": "to", "pour": "to",
    "cc": "cc",
    "bcc": "bcc", "cci": "bcc",
    "subject": "subject", "objet": "subject", "sujet": "subject",
    "has": "has", "avec": "has",
    "is": "is", "est": "is",
    "before": "before", "avant": "before",
    "after": "after", "apres": "after", "depuis": "after",
    "in": "in", "dans": "in",
}
# has:… and is:… values, compared like the keys (so "pièce-jointe" = "piece-jointe").
HAS_VALUES = {"attachment": "attachment", "attachments": "attachment", "pj": "attachment",
              "piece-jointe": "attachment", "piece jointe": "attachment", "pieces-jointes": "attachment",
              "fichier": "attachment"}
IS_VALUES = {"unread": "unread", "non-lu": "unread", "nonlu": "unread", "non lu": "unread", "non-lus": "unread",
             "read": "read", "lu": "read", "lus": "read",
             "starred": "starred", "suivi": "starred", "suivis": "starred", "favori": "starred",
             "etoile": "starred", "important": "starred"}
# Mail with attachments, as Roundcube finds it without a server extension: a multipart/mixed (or
# signed, report) message, or a single non-text part. Dovecot's $HasAttachment keyword needs
# mail_attachment_detection_options, which most servers leave off.
HAS_ATTACHMENT = ["OR", "OR", "OR", "HEADER", "Content-Type", "application/", "HEADER", "Content-Type",
                  "multipart/m", "HEADER", "Content-Type", "multipart/signed", "HEADER", "Content-Type",
                  "multipart/report"]
ISO_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")  # ISO, and Gmail's own before:2026/03/01

_OPERATOR = re.compile(r'(?P<neg>-?)(?P<key>[^\W\d_]+)[ \t]*:[ \t]*(?P<value>"[^"]*"?|\S+)?')
_WORD = re.compile(r'(?P<neg>-?)(?P<value>"[^"]*"?|\S+)')
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case without accents: how operator names and values are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Term:
    """One criterion. `field` is text, body, from, to, cc, bcc, subject, has, is, before, after, until;
    `value` is a string, or a date for before/after/until."""

    field: str
    value: str | date
    negated: bool = False

    def imap(self) -> list:
        """One IMAP search key (possibly several atoms, e.g. OR … …), so NOT applies to all of it."""
        v = self.value
        keys: list
        if self.field == "text":
            keys = ["TEXT", v]
        elif self.field == "body":
            keys = ["BODY", v]
        elif self.field == "to":  # as Gmail: whoever it was addressed to, copies included
            keys = ["OR", "OR", "TO", v, "CC", v, "BCC", v]
        elif self.field in ("from", "cc", "bcc", "subject"):
            keys = [self.field.upper(), v]
        elif self.field == "has":
            keys = list(HAS_ATTACHMENT)
        elif self.field == "is":
            keys = [{"unread": "UNSEEN", "read": "SEEN", "starred": "FLAGGED"}[v]]
        elif self.field == "before":
            keys = ["BEFORE", v]
        elif self.field == "after":  # as Gmail: the day itself included
            keys = ["SINCE", v]
        elif self.field == "until":  # the advanced form's "Au": that day included
            keys = ["BEFORE", v + timedelta(days=1)]
        else:
            raise ValueError(self.field)
        return ["NOT", *keys] if self.negated else keys


@dataclass
class Query:
    terms: list[Term] = field(default_factory=list)
    folder: str | None = None  # as typed after in:, resolved against the account's folders later
    excluded_folders: list[str] = field(default_factory=list)  # -in:…
    notices: list[str] = field(default_factory=list)


def imap_keys(terms: Iterable[Term]) -> list:
    keys = [key for term in terms for key in term.imap()]
    return keys or ["ALL"]


def parse_date(text: str, formats: Iterable[str]) -> date | None:
    for fmt in (*ISO_FORMATS, *formats):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
    return value


def parse(text: str, date_formats: Iterable[str] = ()) -> Query:
    """Read the search box. `date_formats` are the user's (strptime), tried after ISO."""
    query = Query()
    date_formats = tuple(date_formats)
    position = 0
    while True:
        space = _SPACE.match(text, position)
        if space:
            position = space.end()
        if position >= len(text):
            return query
        match = _OPERATOR.match(text, position)
        operator = OPERATORS.get(fold(match["key"])) if match else None
        if match is None or operator is None:
            match = _WORD.match(text, position)
            operator = "text"
        position = match.end()
        negated = match["neg"] == "-"
        value = _unquote(match["value"] or "").strip()
        if not value or value == "-":
            continue  # a lone "-", empty quotes, an operator not yet followed by anything
        _add(query, operator, value, negated, match.group(0).lstrip("-"), date_formats)


def _add(query: Query, operator: str, value: str, negated: bool, typed: str, date_formats) -> None:
    if operator in ("before", "after"):
        day = parse_date(value, date_formats)
        if day is None:
            query.notices.append(
                _("“%(value)s” is not a date, so “%(typed)s” was left out of the search. "
                  "Write it like %(example)s or %(iso)s.")
                % {"value": value, "typed": typed, "example": _example(date_formats), "iso": "2026-03-31"})
            return
        query.terms.append(Term(operator, day, negated))
    elif operator == "in":
        if negated:
            query.excluded_folders.append(value)
        else:
            query.folder = value
    elif operator == "has":
        if HAS_VALUES.get(fold(value)) is None:
            query.terms.append(Term("text", typed, negated))  # has:something-else: searched as typed
        else:
            query.terms.append(Term("has", "attachment", negated))
    elif operator == "is":
        state = IS_VALUES.get(fold(value))
        if state is None:
            query.terms.append(Term("text", typed, negated))
        else:
            query.terms.append(Term("is", state, negated))
    else:
        query.terms.append(Term(operator, value, negated))


def _example(date_formats: tuple[str, ...]) -> str:
    """A date written in the user's first format that is not ISO (31/03/2026 in French)."""
    fmt = next((f for f in date_formats if f not in ISO_FORMATS and "%b" not in f), "%d/%m/%Y")
    return date(2026, 3, 31).strftime(fmt)


# Special folders by what people call them (folded), for in:…
FOLDER_ALIASES = {
    "INBOX": ("inbox", "reception", "boite de reception", "boite-de-reception"),
    "\\Sent": ("sent", "envoyes", "envoye", "sent mail", "wyslane"),
    "\\Drafts": ("drafts", "draft", "brouillons", "brouillon", "robocze"),
    "\\Trash": ("trash", "bin", "corbeille", "kosz"),
    "\\Junk": ("junk", "spam", "indesirables", "courrier indesirable"),
    "\\Archive": ("archive", "archives", "archiwum"),
}


def resolve_folder(typed: str, folders: dict[str, str | None], labels: dict[str, str] | None = None) -> str | None:
    """The folder `in:typed` means: its name, its last part, its label on screen, or what people call
    a special folder ("in:envoyés", "in:trash"). `folders` maps names to their special use."""
    wanted = fold(typed)
    for name in folders:
        if fold(name) == wanted:
            return name
    for use, aliases in FOLDER_ALIASES.items():
        if wanted in aliases:
            if use == "INBOX":
                return "INBOX"
            found = next((name for name, special in folders.items() if special == use), None)
            if found:
                return found
    for name, label in (labels or {}).items():
        if fold(label) == wanted and name in folders:
            return name
    for name in folders:
        if fold(re.split(r"[./]", name)[-1]) == wanted:
            return name
    return None


def describe(terms: Iterable[Term], folder_label: str | None = None) -> str:
    """What was searched, as a sentence: "Messages from claire with an attachment"."""
    pieces = [_describe(term) for term in terms]
    if folder_label:
        pieces.append(_("in %(folder)s") % {"folder": folder_label})
    if not pieces:
        return _("All messages")
    return _("Messages %(criteria)s") % {"criteria": " ".join(pieces)}


def _describe(term: Term) -> str:  # noqa: C901 - one branch per operator reads best
    v, no = term.value, term.negated
    if term.field in ("before", "after", "until"):
        v = date_format(v, "DATE_FORMAT")
    if term.field == "text":
        return (_("without “%(words)s”") if no else _("containing “%(words)s”")) % {"words": v}
    if term.field == "body":
        return (_("without “%(words)s” in the text") if no else _("with “%(words)s” in the text")) % {"words": v}
    if term.field == "subject":
        return (_("without “%(words)s” in the subject") if no
                else _("with “%(words)s” in the subject")) % {"words": v}
    if term.field == "from":
        return (_("not from %(who)s") if no else _("from %(who)s")) % {"who": v}
    if term.field == "to":
        return (_("not to %(who)s") if no else _("to %(who)s")) % {"who": v}
    if term.field in ("cc", "bcc"):
        return (_("without %(who)s in copy") if no else _("with %(who)s in copy")) % {"who": v}
    if term.field == "has":
        return _("without an attachment") if no else _("with an attachment")
    if term.field == "is":
        state = {"unread": "read", "read": "unread"}.get(v, v) if no else v
        if state == "starred" and no:
            return _("not starred")
        return {"unread": _("unread"), "read": _("already read"), "starred": _("starred")}[state]
    if term.field == "before":
        return (_("since %(date)s") if no else _("before %(date)s")) % {"date": v}
    if term.field == "after":
        return (_("before %(date)s") if no else _("since %(date)s")) % {"date": v}
    return (_("after %(date)s") if no else _("until %(date)s")) % {"date": v}
