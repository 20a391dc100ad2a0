"""A small reader of gettext .po/.pot files: enough to list msgids and whether each is translated
(polib is not a dependency; the format is a few line kinds)."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

_LINE = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(".*")$')


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr) and not self.fuzzy


def read(path: Path) -> dict[str, Entry]:
    """msgid → Entry, without the header and the obsolete (#~) entries."""
    entries: dict[str, Entry] = {}
    current: Entry | None = None
    key = None

    def close():
        if current is not None and current.msgid:
            entries[current.msgid] = current

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#~"):
            continue
        if line.startswith("#,") and "fuzzy" in line or line.startswith("#") or line.startswith("msgctxt"):
            if current is not None and current.msgstr:  # a new entry starts
                close()
                current = None
            if current is None:
                current = Entry()
            if line.startswith("#,") and "fuzzy" in line:
                current.fuzzy = True
            continue
        match = _LINE.match(line)
        if match:
            kind, text = match.group(1), ast.literal_eval(match.group(2))
            if kind == "msgid":
                if current is not None and current.msgstr:
                    close()
                    current = None
                current = current or Entry()
                current.msgid, key = text, "msgid"
            elif kind == "msgid_plural":
                current.msgid_plural, key = text, "msgid_plural"
            else:
                current.msgstr.append(text)
                key = "msgstr"
        elif line.startswith('"') and current is not None:
            text = ast.literal_eval(line)
            if key == "msgstr":
                current.msgstr[-1] += text
            elif key == "msgid":
                current.msgid += text
            else:
                current.msgid_plural = (current.msgid_plural or "") + text
    close()
    return entries
