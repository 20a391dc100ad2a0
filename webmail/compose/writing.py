"""What the compose page shows about who writes: the "De" choice, the signature menu with each
signature ready to swap in, the templates to insert, the quoted original."""

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from webmail.compose.models import Composition
from webmail.identities import service as identities
from webmail.identities.models import Signature


def writing_context(composition: Composition) -> dict:
    user = composition.user
    signatures = list(Signature.objects.filter(user=user))
    return {
        "identities": identities.identities(user),
        # Each signature block as it will leave (the "-- " line included), for the menu to swap in.
        # The HTML was sanitised when the signature was saved.
        "signature_blocks": [
            {"pk": s.pk, "html": mark_safe(identities.signature_html(s)), "text": identities.signature_text(s)}
            for s in signatures
        ],
        "templates": identities.templates(user),
        "quote_html": mark_safe(composition.quote_html),  # sanitised when the reply was started
        "rich": composition.is_rich,
        "ask_name": identities.needs_name(user),
        "suggested_name": identities.suggested_name(user.mail_account.email),
        "editor_i18n": editor_i18n(),
    }


def editor_i18n() -> dict:
    """The words of the editor's toolbar and switch, for editor.js (json_script)."""
    return {
        "toolbar": _("Formatting"), "bold": _("Bold (Ctrl+B)"), "italic": _("Italic (Ctrl+I)"),
        "underline": _("Underline (Ctrl+U)"), "bullets": _("Bulleted list"), "numbers": _("Numbered list"),
        "quote": _("Quote"), "link": _("Link (Ctrl+K)"), "colour": _("Text colour"), "image": _("Insert an image"),
        "link_prompt": _("Address of the link:"), "to_plain": _("Plain text"), "to_rich": _("Rich text"),
        "confirm_plain": _("Switch to plain text? Bold, links, colours and images will be removed."),
        "image_too_big": _("This image is larger than 2 MB: attach it as a file instead."),
    }
