"""Pre-send checks: the classic mistakes caught before "Envoyer" (issue 6).

Pure domain logic: `run_checks(draft, settings)` returns the findings, already translated; the
compose view shows them in the confirmation dialog. docs/checks.md lists the word lists,
the thresholds and the decisions taken on edge cases.

Speed matters (budget: 20 ms for a 100 KB body with 50 recipients), so every regex is compiled at
import, the body is split into the user's own text once, and that text is folded once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webmail.mailbox.conversations import strip_prefixes


@dataclass(frozen=True)
class CheckSettings:
    attachment: bool = True
    subject: bool = True
    placeholders: bool = True
    recipients_privacy: bool = True
    visible_recipients_limit: int = 10
    domain_typos: bool = True
    reply_all: bool = True
    reply_all_limit: int = 10
    heavy_attachments: bool = True
    heavy_attachments_bytes: int = 10 * 1024 * 1024
    off_hours: bool = True


@dataclass(frozen=True)
class Draft:
    """What the user is about to send; addresses are addr-specs, already validated."""

    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    body: str
    attachment_names: list[str]
    attachments_bytes: int
    is_reply_all: bool
    signature: str = ""


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    details: dict = field(default_factory=dict)


# Text preparation ------------------------------------------------------------------------------

# Marks that NFKD splits off Latin letters (é → e + ´, ą → a + ˛) and Arabic harakat, hamza
# carriers and tatweel (مُرفقاً → مرفقا, أرفقت → ارفقت), so that matching ignores them.
_MARKS = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0640]")
# Letters NFKD leaves alone but people type without their diacritic ("zalacznik" for "załącznik").
# (str.replace, not str.translate: translate is ten times slower on non-ASCII text.)
_LETTERS = (("ł", "l"), ("ø", "o"), ("đ", "d"), ("’", "'"), ("ʼ", "'"), ("‘", "'"))

# Addresses and links are masked before looking for words or placeholders: "<marie@x.fr>",
# "https://x.fr/{id}" or ".../attachments/12" are not what the user wrote in words.
# Links start with a literal (fast scan); addresses are found from their "@", since a regex
# trying an address at every word start costs 3 ms per 100 KB.
_LINK = re.compile(r"(?:h(?<!\wh)ttps?|f(?<!\wf)tp)://\S+|w(?<!\ww)ww\.\S+")
_LOCAL_PART = re.compile(r"[\w.+-]+$")
_DOMAIN_PART = re.compile(r"@[\w-]+(?:\.[\w-]+)+")

# The attribution line above a quote, in the languages of our users and a few neighbours'.
_ATTRIBUTION = re.compile(
    r"(?:wrote|a\s+[ée]crit|napisa[łl]\w*|كتب|schrieb|escribi[óo]|ha\s+scritto|skrev|schreef|escreveu)\b[^\n]*[:：]\s*$",
    re.IGNORECASE,
)
# The first line of an attribution a client wrapped in two ("Le lun. 3 mars, Marie <m@x.fr> a\nécrit :").
_ATTRIBUTION_START = re.compile(r"^\s*(?:le|on|w\s+dniu|am|el|il|op|em|في)\s", re.IGNORECASE)
# Everything under these is someone else's text: "-----Original Message-----",
# "---------- Message transféré ----------", Outlook's line of underscores.
_FOREIGN_BLOCK = re.compile(
    r"[ \t]*(?:-{3,}[^-\n]{0,30}(?:message|nachricht|wiadomo|mensaje|messaggio|mensagem|رسالة)[^-\n]{0,30}-{3,}|_{10,})[ \t]*",
    re.IGNORECASE,
)


def _mask_addresses_and_links(text: str) -> str:
    spans: list[tuple[int, int]] = []
    if "://" in text or "www." in text:
        spans.extend(match.span() for match in _LINK.finditer(text))
    at = text.find("@")
    while at != -1:
        domain = _DOMAIN_PART.match(text, at)
        local = _LOCAL_PART.search(text, max(0, at - 64), at) if domain else None
        if domain and local:
            spans.append((local.start(), domain.end()))
        at = text.find("@", at + 1)
    if not spans:
        return text
    pieces, position = [], 0
    for start, end in sorted(spans):
        if start >= position:
            pieces.append(text[position:start])
            pieces.append(" ")
        position = max(position, end)
    pieces.append(text[position:])
    return "".join(pieces)


def _fold(text: str) -> str:
    """Lower case without accents or harakat; ASCII text skips the costly Unicode steps."""
    text = text.casefold()
    if text.isascii():
        return text
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    for letter, plain in _LETTERS:
        if letter in text:
            text = text.replace(letter, plain)
    return text


def _own_text(body: str, signature: str) -> str:
    """The part of the body the user wrote: no signature, no quoted or forwarded text."""
    body = body.replace("\r\n", "\n")
    signature = signature.replace("\r\n", "\n").strip()
    if signature:
        # Only where it stands on its own lines: a signature "PJ" must not eat "en PJ" in the text.
        body = re.sub(r"(?m)^[ \t]*" + re.escape(signature) + r"[ \t]*$", "", body)
    kept: list[str] = []
    in_quote = False
    for line in body.split("\n"):
        if line.rstrip() == "--" or (line[:1] in "-_ \t" and _FOREIGN_BLOCK.fullmatch(line)):
            break  # "-- " starts the signature (many editors drop the space, hence rstrip)
        if line.lstrip(" \t").startswith(">"):
            if not in_quote:
                _drop_attribution(kept)
            in_quote = True
            continue
        in_quote = False
        kept.append(line)
    return "\n".join(kept)


def _drop_attribution(kept: list[str]) -> None:
    """Remove "On …, X wrote:" (possibly wrapped on two lines) right above a quoted line."""
    index = len(kept) - 1
    while index >= 0 and not kept[index].strip():
        index -= 1
    if index < 0 or not _ATTRIBUTION.search(kept[index]):
        return
    if not _ATTRIBUTION_START.match(kept[index]) and index > 0 and _ATTRIBUTION_START.match(kept[index - 1]):
        index -= 1
    del kept[index:]


# Forgotten attachment --------------------------------------------------------------------------

# Patterns run on folded text (lower case, no accents, ł → l, no harakat).
_ATTACHMENT_WORDS = [
    # French
    r"pieces?[\s-]+jointes?",
    r"ci[\s-]?(?:jointe?s?|annexee?s?)",
    r"(?:fichier|document)s?\s+joints?",
    r"p\.j\b\.?|pj",  # "P.J." keeps its last dot, "PJ." does not
    r"en\s+annexe",
    r"(?:je|nous)\s+(?:vous\s+|te\s+|t')?(?:joins|joignons)",
    r"j'ai\s+joint|nous\s+avons\s+joint",
    # English ("attach" alone is usually a request to the recipient: "please attach your CV")
    r"attach(?:ed|ments?|ing)",
    r"(?:i|we)(?:'ll|\s+will)?\s+attach",
    r"enclos(?:ed|ures?)",
    # Polish (inflected: załącznika, załącznikiem, w załączeniu, załączony, załączyłem)
    r"zalacz(?:nik\w*|am|amy|eniu|on\w*|yl\w*)",
    # Arabic, with attached conjunctions and articles: والمرفق, بالمرفقات, مرفقة, مرفقاً
    r"[وفبل]{0,2}(?:ال)?مرفق(?:ات|ة|ه|ها|ا)?",
    r"و?(?:ارفقت\w*|ارفقنا|نرفق)",
]
_ATTACHMENT = re.compile(r"(?<![\w-])(?:" + "|".join(_ATTACHMENT_WORDS) + r")(?![\w-])")

# A negation just before the word: "sans pièce jointe", "no attachments", "bez załącznika",
# "بدون مرفق"; a few fillers may sit in between ("sans aucune pièce jointe", "nothing is attached").
_NEGATION_BEFORE = re.compile(
    r"(?<!\w)(?:sans|pas\s+(?:[\w']+\s+){0,2}d[e']|aucune?|ni|no|without|nothing|not|none|bez|brak|bez\s+zadnego|"
    r"بدون|بلا|دون|لا\s+يوجد|لا\s+توجد|ليس\s+هناك|من\s+غير)"
    r"(?:\s+(?:aucune?|de|d'|nouvelles?|autres?|an?|any|the|files?|is|are|was|been|has|have|more|other|"
    r"zadnego|zadnych|اي))*\s*$"
)
# Or the attachment is the recipient's: "merci pour votre pièce jointe", "I got your attachment",
# "j'ai bien reçu la PJ", "dziękuję za Pana załącznik".
_THEIRS_BEFORE = re.compile(
    r"(?<!\w)(?:votre|vos|ta|tes|ton|your|yours|twoj\w*|pana|pani|panstwa|"
    r"(?:recu|received|got|otrzymal\w*|dostal\w*)(?:\s+(?:la|le|les|l'|the|this|ten|ta|votre|your))?)\s*$"
)
# "I'm attached to this idea" is about feelings, not files ("the file is attached to this email" is).
_FEELINGS_BEFORE = re.compile(
    r"(?<!\w)(?:i'm|i\s+am|we're|we\s+are|you're|you\s+are|they're|they\s+are|he's|he\s+is|she's|she\s+is|"
    r"get|got|getting|grow|grew|grown|become|became)\s+(?:(?:\w+ly|very|so|too|quite|still|a\s+bit)\s+)*$"
)
_TO = re.compile(r"\s+to\b")
# Or just after: "Pièces jointes : aucune", "attachments: none", "załączniki: brak".
_NEGATION_AFTER = re.compile(r"\s*[:：]\s*(?:aucune?|none|nothing|brak|لا\s+يوجد|لا\s+شيء)(?!\w)")


def _as_typed(original: str, folded: str, start: int, end: int) -> str:
    """The words the user typed for folded[start:end] ("Pièce  jointe" for "piece  jointe").

    Folding keeps line breaks, so the match is looked up in its own line, where each character's
    folded length maps folded offsets back to the original ones.
    """
    line_start = folded.rfind("\n", 0, start) + 1
    line = original.split("\n")[folded.count("\n", 0, start)]
    begin = stop = None
    position = line_start
    for index, char in enumerate(line):
        if begin is None and position >= start:
            begin = index
        position += len(_fold(char))
        if position >= end:
            stop = index + 1
            break
    while stop is not None and stop < len(line) and not _fold(line[stop]):
        stop += 1  # the harakat or marks that end the word ("مرفقاً")
    return " ".join(line[begin or 0 : stop].split())


def _attachment_word(original: str) -> str | None:
    """The first mention of an attachment of the user's that is not negated, as typed."""
    folded = _fold(original)
    for match in _ATTACHMENT.finditer(folded):
        before = folded[max(0, match.start() - 40) : match.start()]
        if (
            _NEGATION_BEFORE.search(before)
            or _THEIRS_BEFORE.search(before)
            or (
                match.group() == "attached"
                and _TO.match(folded, match.end())
                and _FEELINGS_BEFORE.search(before)
            )
            or _NEGATION_AFTER.match(folded, match.end())
        ):
            continue
        return _as_typed(original, folded, match.start(), match.end())
    return None


