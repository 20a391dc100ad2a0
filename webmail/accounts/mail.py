"""Open the signed-in user's mailbox: the bridge between a Django user and the IMAP gateway."""

from contextlib import contextmanager

from webmail.accounts.models import MailAccount
from webmail.imap import gateway


@contextmanager
def open_mailbox(account: MailAccount):
    with gateway.mailbox_for(account.email, account.password()) as mailbox:
        yield mailbox


def cache_key(account: MailAccount) -> str:
    """The key under which this account's connections and opened messages are kept in a web
    process (a hash of address and password: without the password nothing kept is reachable)."""
    return gateway.pool.key(account.email, account.password())
