"""The demo mail server as one unit: a private Dovecot, the project's SMTP submission server and the
demo accounts with their messages. `make run` (rundemo) and the compose demo profile (demomail)
both start it through `start_demo_mail`, so they show the same thing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from webmail.demo.dovecot import PrivateDovecot
from webmail.demo.seed import DEMO_USERS, seed_mailbox
from webmail.demo.smtp import SubmissionServer


@dataclass
class DemoMailServer:
    dovecot: PrivateDovecot
    smtp: SubmissionServer

    def client_settings(self) -> dict[str, str]:
        """The environment that points the webmail at this server (from the same machine)."""
        return {
            "IMAP_HOST": "127.0.0.1", "IMAP_PORT": str(self.dovecot.imap_port), "IMAP_SECURITY": "none",
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp.port), "SMTP_SECURITY": "none",
        }

    def stop(self) -> None:
        self.smtp.stop()
        self.dovecot.stop()


def start_demo_mail(root: Path, env: Mapping[str, str], listen: str = "127.0.0.1") -> DemoMailServer:
    """Start Dovecot and the submission server on the DEMO_*_PORT ports, create the demo accounts
    and fill their empty inboxes. `listen` is the address IMAP and SMTP accept connections on."""
    dovecot = PrivateDovecot(
        root,
        imap_port=int(env.get("DEMO_IMAP_PORT", 10143)),
        lmtp_port=int(env.get("DEMO_LMTP_PORT", 10024)),
        listen=listen,
    ).start()
    try:
        for email, password in DEMO_USERS.items():
            dovecot.add_user(email, password)
        smtp = SubmissionServer(dovecot, port=int(env.get("DEMO_SMTP_PORT", 10587)), host=listen).start()
    except BaseException:
        dovecot.stop()
        raise
    server = DemoMailServer(dovecot, smtp)
    try:
        _seed(dovecot)
    except BaseException:
        server.stop()
        raise
    return server


def _seed(dovecot: PrivateDovecot) -> None:
    # The gateway reads the server from settings; point it here only while seeding.
    saved = settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SECURITY
    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SECURITY = "127.0.0.1", dovecot.imap_port, "none"
    try:
        for email, password in DEMO_USERS.items():
            seed_mailbox(email, password)
    finally:
        settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SECURITY = saved
