"""Submission over SMTP with the user's own credentials. Failures are sorted into temporary
(worth a retry later) and permanent (tell the user), following the reply codes (4xx vs 5xx)."""

import smtplib
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.views.decorators.debug import sensitive_variables


class SubmissionError(Exception):
    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


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
        raise SubmissionError(f"authentication refused ({exc.smtp_code})", temporary=False) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        details = ", ".join(f"{rcpt}: {code}" for rcpt, (code, _) in exc.recipients.items())
        raise SubmissionError(f"recipients refused ({details})", temporary=all(map(_is_temporary, codes))) from None
    except smtplib.SMTPResponseException as exc:
        raise SubmissionError(
            f"server answered {exc.smtp_code}: {exc.smtp_error.decode(errors='replace')[:200]}",
            temporary=_is_temporary(exc.smtp_code),
        ) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        # Connection refused, dropped, timed out, TLS failure: the server may be back later.
        raise SubmissionError(f"connection failed ({exc.__class__.__name__})", temporary=True) from None
    return refused