# Subject ---------------------------------------------------------------------------------------

# Leading tags a list or a gateway adds: "[EXTERNAL]", "[django-users]".
_SUBJECT_TAGS = re.compile(r"^\s*(?:\[[^\]\n]*\]\s*)+")
_PUNCTUATION = re.compile(r"[^\w\s]+|_+")
_VAGUE_SUBJECTS = frozenset(
    _fold(word)
    for word in [
        # French
        "bonjour", "bonsoir", "salut", "coucou", "information", "informations", "info", "infos", "question",
        "questions", "urgent", "important", "demande", "suite", "rappel", "relance", "message", "mail",
        "courriel", "document", "documents", "fichier", "fichiers", "divers", "merci", "objet", "sans objet",
        "bonjour à tous", "petite question", "test", "re", "tr", "fw", "fwd",
        # English
        "hello", "hi", "hey", "hello there", "fyi", "update", "reminder", "request", "thanks", "thank you",
        "misc", "email", "e-mail", "file", "files", "subject", "no subject", "quick question", "help",
        # Polish
        "dzień dobry", "witam", "cześć", "pytanie", "informacja", "prośba", "pilne", "ważne", "dokument",
        "wiadomość", "temat", "bez tematu",
        # Arabic
        "مرحبا", "مرحباً", "سلام", "السلام عليكم", "سؤال", "استفسار", "عاجل", "مهم", "طلب", "معلومات", "تحديث",
    ]
)  # fmt: skip


