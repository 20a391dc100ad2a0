"""Rich text written in the compose page: cleaned on the server, turned into a faithful plain-text
part, and its pasted images turned into inline parts.

What the editor posts is untrusted (a crafted request, or a paste from a hostile page): it goes
through the very sanitiser that guards the reading pane (mailbox.sanitize), with remote content
blocked, so no script, no event handler and no tracker can be stored, sent or shown again.
Images the user pasted or dropped travel inside the HTML as data: URLs until the message is built;
then each becomes a `cid:` part of a multipart/related (see `inline_images`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from webmail.mailbox.sanitize import sanitize_html

# Inline styles mail clients render (Gmail and Outlook drop <style> blocks but keep these).
QUOTE_STYLE = "margin:0 0 0 .8ex;border-left:2px solid #ccc;padding-left:1ex"

_EMPTY_IMG = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def clean(markup: str, inline_parts: dict[str, tuple[bytes, str]] | None = None) -> str:
    """`markup` safe to store, show in the editor again and send: the reading pane's rules, remote
    content blocked (an <img> that pointed elsewhere is dropped, not left empty).

    `inline_parts` (Content-ID → (bytes, type)): the parts of the message `markup` came from (a
    forwarded mail); its `cid:` images become data: URLs, which leave again as inline parts."""
    cid_url = None
    if inline_parts:
        def cid_url(content_id: str) -> str | None:
            found = inline_parts.get(content_id)
            if found is None or not found[1].startswith("image/"):
                return None
            return f"data:{found[1]};base64,{base64.b64encode(found[0]).decode('ascii')}"
    cleaned = sanitize_html(markup or "", allow_remote=False, cid_url=cid_url).html
    return _EMPTY_IMG.sub("", cleaned).strip()


def from_text(text: str) -> str:
    """Plain text as HTML that shows it the same: escaped, line breaks kept."""
    return html.escape(text or "").replace("\r\n", "\n").replace("\n", "<br>\n")


def quote(markup: str) -> str:
    """A quoted HTML original, in a blockquote styled inline (mail clients ignore style sheets)."""
    return f'<blockquote type="cite" style="{QUOTE_STYLE}">{markup}</blockquote>'


# ----------------------------------------------------------------------------- HTML → plain text

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "pre", "address", "section",
           "article", "header", "footer", "figure", "figcaption", "dl", "dt", "dd", "center", "details"}
_SKIP = {"script", "style", "head", "title"}


class _TextWriter(HTMLParser):
    """Walks sanitised HTML and writes what a plain-text reader expects: paragraphs separated by a
    blank line, `<br>` as a line break, lists as "- " or "1. ", quotes as "> ", links as
    "text (url)" (just "url" when the text is the address itself), images as their alt text.

    Breaks are owed rather than written (`owed`: 1 a line break, 2 a blank line) and paid before
    the next text, so nested blocks never pile up empty lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.owed = 0
        self.quote_depth = 0
        self.written_depth = 0
        self.lists: list[list] = []  # [kind, counter]
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in out)
        self.skip = 0
        self.pre = 0

    def _owe(self, breaks: int) -> None:
        self.owed = max(self.owed, breaks)

    def _write(self, text: str) -> None:
        if not text:
            return
        prefix = "> " * self.quote_depth
        if self.out and self.owed:
            blank = ("> " * min(self.quote_depth, self.written_depth)).rstrip()
            self.out.append("\n" + (blank + "\n") * (self.owed - 1) + prefix)
        elif not self.out:
            self.out.append(prefix)
        self.owed = 0
        self.written_depth = self.quote_depth
        self.out.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            if self.owed == 0 and self.out:
                self._owe(1)
            else:
                self.owed += 1
        elif tag == "blockquote":
            self._owe(2)
            self.quote_depth += 1
        elif tag in ("ul", "ol"):
            self._owe(1 if self.lists else 2)
            self.lists.append([tag, 0])
        elif tag == "li":
            self._owe(1)
            indent = "  " * (len(self.lists) - 1)
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] += 1
                self._write(f"{indent}{self.lists[-1][1]}. ")
            else:
                self._write(f"{indent}- ")
        elif tag == "a":
            self.links.append((attributes.get("href") or "", len(self.out)))
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")
        elif tag == "hr":
            self._owe(1)
            self._write("----")
            self._owe(1)
        elif tag in ("td", "th"):
            if self.out and not self.owed:
                self._write(" ")
        elif tag in _BLOCKS:
            self._owe(1 if tag in ("div", "tr", "dt", "dd") else 2)
            if tag == "pre":
                self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self._owe(2)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._owe(1 if self.lists else 2)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.out[start:]).strip()
            lowered = href.lower()
            if lowered.startswith(("http://", "https://", "mailto:")):
                target = href[7:] if lowered.startswith("mailto:") else href
                if not label:
                    self._write(target)
                elif label.rstrip("/") != target.rstrip("/"):
                    self._write(f" ({target})")
        elif tag in _BLOCKS:
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self._owe(1 if tag in ("div", "tr", "dt", "dd") else 2)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            for i, piece in enumerate(data.split("\n")):
                if i:
                    self._owe(1)
                    self.owed = max(self.owed, 1)
                self._write(piece)
            return
        text = re.sub(r"\s+", " ", data)
        if self.owed or not self.out or "".join(self.out[-1:]).endswith(("\n", "> ")):
            text = text.lstrip()
        self._write(text)

    def result(self) -> str:
        text = "".join(self.out)
        return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def to_text(markup: str) -> str:
    """The plain-text part of a rich message (RFC 2046 multipart/alternative's first choice)."""
    writer = _TextWriter()
    writer.feed(markup or "")
    writer.close()
    return writer.result()


# ----------------------------------------------------------------------------- inline images

@dataclass(frozen=True)
class InlineImage:
    content_id: str  # without angle brackets
    content_type: str
    data: bytes


_DATA_IMG = re.compile(r'src="data:(image/(?:png|gif|jpeg|webp));base64,([A-Za-z0-9+/=\s]+)"')


def inline_images(markup: str, domain: str = "webmail") -> tuple[str, list[InlineImage]]:
    """The HTML with every data: image replaced by a `cid:` reference, and those images. One part
    per distinct image (a logo repeated is sent once); its Content-ID comes from its bytes, so a
    draft saved twice carries the same parts."""
    images: dict[str, InlineImage] = {}

    def replace(match: re.Match) -> str:
        try:
            data = base64.b64decode(re.sub(r"\s", "", match.group(2)), validate=True)
        except (binascii.Error, ValueError):
            return 'src=""'
        content_id = f"{hashlib.sha256(data).hexdigest()[:24]}@{domain}"
        images.setdefault(content_id, InlineImage(content_id, match.group(1), data))
        return f'src="cid:{content_id}"'

    return _DATA_IMG.sub(replace, markup), list(images.values())


def with_data_images(markup: str, parts: dict[str, tuple[bytes, str]]) -> str:
    """The reverse, for a draft read back from Brouillons: `cid:` references whose part is known
    (Content-ID → (bytes, type)) become data: URLs again, so the editor shows the images."""

    def replace(match: re.Match) -> str:
        found = parts.get(match.group(1))
        if found is None or not found[1].startswith("image/"):
            return match.group(0)
        return f'src="data:{found[1]};base64,{base64.b64encode(found[0]).decode("ascii")}"'

    return re.sub(r'src="cid:([^"]+)"', replace, markup)
