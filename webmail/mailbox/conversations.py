"""Conversations: the list's rows grouped by thread, and one thread gathered to be read in order.

The list groups only the page it shows (its 50 newest messages), so it stays O(page) on any
folder: two messages are in one conversation when one's Message-ID is in the other's In-Reply-To
or References, or when both name the same earlier message (their thread's root, possibly on an
older page or in Envoyés), or, for a reply that carries no such headers, when its subject is the
other's without its "Re:" (two plain "Facture n°12" stay apart). Opening a conversation asks the
server for the rest of it (`gather`): one SEARCH in the folder and one in Envoyés, for the messages
that name its ids, each over a window of messages (SEARCH_WINDOW) rather than the whole folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webmail.imap.gateway import Envelope, Mailbox

# The reply and forward prefixes of the mail programs our users' correspondents use, so that the
# next reply says "Re : " once, in the replier's language, whatever the thread said before: English
# (Re, Fwd, Fw), French (Ré, Tr), German (Aw, Wg), Nordic (Sv), Spanish/Portuguese (Rv, Enc), Polish
# (Odp, Pd: Outlook's "ODP:" and "PD:"), Arabic (رد, إعادة توجيه, توجيه, تحويل). "Re[2]:" and "Re(2):"
# count replies; \u200e/\u200f are the direction marks an Arabic client may put around the colon,
# "：" the full-width colon of East Asian clients.
_PREFIXES = re.compile(
    r"^[\s\u200e\u200f]*((re|aw|sv|ré|odp|fwd?|tr|wg|rv|enc|pd|رد|إعادة توجيه|توجيه|تحويل)"
    r"[\s\u200e\u200f]*(\[\d+\]|\(\d+\))?[\s\u200e\u200f]*[:：][\s\u200e\u200f]*)+",
    re.IGNORECASE,
)
# Opening a conversation shows at most this many messages of each folder (the newest).
MAX_GATHERED = 100
# The ids a conversation is searched by: the message's own, its root and the latest it answers.
MAX_SEARCHED_IDS = 8
# A header SEARCH costs the server a look at every message it covers (~0.5 s for 100,000 here):
# it covers the messages within this many UIDs of the one opened, and Envoyés' newest this many.
SEARCH_WINDOW = 5000


def strip_prefixes(subject: str) -> str:
    """The subject without its reply and forward prefixes ("RE: TR: Odp: Devis" → "Devis")."""
    return _PREFIXES.sub("", subject or "").strip()


@dataclass(frozen=True)
class Conversation:
    messages: tuple[Envelope, ...]  # newest first, as the list shows them

    @property
    def latest(self) -> Envelope:
        return self.messages[0]

    @property
    def count(self) -> int:
        return len(self.messages)

    @property
    def uids(self) -> list[int]:
        return [m.uid for m in self.messages]

    @property
    def seen(self) -> bool:
        return all(m.seen for m in self.messages)

    @property
    def flagged(self) -> bool:
        return any(m.flagged for m in self.messages)

    @property
    def answered(self) -> bool:
        return any(m.answered for m in self.messages)

    @property
    def has_attachment(self) -> bool:
        return any(m.has_attachment for m in self.messages)

    def participants(self, names_of) -> list[str]:
        """Each person once, as `names_of(envelope)` names a message's people, in the order they
        joined (oldest first)."""
        names: list[str] = []
        for message in reversed(self.messages):
            for name in names_of(message):
                if name and name not in names:
                    names.append(name)
        return names


def group(envelopes: list[Envelope]) -> list[Conversation]:
    """The page's messages (newest first) as conversations, ordered by their newest message."""
    parent = list(range(len(envelopes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    first_naming: dict[str, int] = {}  # an id → the first message on the page that names it
    first_with_subject: dict[str, int] = {}
    for i, message in enumerate(envelopes):
        for message_id in {message.message_id, message.in_reply_to, *message.references} - {""}:
            if message_id in first_naming:
                join(i, first_naming[message_id])
            else:
                first_naming[message_id] = i
        base = strip_prefixes(message.subject).casefold()
        if not base:
            continue
        if base not in first_with_subject:
            first_with_subject[base] = i
        elif _answers_by_subject_only(message) or _answers_by_subject_only(envelopes[first_with_subject[base]]):
            join(i, first_with_subject[base])

    grouped: dict[int, list[Envelope]] = {}
    for i, message in enumerate(envelopes):
        grouped.setdefault(root(i), []).append(message)
    return [Conversation(tuple(messages)) for messages in grouped.values()]


def _answers_by_subject_only(message: Envelope) -> bool:
    """A reply ("Re: …") from a program that did not say which message it answers."""
    return not message.in_reply_to and not message.references and bool(_PREFIXES.match(message.subject or ""))


@dataclass(frozen=True)
class Gathered:
    """A conversation opened: its messages oldest first, each with the folder it is in."""

    messages: tuple[tuple[str, Envelope], ...]
    anchor: Envelope

    def uids_in(self, folder: str) -> list[int]:
        return [m.uid for name, m in self.messages if name == folder]


def gather(mailbox: Mailbox, folder: str, uid: int, sent: str | None, also: list[int] = ()) -> Gathered | None:
    """The conversation of message `uid`: the messages of `folder` and of Envoyés (`sent`) that
    name one of its ids or are named by it, and those of `folder` the list grouped with it (`also`:
    by subject, for mail without threading headers). None when the message is gone."""
    anchor = next(iter(mailbox.envelopes(folder, [uid])), None)
    if anchor is None:
        return None
    keys = search_keys(anchor)
    found: list[tuple[str, Envelope]] = []
    for name in dict.fromkeys(n for n in (folder, sent) if n):
        uids = []
        if keys and name == folder:
            window = f"{max(1, uid - SEARCH_WINDOW)}:{uid + SEARCH_WINDOW}"
            uids = sorted(mailbox.search(name, ["UID", window, *keys]))[-MAX_GATHERED:]
        elif keys:
            uids = sorted(mailbox.search_newest(name, SEARCH_WINDOW, keys))[-MAX_GATHERED:]
        if name == folder:  # the anchor is fetched already
            uids = sorted({*uids, *also[:MAX_GATHERED]} - {uid})
            found.append((name, anchor))
        found += [(name, m) for m in mailbox.envelopes(name, uids)]
    # A message the user sent to themselves (or Cc'd) is in both folders: shown once, from the folder.
    kept = {m.message_id for name, m in found if name == folder and m.message_id}
    found = [(name, m) for name, m in found if name == folder or m.message_id not in kept]
    found.sort(key=lambda pair: (pair[1].date.timestamp() if pair[1].date else 0, pair[0] != folder, pair[1].uid))
    return Gathered(tuple(found), anchor)


def search_keys(anchor: Envelope) -> list:
    """IMAP SEARCH keys for the messages of `anchor`'s thread: those whose Message-ID is one of its
    ids (its own, its root, those it answers) and those whose References or In-Reply-To name one."""
    ids = list(dict.fromkeys(i for i in (anchor.message_id, *anchor.references[:1], anchor.in_reply_to,
                                         *reversed(anchor.references[1:])) if i))[:MAX_SEARCHED_IDS]
    alternatives = [[header, message_id] for message_id in ids
                    for header in ("Message-ID", "References", "In-Reply-To")]
    keys: list = []
    for index, (header, message_id) in enumerate(alternatives):
        if index < len(alternatives) - 1:
            keys.append("OR")
        keys += ["HEADER", header, message_id]
    return keys
