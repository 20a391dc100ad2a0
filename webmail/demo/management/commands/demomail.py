"""The demo mail server alone (a private Dovecot, the project's SMTP submission server, the demo
accounts and messages): the `demo` service of compose/docker-compose.yml. `make run` starts the same
server through the same function (webmail.demo.mailserver). SIGTERM or Ctrl-C stops it."""

import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from webmail.demo.mailserver import start_demo_mail
from webmail.demo.seed import DEMO_USERS


class Command(BaseCommand):
    help = "Run only the demo mail server (private Dovecot + SMTP submission server) with the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--listen", default="127.0.0.1",
            help="address IMAP and SMTP listen on; 0.0.0.0 in a container so the other services reach it",
        )

    def handle(self, *args, listen, **options):
        stop = threading.Event()
        # `docker stop` sends SIGTERM: stop Dovecot cleanly instead of dying with it running.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        server = start_demo_mail(settings.VAR_DIR / "demo-mail", os.environ, listen=listen)
        try:
            lines = [
                f"Demo mail server: IMAP on {listen}:{server.dovecot.imap_port}, "
                f"SMTP submission on {listen}:{server.smtp.port} (no TLS). Accounts:",
                *(f"  {email}  password: {password}" for email, password in DEMO_USERS.items()),
                "Ready.",
            ]
            self.stdout.write("\n".join(lines))
            self.stdout.flush()
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            self.stdout.write("Demo mail server stopped.")
