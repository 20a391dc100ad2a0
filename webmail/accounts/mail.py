"""Open the signed-in user's mailbox: the bridge between a Django user and the IMAP gateway."""

from contextlib import contextmanager

from webmail.accounts.models import MailAccount
from webmail.imap import gateway


@contextmanager
def open_mailbox(account: MailAccount):
    with gateway.mailbox_for(account.email, account.password()) as mailbox:
        yield mailbox
