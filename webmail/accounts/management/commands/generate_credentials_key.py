from django.core.management.base import BaseCommand

from webmail.core import crypto


class Command(BaseCommand):
    help = "Print a new key for CREDENTIALS_KEYS."

    def handle(self, *args, **options):
        self.stdout.write(crypto.generate_key())
