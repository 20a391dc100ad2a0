"""Plain-text mail body -> safe HTML.

The result is meant to go inside ``<div class="plain">`` styled with
``white-space: pre-wrap``: line breaks stay as "\\n" characters (no ``<br>``).
Everything is HTML-escaped; the only markup produced is:

* ``<a href="http(s)://… | mailto:…" target="_blank" rel="noopener noreferrer">``
  for URLs (http://, https://, www.) and e-mail addresses;
* ``<details class="quoted"><summary>···</summary>…</details>`` around each run
  of quoted (">") lines, together with the "On … wrote:" attribution line
  right before it, so quoted text is collapsed by default;
* ``<div class="signature">…</div>`` around a signature introduced by a line
  that is exactly "-- " (RFC 3676).

No other attributes are ever emitted, and hrefs only use the http, https and
mailto schemes, so text such as ``javascript:alert(1)`` stays text.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

__all__ = ["text_to_html", "QUOTE_SUMMARY"]

QUOTE_SUMMARY = "···"  # a template can replace it with a localised label

_LINK_ATTRS = 'target="_blank" rel="noopener noreferrer"'

# A URL starts at a word boundary ("xhttp://" is not a URL) and runs until
# whitespace or a character that cannot appear unescaped in text URLs.
_LINK_RE = re.compile(
    r"""(?P<url>\bhttps?://[^\s<>"]+|(?<![\w.@/-])www\.[^\s<>"]+)"""
    r"""|(?P<email>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+)""",
    re.IGNORECASE,
)
_URL_OK_RE = re.compile(r"(?:https?://[\w\[]|www\.\w)", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?'\"*_~"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# Reserved and unreserved URL characters (plus "%" so existing escapes stay);
# everything else, notably non-ASCII and quotes, gets percent-encoded.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"

# Attribution lines that introduce a quote ("On Mon, Bob wrote:"), per language.
_DATED_ATTRIBUTIONS = [
    r"on\b.{1,250}\bwrote\s*:",  # English
    r"le\b.{1,250}\ba\s+écrit\s*:",  # French (often with a NBSP before ':')
    r"am\b.{1,250}\bschrieb\b.{0,250}:",  # German
    r"el\b.{1,250}\bescribió\s*:",  # Spanish
    r"il\b.{1,250}\bha\s+scritto\s*:",  # Italian
    r"op\b.{1,250}\bschreef\b.{0,250}:",  # Dutch
    r"em\b.{1,250}\bescreveu\s*:",  # Portuguese
]
_UNDATED_ATTRIBUTION = r"\S.{0,250}\bwrote\s*:"  # "Bob <bob@example.com> wrote:"


def _line_re(alternatives: list[str]) -> re.Pattern[str]:
    return re.compile(r"^\s*(?:" + "|".join(alternatives) + r")\s*$", re.IGNORECASE)


_DATED_ATTRIBUTION_RE = _line_re(_DATED_ATTRIBUTIONS)
_ATTRIBUTION_RE = _line_re([*_DATED_ATTRIBUTIONS, _UNDATED_ATTRIBUTION])

# Control characters other than tab/newline have no business in the output.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _trim_url(url: str) -> str:
    """Drop trailing punctuation that belongs to the sentence, not the URL."""
    # Counted once up front: recounting per character is quadratic on "))))…".
    surplus = {c: url.count(c) - url.count(o) for c, o in _CLOSERS.items()}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING_PUNCT:
            end -= 1
        elif last in _CLOSERS and surplus[last] > 0:
            surplus[last] -= 1  # unbalanced: "(see http://x.org)"; keeps wiki "Foo_(bar)"
            end -= 1
        else:
            break
    return url[:end]


def _url_href(url: str) -> str:
    if url[:4].lower() == "www.":
        url = "http://" + url
    scheme, rest = url.split(":", 1)
    return scheme.lower() + ":" + quote(rest, safe=_URL_SAFE)


def _linkify(line: str) -> str:
    """Escape one line of text, turning URLs and addresses into links."""
    out = []
    pos = 0
    for m in _LINK_RE.finditer(line):
        if m.group("url"):
            target = _trim_url(m.group("url"))
            if not _URL_OK_RE.match(target):
                continue
            href = _url_href(target)
        else:
            target = m.group("email")
            href = "mailto:" + quote(target, safe="@+")
        start = m.start()
        out.append(html.escape(line[pos:start]))
        out.append(f'<a href="{html.escape(href)}" {_LINK_ATTRS}>{html.escape(target)}</a>')
        pos = start + len(target)
    out.append(html.escape(line[pos:]))
    return "".join(out)


def _is_attribution(line: str) -> bool:
    return len(line) <= 400 and bool(_ATTRIBUTION_RE.match(line))


def _is_wrapped_attribution(first: str, second: str) -> bool:
    """An "On <date>, <name>" line wrapped before "<address> wrote:"."""
    joined = first.rstrip() + " " + second.strip()
    return (
        len(joined) <= 400
        and re.search(r"\d", first) is not None  # the date: keeps ordinary sentences out
        and bool(_DATED_ATTRIBUTION_RE.match(joined))
        and not _DATED_ATTRIBUTION_RE.match(second)
    )


def _quote_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) line ranges of quoted runs, attribution included."""
    blocks: list[tuple[int, int]] = []
    n = len(lines)
    i = 0
    while i < n:
        if not lines[i].startswith(">"):
            i += 1
            continue
        start, end, j = i, i + 1, i + 1
        # Blank lines between quoted lines belong to the quote.
        while j < n and (lines[j].startswith(">") or not lines[j].strip()):
            if lines[j].startswith(">"):
                end = j + 1
            j += 1
        floor = blocks[-1][1] if blocks else 0
        k = start - 1
        if k > floor and not lines[k].strip():
            k -= 1  # allow one blank line between attribution and quote
        if k - 1 >= floor and _is_wrapped_attribution(lines[k - 1], lines[k]):
            start = k - 1
        elif k >= floor and _is_attribution(lines[k]):
            start = k
        blocks.append((start, end))
        i = end
    return blocks


def text_to_html(text: str) -> str:
    """Convert a plain-text body to escaped HTML for a pre-wrap container."""
    if not text:
        return ""
    text = _CONTROL_RE.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    n = len(lines)

    # kind of block starting at a line: (end, opening tag, closing tag)
    blocks: dict[int, tuple[int, str, str]] = {}
    for start, end in _quote_blocks(lines):
        blocks[start] = (end, f'<details class="quoted"><summary>{QUOTE_SUMMARY}</summary>', "</details>")
    in_block = set()
    for start, (end, _, _) in blocks.items():
        in_block.update(range(start, end))
    sig = next((i for i in range(n) if lines[i] == "-- " and i not in in_block), None)
    if sig is not None:
        end = min((s for s in blocks if s > sig), default=n)
        while end > sig + 1 and not lines[end - 1].strip():
            end -= 1  # trailing blank lines stay outside the signature
        blocks[sig] = (end, '<div class="signature">', "</div>")

    # Text lines keep their "\n"; a block starts and ends on its own line, so
    # the newline just inside its edges is dropped to avoid blank lines.
    out = []
    i = 0
    while i < n:
        if i in blocks:
            end, open_tag, close_tag = blocks[i]
            inner = "\n".join(_linkify(line) for line in lines[i:end])
            out.append(f"{open_tag}{inner}{close_tag}")
            i = end
        else:
            out.append(_linkify(lines[i]) + ("\n" if i < n - 1 else ""))
            i += 1
    return "".join(out)