def _strip_subject(subject: str) -> str:
    """Without "Re:", "TR :", "[EXTERNAL]" in front, in whatever order clients stacked them."""
    while True:
        stripped = strip_prefixes(_SUBJECT_TAGS.sub("", subject))
        if stripped == subject:
            return subject
        subject = stripped


def _subject_findings(subject: str) -> list[Finding]:
    if not subject.strip():
        return [Finding("subject_empty", _("The message has no subject."), {})]
    core = " ".join(_PUNCTUATION.sub(" ", _fold(_strip_subject(subject))).split())
    if not core or core in _VAGUE_SUBJECTS:
        text = subject.strip()
        return [
            Finding(
                "subject_vague",
                _("The subject “%(subject)s” says little about the message.") % {"subject": text},
                {"subject": text},
            )
        ]
    return []


# Placeholders ----------------------------------------------------------------------------------

# Tag names a plain-text body may carry from a paste; "<br>" is noise, not a field to fill.
_HTML_TAGS = frozenset(
    "a abbr b body br center code div em font h1 h2 h3 h4 h5 h6 head hr html i img li ol p pre s small "
    "span strong sub sup table tbody td th thead tr u ul".split()
)
# Brackets that are not fields: "[sic]", "[EXTERNAL]" banners, "[redacted]", checkboxes "[x]".
_NOT_FIELDS = frozenset(
    _fold(word)
    for word in [
        "sic", "sic!", "redacted", "censored", "caviardé", "caution", "warning", "attention", "external", "ext",
        "externe", "extern", "spam", "suspected spam", "patch", "rfc", "wip", "draft", "brouillon", "fyi",
        "info", "urgent", "important", "résolu", "resolved", "solved", "fixed", "closed", "ok", "done",
    ]
)  # fmt: skip
# Every branch starts with a literal character, so the regex engine skips ahead to those
# characters instead of trying each branch at each position (8 ms → under 1 ms on 100 KB):
# boundaries are therefore checked by lookbehinds placed after that first character.
_PLACEHOLDER = re.compile(
    r"""
      \{\{[^{}\n]{1,40}\}\}                                  # {{name}}, {{ first_name }}
    | \{%[^%\n]{1,60}%\}                                     # {% if … %}
    | \{(?<!\{\{)[ \t]*[^\W\d][\w.-]{0,38}[ \t]*\}(?!\})     # {first_name}
    | \*\|[A-Za-z0-9_:]{1,40}\|\*                            # *|FNAME|* (Mailchimp)
    | %(?<![\w%]%)%?[A-Za-z_]\w{1,30}%%?(?![\w%])           # %NAME%, %%name%%
    | %\([A-Za-z_]\w{0,30}\)[sd]                             # %(name)s
    | \$(?<![\w$]\$)[A-Z][A-Z0-9_]{1,30}\$(?![\w$])         # $FIRSTNAME$ (capitals only: "$ab$" is LaTeX)
    | <([^\W\d_][\w' -]{0,38}[\w])>                          # <FirstName>, <Prénom>, <nom du client>
    | ‹[^‹›\n]{1,60}›                                       # ‹Prénom›, ‹sujet› (the templates' own marks)
    | \[([^\W\d_][\w' -]{0,38}[\w!])\](?!\()                 # [Prénom], [NOM] (not a Markdown link)
    | X(?<![\w-]X)XX+(?![\w-])                              # XXX, XXXX (capitals: "xxx" are kisses)
    """,
    re.VERBOSE,
)


