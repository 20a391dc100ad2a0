"""Text that ends up in a header line: a subject, a name in an address, a file name.

A CR or LF in a header value would start a new header line (header injection: "Bcc: …"), and
Django's mail API refuses it with BadHeaderError, which the compose page answered as a 500. A
subject field is a single line, so a line break can only come from a crafted request, a paste or
an old stored row: it is folded into a space, never refused, so autosave keeps what was typed.
"""

import re

# CR, LF and the other characters Python's str.splitlines() breaks on, with the blanks around them.
_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+\s*")


def one_line(text: str) -> str:
    """`text` with every line break (and the blanks around it) folded into one space, trimmed."""
    return _LINE_BREAKS.sub(" ", text).strip()
