"""Which attachments can be looked at without downloading them, and how.

Images (never SVG: it can carry script), PDF (the browser's own viewer) and text files. Everything
else downloads. The bytes are always served by `views.reading.attachment` with
`Content-Security-Policy: sandbox` and `nosniff`, so nothing in an attachment runs as the webmail.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/pjpeg", "image/gif", "image/webp", "image/avif",
                         "image/bmp"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
TEXT_TYPES = frozenset({"text/plain", "text/csv", "text/markdown", "text/x-log", "text/tab-separated-values",
                        "text/x-diff", "text/x-patch"})
# Mailers often send these as application/octet-stream: the name says what they are.
EXTENSIONS = {".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image", ".webp": "image",
              ".pdf": "pdf", ".txt": "text", ".csv": "text", ".md": "text", ".log": "text", ".tsv": "text"}
TEXT_LIMIT = 512 * 1024  # more than a reader scrolls through; the whole file is one click away


def kind_of(content_type: str, filename: str) -> str | None:
    """"image", "pdf", "text", or None (download only)."""
    content_type = content_type.lower()
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type in PDF_TYPES:
        return "pdf"
    if content_type in TEXT_TYPES:
        return "text"
    if content_type == "application/octet-stream":
        extension = filename.lower()[filename.rfind("."):] if "." in filename else ""
        return EXTENSIONS.get(extension)
    return None


def served_type(kind: str, content_type: str, filename: str) -> str:
    """The Content-Type the preview is served with: the declared one when it is an image or a PDF
    we know, else the one the name implies; text is always re-encoded to UTF-8 plain text."""
    if kind == "text":
        return "text/plain; charset=utf-8"
    if content_type.lower() in IMAGE_TYPES | PDF_TYPES:
        return content_type.lower()
    if kind == "pdf":
        return "application/pdf"
    extension = filename.lower().rsplit(".", 1)[-1]
    return {"jpg": "image/jpeg"}.get(extension, f"image/{extension}")


# PDF names that make a viewer act: scripts, launching, sending. Chromium's viewer runs a PDF's
# JavaScript in PDFium, outside the page, but its app.alert() shows a dialog in the webmail's tab
# (measured): a PDF that could speak as the webmail is not shown, only downloaded.
_ACTIVE_PDF = re.compile(rb"/(?:JS|JavaScript|Launch|SubmitForm|ImportData|RichMedia|EmbeddedFile)(?![A-Za-z0-9])")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")  # /J#61vaScript is /JavaScript
_PDF_STREAM = re.compile(rb"(?<!end)stream\r?\n")
MAX_INFLATED = 64 * 1024 * 1024


def _names_active(chunk: bytes) -> bool:
    return _ACTIVE_PDF.search(_PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), chunk)) is not None


def pdf_has_active_content(data: bytes) -> bool:
    """Whether a PDF has scripts or actions, in its body or in its compressed object streams (where
    PDF 1.5+ keeps dictionaries). Page contents and images are not inflated: no dictionary there."""
    if _names_active(data):
        return True
    for match in _PDF_STREAM.finditer(data):
        header = data[max(0, match.start() - 400) : match.start()]
        if b"/ObjStm" not in header.rsplit(b" obj", 1)[-1]:
            continue
        try:
            inner = zlib.decompressobj().decompress(data[match.end() :], MAX_INFLATED)
        except zlib.error:
            return True  # an object stream we cannot read: cannot say it is harmless
        if _names_active(inner):
            return True
    return False


@dataclass(frozen=True)
class Text:
    text: str
    truncated: bool


def text_of(data: bytes, charset: str | None) -> Text:
    """The file as text: its declared charset, else UTF-8, else Windows-1252 (what undeclared
    Western European files nearly always are); never fails."""
    truncated = len(data) > TEXT_LIMIT
    data = data[:TEXT_LIMIT]
    for candidate in (charset, "utf-8", "cp1252"):
        if not candidate:
            continue
        try:
            # The declared charset is trusted with replacements; the guesses must fit exactly. A
            # cut file may end inside a character: final=False leaves that tail out.
            decoder = codecs.getincrementaldecoder(candidate)("replace" if candidate == charset else "strict")
            return Text(decoder.decode(data, final=not truncated), truncated)
        except (LookupError, UnicodeDecodeError):
            continue
    return Text(data.decode("utf-8", errors="replace"), truncated)