def _placeholders(text: str, limit: int = 5) -> list[str]:
    found: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        token = match.group()
        angle, square = match.group(1), match.group(2)
        if angle is not None and _fold(angle) in _HTML_TAGS:
            continue
        if square is not None and _fold(square) in _NOT_FIELDS:
            continue
        if token.startswith("%") and token.count("%") == 3:
            continue  # "%NAME%%" is unbalanced: not a field
        if token not in found:
            found.append(token)
            if len(found) == limit:
                break
    return found


# Mistyped domains ------------------------------------------------------------------------------

# Ordered by how many people use them: on a tie, the first is the better guess ("hmail.com").
COMMON_DOMAINS: tuple[str, ...] = tuple(
    """
    gmail.com googlemail.com hotmail.com hotmail.fr hotmail.co.uk hotmail.de hotmail.it hotmail.es
    hotmail.be outlook.com outlook.fr outlook.de outlook.es outlook.it outlook.be live.com live.fr
    live.be live.de live.co.uk msn.com yahoo.com yahoo.fr yahoo.co.uk yahoo.de yahoo.es yahoo.it
    ymail.com rocketmail.com icloud.com me.com mac.com orange.fr wanadoo.fr free.fr sfr.fr neuf.fr
    laposte.net bbox.fr numericable.fr club-internet.fr aliceadsl.fr gmx.com gmx.fr gmx.net gmx.de
    gmx.at gmx.ch web.de t-online.de proton.me protonmail.com protonmail.ch pm.me aol.com aol.fr
    mail.com email.com wp.pl o2.pl interia.pl onet.pl op.pl poczta.onet.pl tlen.pl gazeta.pl
    yandex.ru yandex.com ya.ru mail.ru bk.ru inbox.ru list.ru tutanota.com zoho.com skynet.be
    bluewin.ch
    """.split()
)
_COMMON = frozenset(COMMON_DOMAINS)

