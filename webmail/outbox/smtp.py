"""Submission over SMTP with the user's own credentials. Failures are sorted into temporary
(worth a retry later) and permanent (tell the user), following the reply codes (4xx vs 5xx).

A failure carries what kind it is (for a sentence in the user's language, see outbox/toasts.py)
and the server's own words as detail, never a Python exception's text."""

import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.views.decorators.debug import sensitive_variables


class SubmissionError(Exception):
    """`kind`: refused (the server refused the message), recipients (every recipient refused),
    sender (the server does not let this account send from the message's address),
    auth (user name or password refused), connection (no usable connection: nothing said by the
    server), uncertain (the data went out and no answer came back: the server may have the message). `detail`: the server's reply, as it wrote it; empty when the server said nothing.
    `cause`: for the log only, the class of the network error behind a connection failure."""

    def __init__(self, kind: str, detail: str = "", *, temporary: bool, cause: str = ""):
        super().__init__(f"{kind}: {detail or cause}")
        self.kind = kind
        self.detail = detail
        self.temporary = temporary
        self.cause = cause


@dataclass(frozen=True)
class Submission:
    sender: str
    recipients: list[str]
    raw: bytes


def _context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not settings.MAIL_VERIFY_TLS:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _connect() -> smtplib.SMTP:
    host, port, timeout = settings.SMTP_HOST or "127.0.0.1", settings.SMTP_PORT, settings.MAIL_TIMEOUT
    if settings.SMTP_SECURITY == "tls":
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_context())
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle wait between commands
    if settings.SMTP_SECURITY == "starttls":
        connection.starttls(context=_context())
    return connection


def _is_temporary(code: int) -> bool:
    return 400 <= code < 500


def _reply(code: int, text: bytes | str) -> str:
    """The server's reply as it wrote it: "550 5.1.1 No such user here" (multi-line replies joined)."""
    words = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"[:300]


def _refuses_sender(text: bytes | str) -> bool:
    """Postfix's words when the account may not send as this address (reject_sender_login_mismatch
    and the other sender restrictions), refused at RCPT."""
    words = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return "sender address rejected" in words.lower()


class ClaimLost(Exception):
    """The row is no longer this worker's to send (see `submit`'s `data_starting`)."""


