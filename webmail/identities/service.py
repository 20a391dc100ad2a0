"""Who a message is from: the user's identities, which one answers a message, which signature goes
with it, and the first identity made at the first sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from webmail.compose import richtext
from webmail.identities.models import Identity, Signature, Template, TemplateAttachment, WritingPreferences


def suggested_name(email: str) -> str:
    """A display name guessed from the address: "marie-claire.dupont@…" → "Marie-Claire Dupont"."""
    local = email.split("@", 1)[0].split("+", 1)[0]
    words = [w for w in re.split(r"[._]+", local) if w and not w.isdigit()]
    return " ".join("-".join(part.capitalize() for part in word.split("-")) for word in words)


def needs_name(user) -> bool:
    """True until the user has said what name their messages carry: the compose page asks, with
    a name guessed from the address, before the first message leaves."""
    return not writing_preferences(user).name_asked


@transaction.atomic
def create_first(user, name: str) -> Identity:
    """The default identity (the account's own address) with the name the user gave. The signature
    kept in the former settings field becomes the first named signature, used everywhere."""
    if name:
        WritingPreferences.objects.update_or_create(user=user, defaults={"name_asked": True})
    existing = Identity.objects.filter(user=user, is_default=True).first() or Identity.objects.filter(user=user).first()
    if existing is not None:
        Identity.objects.filter(pk=existing.pk).update(name=name)
        existing.name = name
        return existing
    signature = None
    from webmail.preferences.models import Preferences

    old = Preferences.for_user(user).signature.strip()
    if old:
        signature = Signature.objects.create(user=user, name=_("My signature"), text=old)
    return Identity.objects.create(user=user, name=name, email=user.mail_account.email, is_default=True,
                                   new_signature=signature, reply_signature=signature)


def identities(user) -> list[Identity]:
    found = list(Identity.objects.filter(user=user).select_related("new_signature", "reply_signature"))
    return found or [default_identity(user)]


def default_identity(user) -> Identity:
    """The identity used unless another is chosen. A user who skipped the name question still has
    one: the account's address, no name (the message leaves as a bare address, as before)."""
    identity = Identity.objects.filter(user=user, is_default=True).first()
    if identity is None:
        identity = Identity.objects.filter(user=user).first()
    if identity is None:
        identity = create_first(user, "")
    return identity


def identity_for(user, addresses: Iterable[str]) -> Identity:
    """The identity a message was addressed to (its To, Cc, Delivered-To…), else the default.
    Used for replies and forwards, and by anything that writes back to the same people (a
    correction of a sent message, for instance)."""
    wanted = [a.strip().lower() for a in addresses if a and a.strip()]
    if wanted:
        mine = {i.email.lower(): i for i in Identity.objects.filter(user=user)}
        for address in wanted:
            if address in mine:
                return mine[address]
    return default_identity(user)


def set_default(user, identity: Identity) -> None:
    with transaction.atomic():
        Identity.objects.filter(user=user).exclude(pk=identity.pk).update(is_default=False)
        Identity.objects.filter(pk=identity.pk).update(is_default=True)


def signature_for(identity: Identity | None, *, reply: bool) -> Signature | None:
    if identity is None:
        return None
    return identity.reply_signature if reply else identity.new_signature


# ----------------------------------------------------------------------------- signatures

SEPARATOR = "-- "  # RFC 3676 §4.3: a line of dash, dash, space


def _without_separator(text: str) -> str:
    """`text` without a leading "--" line the user typed themselves (with or without the space)."""
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    if lines and lines[0].rstrip() == "--":
        lines = lines[1:]
    return "\n".join(lines).strip("\n")


def signature_text(signature: Signature | None) -> str:
    """The signature block of a plain-text message: the "-- " line once, then the signature. A
    signature that starts with its own "--" line does not get a second one."""
    body = _without_separator(signature.text) if signature is not None else ""
    return f"{SEPARATOR}\n{body}" if body.strip() else ""


_HTML_SEPARATOR = re.compile(r"^\s*(<(div|p|span)[^>]*>\s*)*--\s*(&nbsp;|\xa0)?\s*(<br\s*/?>|</(div|p)>)", re.I)


def signature_html(signature: Signature | None) -> str:
    """The signature block of a rich message: the "-- " line (once, as above), then the signature."""
    if signature is None or not (signature.html or signature.text.strip()):
        return ""
    body = signature.html or richtext.from_text(signature.text.strip())
    if _HTML_SEPARATOR.match(body):
        return f"<div>{body}</div>"
    return f"<div>--&nbsp;<br>{body}</div>"


def save_signature(signature: Signature, *, text: str, markup: str) -> Signature:
    """A signature from the settings form: rich when the editor sent formatting, else plain."""
    cleaned = richtext.clean(markup) if markup.strip() else ""
    signature.html = cleaned if _is_rich(cleaned) else ""
    signature.text = richtext.to_text(cleaned) if cleaned else text.replace("\r\n", "\n").strip()
    signature.save()
    return signature


def _is_rich(markup: str) -> bool:
    """Formatting beyond lines of text (bold, a link, an image…) is worth a rich signature."""
    return bool(re.search(r"<(?!/?(div|p|br|span)\b)[a-z]", markup, re.I) or "style=" in markup)


# ----------------------------------------------------------------------------- templates

def writing_preferences(user) -> WritingPreferences:
    found, _created = WritingPreferences.objects.get_or_create(user=user)
    return found


def remember_format(user, *, plain_text: bool) -> None:
    WritingPreferences.objects.update_or_create(user=user, defaults={"plain_text": plain_text})


def starter_templates() -> list[tuple[str, str, str]]:
    """(name, subject, text) in the user's language. Placeholders in ‹…› are what the pre-send
    check catches if left in; the correction and the apology are plain and sincere, meant to be
    sent from the user's own address to exactly the people concerned."""
    return [
        (_("Correction"), _("Correction: ‹subject of the previous message›"),
         _("Hello ‹First name›,\n\nA small correction to my previous message: ‹what was wrong› should read "
           "‹the right information›.\n\nSorry for the confusion, and thank you for your understanding.")),
        (_("Apology"), _("Apologies about ‹subject›"),
         _("Hello ‹First name›,\n\nI am sorry: ‹what happened›. It should not have happened, and I have "
           "‹what you did to fix it›.\n\nIf you have any questions, just reply to this message: I read "
           "my replies myself.")),
        (_("Thank you"), _("Thank you"),
         _("Hello ‹First name›,\n\nThank you for ‹what they did›. ‹A sentence about what comes next›.\n\n"
           "Have a good day,")),
        (_("Meeting request"), _("Meeting about ‹topic›"),
         _("Hello ‹First name›,\n\nCould we meet to talk about ‹topic›? I am available ‹two or three "
           "slots›.\n\nTell me what suits you best.")),
    ]


def templates(user) -> list[Template]:
    """The user's templates; the first time, the starters (in the language of that moment)."""
    preferences = writing_preferences(user)
    if not preferences.starters_given:
        with transaction.atomic():
            if WritingPreferences.objects.filter(pk=preferences.pk, starters_given=False).update(starters_given=True):
                Template.objects.bulk_create(
                    Template(user=user, name=name, subject=subject, text=text)
                    for name, subject, text in starter_templates()
                )
    return list(Template.objects.filter(user=user))


def save_template(template: Template, *, subject: str, text: str, markup: str) -> Template:
    cleaned = richtext.clean(markup) if markup.strip() else ""
    template.subject = subject
    template.html = cleaned if _is_rich(cleaned) else ""
    template.text = richtext.to_text(cleaned) if cleaned else text.replace("\r\n", "\n")
    template.save()
    return template


@transaction.atomic
def template_from(composition, *, with_attachments: bool = False) -> Template:
    """The message being written, without its signature or quote, kept as a template; its files
    too when the user ticked "avec ses pièces jointes"."""
    templates(composition.user)  # the starters first, so they do not come after
    name = composition.subject.strip()[:100] or _("New template")
    template = Template.objects.create(user=composition.user, name=name, subject=composition.subject,
                                       text=composition.body, html=composition.body_html)
    if with_attachments:
        TemplateAttachment.objects.bulk_create(
            TemplateAttachment(template=template, filename=a.filename, content_type=a.content_type, size=a.size,
                               data=bytes(a.data))
            for a in composition.attachments.all()
        )
    return template