# Real top-level domains: a typed suffix outside this set ("con", "fe", "ocm") is a typo for sure.
_REAL_TLDS = frozenset(
    """
    ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo bq br bs bt bw
    by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu
    fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il
    im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma
    mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om
    pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr
    ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi
    vn vu wf ws ye yt za zm zw
    com net org edu gov mil int info biz name pro mobi asia tel travel jobs aero coop museum cat post
    app dev page cloud online site tech store shop xyz club blog email live news agency company
    consulting digital design studio solutions services group paris bzh alsace corsica berlin swiss
    """.split()
)
# Second-level suffixes sold like top-level ones: "hotmail.co.uk" is the name "hotmail".
_SECOND_LEVEL = frozenset("co com org net ac gov edu ltd plc sch nom".split())


class _Parts(NamedTuple):
    domain: str
    subdomains: str
    name: str
    suffix: str
    digits: str


@lru_cache(maxsize=4096)
def _parts(domain: str) -> _Parts:
    """Split "etu.univ-lyon1.fr" into subdomains "etu", name "univ-lyon1", suffix "fr" ("co.uk" counts as one)."""
    labels = domain.split(".")
    size = 2 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 1
    rest = labels[:-size]
    name = rest[-1] if rest else ""
    return _Parts(domain, ".".join(rest[:-1]), name, ".".join(labels[-size:]),
                  "".join(char for char in name if char.isdigit()))  # fmt: skip


