from django.core.management.base import BaseCommand

from webmail.accounts.models import MailAccount
from webmail.core import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored mail password with the first key of CREDENTIALS_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args, **options):
        rotated = unreadable = 0
        for account in MailAccount.objects.only("pk", "encrypted_password").iterator():
            try:
                account.encrypted_password = crypto.rotate(account.encrypted_password)
            except crypto.CredentialsUnreadable:
                unreadable += 1
                continue
            account.save(update_fields=["encrypted_password"])
            rotated += 1
        self.stdout.write(f"{rotated} password(s) re-encrypted, {unreadable} unreadable with the configured keys.")
        if unreadable:
            self.stderr.write("Unreadable accounts need their users to sign in again.")