@sensitive_variables("password")
def submit(login: str, password: str, submission: Submission,
           data_starting: Callable[[], None] = lambda: None) -> dict[str, str]:
    """Hand the message to the submission server; returns once the server has accepted it.

    The result lists recipients the server refused while accepting the others, each with the
    server's reply ("550 5.1.1 No such user here"): the message has left then, so that is reported,
    never retried.

    Two phases. Until the message's data goes out nothing can have been accepted, so any failure
    is safe to retry. `data_starting` is called just before the data goes out (it records that on
    the row, and raises ClaimLost to stop here). If sending the data fails, the final "." never
    left and a retry is still safe. Once it has left, only the server's answer tells whether it took
    the message. That answer may take minutes (servers scan the message
    first; RFC 5321 §4.5.3.2.6 advises waiting 10 minutes), so it gets SMTP_FINAL_REPLY_TIMEOUT
    instead of the command timeout. When no answer comes (timeout, reset, closed connection) the
    outcome is uncertain: kind "uncertain", not temporary, so never retried silently. A 4xx answer
    is a refusal: the server did not take the message, and a retry is safe.
    """
    try:
        connection = _connect()
        try:
            connection.login(login, password)
            refused = _envelope(connection, submission)
        except BaseException:
            connection.close()
            raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SubmissionError("auth", _reply(exc.smtp_code, exc.smtp_error), temporary=False) from None
    except smtplib.SMTPSenderRefused as exc:
        # Refused at MAIL FROM: for this address (553, "Sender address rejected"), or for another
        # reason such as the declared size (552), which is the message's refusal.
        kind = "sender" if exc.smtp_code == 553 or _refuses_sender(exc.smtp_error) else "refused"
        raise SubmissionError(kind, _reply(exc.smtp_code, exc.smtp_error), temporary=_is_temporary(exc.smtp_code)) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(_refuses_sender(text) for _, text in exc.recipients.values()):
            # Postfix checks the sender at RCPT time (smtpd_delay_reject): every recipient refused
            # because of who sends is a refused sender, not a list of bad addresses.
            code, text = next(iter(exc.recipients.values()))
            raise SubmissionError("sender", _reply(code, text), temporary=_is_temporary(code)) from None
        detail = "; ".join(f"{rcpt}: {_reply(code, text)}" for rcpt, (code, text) in exc.recipients.items())
        raise SubmissionError("recipients", detail[:2000], temporary=all(map(_is_temporary, codes))) from None
    except smtplib.SMTPResponseException as exc:
        raise SubmissionError(
            "refused", _reply(exc.smtp_code, exc.smtp_error), temporary=_is_temporary(exc.smtp_code)
        ) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        # Connection refused, dropped, timed out, TLS failure: the server may be back later. It said
        # nothing, so there is no detail for the user; the exception's class goes to the log.
        raise SubmissionError("connection", temporary=True, cause=exc.__class__.__name__) from None

    try:
        data_starting()
    except BaseException:
        connection.close()  # in the middle of DATA, without the final ".": the server keeps nothing
        raise
    try:
        _send_data(connection, submission.raw)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        # sendall failed before the kernel took every byte, so the final "." never went out: the
        # server cannot have the message, and a retry is safe.
        connection.close()
        raise SubmissionError("connection", temporary=True, cause=exc.__class__.__name__) from None
    try:
        code, reply = _final_reply(connection)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        connection.close()
        raise SubmissionError("uncertain", temporary=False, cause=exc.__class__.__name__) from None
    _quit_quietly(connection)
    if code != 250:
        raise SubmissionError("refused", _reply(code, reply), temporary=_is_temporary(code))
    return {recipient: _reply(code, text) for recipient, (code, text) in refused.items()}


def _envelope(connection: smtplib.SMTP, submission: Submission) -> dict[str, tuple[int, bytes]]:
    """MAIL, RCPT and DATA up to the server's 354, as smtplib.sendmail sends them; returns the
    recipients refused while others were accepted."""
    connection.ehlo_or_helo_if_needed()
    options = []
    if connection.has_extn("size"):
        options.append(f"SIZE={len(submission.raw)}")
    if connection.has_extn("8bitmime") and not submission.raw.isascii():
        options.append("BODY=8BITMIME")
    code, reply = connection.mail(submission.sender, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, submission.sender)
    refused = {}
    for recipient in submission.recipients:
        code, reply = connection.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
    if len(refused) == len(submission.recipients):
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = connection.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    return refused


# Sending the data may take longer than one command: it gets MAIL_TIMEOUT plus the time the message
# takes at this rate (35 MB: about 12 minutes), so a large message on a slow link is not cut off.
DATA_MIN_BYTES_PER_SECOND = 50_000


def _send_data(connection: smtplib.SMTP, raw: bytes) -> None:
    """The message (dot-stuffed, RFC 5321 §4.5.2) and the final "."."""
    stuffed = re.sub(rb"(?m)^\.", b"..", raw)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    connection.sock.settimeout(settings.MAIL_TIMEOUT + len(stuffed) / DATA_MIN_BYTES_PER_SECOND)
    connection.send(stuffed + b".\r\n")


def _final_reply(connection: smtplib.SMTP) -> tuple[int, bytes]:
    """The server's answer to the final ".", which may come only after it scanned the message."""
    connection.sock.settimeout(settings.SMTP_FINAL_REPLY_TIMEOUT)
    code, reply = connection.getreply()
    connection.sock.settimeout(settings.MAIL_TIMEOUT)
    return code, reply


def _quit_quietly(connection: smtplib.SMTP) -> None:
    """QUIT, but whatever happens now changes nothing: the answer to "." has decided."""
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