def _distance(a: str, b: str, cutoff: int = 2) -> int:
    """Damerau–Levenshtein distance (optimal string alignment: a swap of neighbours counts one),
    or cutoff + 1 as soon as it is known to exceed cutoff."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > cutoff:
        return cutoff + 1
    # The common prefix and suffix cost nothing; trimming them keeps the table tiny.
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    if not a or not b:
        return min(len(a) + len(b), cutoff + 1)
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before_previous[j - 2] + 1)
            current[j] = value
        if min(current) > cutoff:
            return cutoff + 1
        before_previous, previous = previous, current
    return min(previous[-1], cutoff + 1)


def _is_substitution(a: str, b: str) -> bool:
    """Whether a and b differ by one replaced letter (rather than an added, removed or swapped one)."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _typo_distance(typed: _Parts, intended: _Parts, common: bool) -> int | None:
    """How many edits separate a mistyped domain from the intended one, or None when they are more
    likely two different domains. The rules (docs/checks.md) trade a little recall for few false alarms."""
    if typed.subdomains != intended.subdomains or not typed.name or typed.digits != intended.digits:
        return None  # "univ-lyon1" / "univ-lyon2", "o2" / "o3" are siblings, not typos
    suffix_edits = _distance(typed.suffix, intended.suffix)
    if suffix_edits > 2:
        return None
    if suffix_edits and typed.suffix.rpartition(".")[2] in _REAL_TLDS:
        # A real suffix is trusted ("acme.de" next to "acme.fr"), except one edit away from a big
        # provider's: "gmail.co", "gmail.cm" are traps, not another Gmail.
        if not (common and typed.name == intended.name and suffix_edits == 1):
            return None
    if typed.name == intended.name:
        return suffix_edits
    if suffix_edits > 1:
        return None
    length = len(intended.name)
    if length <= 2:
        return None  # "me", "wp", "o2": any edit gives another plausible domain
    name_edits = _distance(typed.name, intended.name)
    if length <= 4 and (name_edits > 1 or _is_substitution(typed.name, intended.name)):
        return None  # "gree" for "free": one changed letter in a short name is another name
    if length == 5 and name_edits > 1:
        return None
    total = name_edits + suffix_edits
    return total if total <= 2 else None


def _closest(typed: _Parts, candidates: Iterable[_Parts], common: bool) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    for candidate in candidates:
        if abs(len(candidate.domain) - len(typed.domain)) > 2:
            continue
        edits = _typo_distance(typed, candidate, common)
        if edits is not None and (best is None or edits < best[0]):
            best = (edits, candidate.domain)
    return best


_COMMON_PARTS = tuple(_parts(domain) for domain in COMMON_DOMAINS)


@lru_cache(maxsize=4096)
def _closest_common(domain: str) -> tuple[int, str] | None:
    return _closest(_parts(domain), _COMMON_PARTS, common=True)


def _domain_findings(addresses: list[str], known_domains: Iterable[str]) -> list[Finding]:
    known = frozenset(domain.strip().lower().rstrip(".") for domain in known_domains) - {""}
    known_parts = [_parts(domain) for domain in sorted(known - _COMMON)]
    findings = []
    for address in addresses:
        local, _at, domain = address.rpartition("@")
        domain = domain.lower().rstrip(".")
        if not local or not domain or domain in known or domain in _COMMON:
            continue
        guesses = [_closest(_parts(domain), known_parts, common=False), _closest_common(domain)]
        guesses = [guess for guess in guesses if guess]
        if not guesses:
            continue
        suggested = min(guesses, key=lambda guess: guess[0])[1]  # min keeps the first: known wins ties
        fixed = f"{local}@{suggested}"
        findings.append(Finding(
            "domain_typo",
            _("Did you mean %(suggestion)s instead of %(address)s?") % {"suggestion": fixed, "address": address},
            {"address": address, "suggestion": fixed, "domain": domain, "suggested_domain": suggested},
        ))  # fmt: skip
    return findings


