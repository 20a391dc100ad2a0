"""The project's own SMTP submission server, for the demo and the tests.

Like a real submission server it requires AUTH before MAIL FROM, checks the credentials against
the private Dovecot's user list, lets an account send only as itself or its "+tag" aliases,
refuses unknown recipients with a permanent 550, and delivers
accepted mail into the recipients' inboxes through Dovecot's LMTP service, so a message sent from
alice to bob really lands in bob's INBOX.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.conf import settings

from webmail.demo.dovecot import PrivateDovecot, free_port, wait_for_port

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    sender: str
    recipients: list[str]
    message_id: str | None
    data: bytes
    accepted_at: float = field(default_factory=time.time)


def may_send_as(login: str, address: str) -> bool:
    """Like Postfix's reject_sender_login_mismatch with the usual sub-address map: an account sends
    as itself and as its "+tag" aliases (alice+ventes@…), never as someone else."""
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" == login.lower()


class _Handler:
    def __init__(self, server: SubmissionServer):
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        login = getattr(session.auth_data, "login", b"")
        login = login.decode(errors="replace") if isinstance(login, bytes) else str(login or "")
        if address and not may_send_as(login, address):
            return f"553 5.7.1 <{address}>: Sender address rejected: not owned by user {login}"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() not in {user.lower() for user in self.server.dovecot.users}:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        try:
            with smtplib.LMTP("127.0.0.1", self.server.dovecot.lmtp_port, timeout=20) as lmtp:
                # One transaction per recipient: LMTP answers DATA once per recipient, and smtplib
                # reads only one answer, so a message to two people failed as a whole.
                for recipient in envelope.rcpt_tos:
                    lmtp.sendmail(envelope.mail_from, [recipient], data)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("LMTP delivery failed: %s", exc.__class__.__name__)
            return "451 4.3.0 Delivery to the mail store failed, try again later"
        headers = BytesHeaderParser().parsebytes(data)
        with self.server.lock:
            self.server.deliveries.append(
                Delivery(envelope.mail_from, list(envelope.rcpt_tos), headers.get("Message-ID"), data)
            )
        return "250 2.0.0 Message accepted for delivery"


@dataclass
class SubmissionServer:
    dovecot: PrivateDovecot
    port: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # A container serving other containers sets "0.0.0.0".
    host: str = "127.0.0.1"
    # The largest message accepted (advertised as SIZE; larger ones get a permanent 552); None:
    # settings.MESSAGE_MAX_BYTES. Tests of a refused message set a small one.
    data_size_limit: int | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode(errors="replace")
        password = auth_data.password.decode(errors="replace")
        users = self.dovecot.read_users()
        return AuthResult(success=users.get(login) == password, handled=False, auth_data=auth_data)

    def start(self) -> SubmissionServer:
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,  # demo and tests only; production uses the operator's real server
            # aiosmtpd's default (32 MiB) is smaller than settings.MESSAGE_MAX_BYTES
            data_size_limit=self.data_size_limit or settings.MESSAGE_MAX_BYTES,
            ready_timeout=10,
        )
        self._controller.start()
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages_with_id(self, message_id: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.message_id == message_id]
