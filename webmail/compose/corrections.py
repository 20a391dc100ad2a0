"""Envoyer un correctif (and Relancer): a new message to exactly the people a sent message went to.

To and Cc as they were, Bcc recipients kept in Bcc (never shown to the others), the subject
prefixed in the user's language, threaded as an answer to the original (In-Reply-To/References),
the original quoted below, the user's "Correction" template as a start, and the same identity
as the original. The recipients come from what the server knows: the exact bytes that left and
their envelope (outbox row), or the copy in Sent, which carries a Bcc header for its sender.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import getaddresses

from django.utils.translation import gettext as _

from webmail.compose import replies, richtext
from webmail.compose.models import Composition
from webmail.compose.service import fetch_original, quoted_html, writes_rich
from webmail.identities import service as identities
from webmail.mailbox.parse import Address, ParsedMessage, parse_message


@dataclass(frozen=True)
class Recipients:
    to: list[Address]
    cc: list[Address]
    bcc: list[str]

    def addresses(self) -> list[str]:
        return [*(a.email for a in self.to), *(a.email for a in self.cc), *self.bcc]

    def only(self, wanted: list[str] | None) -> Recipients:
        """Those of `wanted` (the variant "seulement à certains destinataires"), each in its field."""
        if wanted is None:
            return self
        keep = {address.lower() for address in wanted}
        return Recipients([a for a in self.to if a.email.lower() in keep], [a for a in self.cc if a.email.lower() in keep],
                          [b for b in self.bcc if b.lower() in keep])


def recipients_of(raw: bytes, envelope: list[str] | None = None) -> Recipients:
    """Who a sent message went to. `envelope` (the outbox row's recipients) names everyone, so the
    Bcc recipients are those of it the headers do not show; without it, the Sent copy's own Bcc
    header (which the webmail adds to its sender's copy only) says who they were."""
    original = parse_message(raw)
    shown = {a.email.lower() for a in [*original.to, *original.cc]}
    if envelope is not None:
        hidden = [address for address in envelope if address.lower() not in shown]
    else:
        header = message_from_bytes(raw, policy=policy.compat32).get_all("Bcc") or []
        hidden = [email for _name, email in getaddresses([str(h) for h in header]) if email]
    bcc: list[str] = []
    for address in hidden:
        if address.lower() not in shown and address.lower() not in {b.lower() for b in bcc}:
            bcc.append(address)
    in_to = {a.email.lower() for a in original.to}
    return Recipients(list(original.to), [a for a in original.cc if a.email.lower() not in in_to], bcc)


def correction_subject(subject: str) -> str:
    prefix = _("Correction: %(subject)s") % {"subject": ""}
    if subject.strip().lower().startswith(prefix.strip().lower()):
        return subject.strip()  # correcting a correction: one prefix is enough
    return (_("Correction: %(subject)s") % {"subject": subject.strip()}).strip()


def sender_identity(user, original: ParsedMessage):
    """The identity the original was sent from (its From), else the default one. The one place
    that decides who a correction is from."""
    return identities.identity_for(user, [a.email for a in original.from_])


def _template_text(user) -> str:
    """The user's "Correction" template (from the templates work), if they kept one."""
    name = _("Correction").lower()
    return next((t.text for t in identities.templates(user) if t.name.strip().lower() == name), "")


def start_correction(user, raw: bytes, *, envelope: list[str] | None = None,
                     only: list[str] | None = None) -> Composition:
    """A composition correcting the sent message `raw`: see the module's docstring. `only` narrows
    the recipients (never widens them)."""
    original = parse_message(raw)
    return _to_the_same_people(user, raw, original, recipients_of(raw, envelope).only(only),
                               correction_subject(original.subject), _template_text(user))


def start_follow_up(user, raw: bytes, *, envelope: list[str] | None = None) -> Composition:
    """Relancer: a message in the same thread to the people the sent message `raw` went to."""
    original = parse_message(raw)
    return _to_the_same_people(user, raw, original, recipients_of(raw, envelope),
                               replies.reply_subject(original.subject), "")


def _to_the_same_people(user, raw: bytes, original: ParsedMessage, recipients: Recipients, subject: str,
                        text: str) -> Composition:
    identity = sender_identity(user, original)
    in_reply_to, references = replies.references(original)
    rich = writes_rich(user)
    return Composition.objects.create(
        user=user, to=replies.format_addresses(recipients.to), cc=replies.format_addresses(recipients.cc),
        bcc=", ".join(recipients.bcc), subject=subject, body=text,
        body_html=(richtext.from_text(text) or "<div><br></div>") if rich else "",
        identity=identity, signature=identities.signature_for(identity, reply=True),
        quote=replies.quoted_reply(original),
        quote_html=quoted_html(original, replies.attribution(original)) if rich else "",
        in_reply_to=in_reply_to, references=references,
    )


def sent_copy(user, folder: str, uid: int) -> bytes:
    """The copy in Sent that the user wants to correct (OriginalNotFound if it is gone)."""
    return fetch_original(user.mail_account, folder, uid)