# Recipients ------------------------------------------------------------------------------------


def _distinct(addresses: Iterable[str]) -> list[str]:
    """Each address once: the same person twice is still one person."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), address)
    return list(seen.values())


def _privacy_findings(draft: Draft, limit: int) -> list[Finding]:
    visible = _distinct([*draft.to, *draft.cc])
    domains = {address.rpartition("@")[2].lower() for address in visible}
    if len(visible) <= limit or len(domains) < 2:
        return []
    message = ngettext(
        "%(count)d address from %(domains)d domains is visible to every recipient; put them in Bcc?",
        "%(count)d addresses from %(domains)d domains are visible to every recipient; put them in Bcc?",
        len(visible),
    ) % {"count": len(visible), "domains": len(domains)}
    return [Finding("recipients_privacy", message, {"count": len(visible), "domains": len(domains)})]


def _reply_all_findings(draft: Draft, limit: int) -> list[Finding]:
    everyone = _distinct([*draft.to, *draft.cc, *draft.bcc])
    if not draft.is_reply_all or len(everyone) <= limit:
        return []
    message = ngettext(
        "This reply-all goes to %(count)d person. Do they all need it?",
        "This reply-all goes to %(count)d people. Do they all need it?",
        len(everyone),
    ) % {"count": len(everyone)}
    return [Finding("reply_all", message, {"count": len(everyone)})]


def _heavy_findings(size: int, limit: int) -> list[Finding]:
    if size <= limit:
        return []
    message = _(
        "The attachments weigh %(size)s, more than %(limit)s: compress them or share a link instead?"
    ) % {
        "size": filesizeformat(size),
        "limit": filesizeformat(limit),
    }
    return [Finding("heavy_attachments", message, {"bytes": size, "limit": limit})]


# Entry point -----------------------------------------------------------------------------------


def run_checks(
    draft: Draft,
    settings: CheckSettings,
    *,
    known_domains: Iterable[str] = (),
    off_hours: Finding | None = None,
) -> list[Finding]:
    """The findings for this draft, in the order the dialog lists them; [] means send right away."""
    findings: list[Finding] = []
    needs_text = (settings.attachment and not draft.attachment_names) or settings.placeholders
    own = _mask_addresses_and_links(_own_text(draft.body, draft.signature)) if needs_text else ""
    subject = _mask_addresses_and_links(draft.subject)

    if settings.attachment and not draft.attachment_names:
        word = _attachment_word(subject) or _attachment_word(own)
        if word:
            findings.append(Finding(
                "attachment",
                _("You mention an attachment (“%(word)s”) but nothing is attached.") % {"word": word},
                {"word": word},
            ))  # fmt: skip
    if settings.subject:
        findings.extend(_subject_findings(draft.subject))
    if settings.placeholders:
        # Leading "[tags]" of the subject belong to lists and gateways, not to a template.
        found = _placeholders(_strip_subject(subject) + "\n" + own)
        if found:
            message = ngettext(
                "A placeholder was not filled in: %(placeholders)s.",
                "Some placeholders were not filled in: %(placeholders)s.",
                len(found),
            ) % {"placeholders": ", ".join(found)}
            findings.append(Finding("placeholder", message, {"placeholders": found}))
    if settings.recipients_privacy:
        findings.extend(_privacy_findings(draft, settings.visible_recipients_limit))
    if settings.domain_typos:
        findings.extend(_domain_findings(_distinct([*draft.to, *draft.cc, *draft.bcc]), known_domains))
    if settings.reply_all:
        findings.extend(_reply_all_findings(draft, settings.reply_all_limit))
    if settings.heavy_attachments:
        findings.extend(_heavy_findings(draft.attachments_bytes, settings.heavy_attachments_bytes))
    if settings.off_hours and off_hours is not None:
        findings.append(off_hours)
    return findings
