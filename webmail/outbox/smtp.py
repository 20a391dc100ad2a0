"""Submission over SMTP with the user's own credentials. Failures are sorted into temporary
(worth a retry later) and permanent (tell the user), following the reply codes (4xx vs 5xx).

A failure carries what kind it is (for a sentence in the user's language, see outbox/toasts.py)
and the server's own words as detail, never a Python exception's text."""

import smtplib
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.views.decorators.debug import sensitive_variables


class SubmissionError(Exception):
    """`kind`: refused (the server refused the message), recipients (every recipient refused),
    auth (user name or password refused), connection (no usable connection: nothing said by the
    server). `detail`: the server's reply, as it wrote it; empty when the server said nothing.
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
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=_context())
    connection = smtplib.SMTP(host, port, timeout=timeout)
    if settings.SMTP_SECURITY == "starttls":
        connection.starttls(context=_context())
    return connection


def _is_temporary(code: int) -> bool:
    return 400 <= code < 500


def _reply(code: int, text: bytes | str) -> str:
    """The server's reply as it wrote it: "550 5.1.1 No such user here" (multi-line replies joined)."""
    words = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"[:300]


@sensitive_variables("password")
def submit(login: str, password: str, submission: Submission) -> dict[str, tuple[int, bytes]]:
    """Hand the message to the submission server; returns once the server has accepted it.

    The result lists recipients the server refused while accepting the others: the message has
    left then, so that is reported, never retried.
    """
    try:
        with _connect() as connection:
            connection.login(login, password)
            refused = connection.sendmail(submission.sender, submission.recipients, submission.raw)
    except smtplib.SMTPAuthenticationError as exc:
        raise SubmissionError("auth", _reply(exc.smtp_code, exc.smtp_error), temporary=False) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
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
    return refused
