"""Recipient fields as people type them: "Marie <marie@exemple.fr>; bob@exemple.fr, "Dupont, Jean" <jd@x.fr>".

`parse_recipients` keeps every piece the user typed: the valid addresses, normalised, and the
pieces that are not addresses, so the form can point at them without losing anything.
"""

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import getaddresses

from webmail.compose.headers import one_line

# A pragmatic addr-spec check: something@domain.tld, no spaces; Unicode allowed (IDN, SMTPUTF8).
_ADDR_SPEC = re.compile(r"^[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]{2,}$")


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str

    def formatted(self) -> str:
        """For headers: Django's mail API encodes the name (RFC 2047) and the domain (IDNA)."""
        return str(Address(display_name=self.name, addr_spec=self.email)) if self.name else self.email


@dataclass(frozen=True)
class ParsedRecipients:
    valid: list[Recipient]
    invalid: list[str]


def split_recipients(text: str) -> list[str]:
    """Split on commas and semicolons outside quotes and angle brackets."""
    pieces, current, quoted, angle = [], [], False, False
    for char in text:
        if char == '"' and not angle:
            quoted = not quoted
        elif char == "<" and not quoted:
            angle = True
        elif char == ">" and not quoted:
            angle = False
        if char in ",;\n" and not quoted and not angle:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return [piece.strip() for piece in pieces if piece.strip()]


def is_valid_email(email: str) -> bool:
    if not _ADDR_SPEC.match(email):
        return False
    domain = email.rsplit("@", 1)[1]
    try:
        domain.encode("idna")
    except UnicodeError:
        return False
    return True


def parse_recipients(text: str) -> ParsedRecipients:
    valid, invalid = [], []
    seen = set()
    for piece in split_recipients(text or ""):
        # A line break inside quotes or brackets ("Marie\r\nBcc: …" <m@x.fr>) is not a separator:
        # folded, it stays part of the name instead of reaching a header (see compose.headers).
        piece = one_line(piece)
        parsed = getaddresses([piece])
        name, email = parsed[0] if len(parsed) == 1 else ("", "")
        email = email.strip()
        if not email or not is_valid_email(email) or ("<" in piece and ">" not in piece):
            invalid.append(piece)
            continue
        if email.lower() not in seen:
            seen.add(email.lower())
            valid.append(Recipient(name.strip(), email))
    return ParsedRecipients(valid, invalid)
