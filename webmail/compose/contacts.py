"""Address suggestions: people the user has written to (the outbox) or received mail from (INBOX)."""

from webmail.accounts.mail import open_mailbox
from webmail.imap.gateway import MailServerError
from webmail.outbox import service as outbox


def suggestions(user, typed: str, limit: int = 8) -> list[str]:
    needle = typed.strip().lower()
    if len(needle) < 2:
        return []
    found: dict[str, str] = {}
    for address in outbox.recent_recipients(user, messages=300):
        if needle in address.lower():
            found.setdefault(address.lower(), address)
    try:
        with open_mailbox(user.mail_account) as mailbox:
            uids = mailbox.search("INBOX", ["FROM", typed.strip()])[-30:]
            for envelope in mailbox.envelopes("INBOX", uids):
                if envelope.sender_email:
                    label = f"{envelope.sender_name} <{envelope.sender_email}>" if envelope.sender_name else envelope.sender_email
                    found.setdefault(envelope.sender_email.lower(), label)
    except MailServerError:
        pass  # suggestions are a convenience; the outbox part still helps
    return sorted(found.values(), key=str.lower)[:limit]
