"""Before Envoyer: the pre-send checks and the off-hours nudge, gathered for the dialog."""

from datetime import datetime

from webmail.compose import checks
from webmail.compose.addresses import parse_recipients
from webmail.compose.models import Composition
from webmail.outbox import schedule
from webmail.outbox import service as outbox
from webmail.preferences.models import Preferences


def check_settings(preferences: Preferences) -> checks.CheckSettings:
    return checks.CheckSettings(
        attachment=preferences.check_attachment,
        subject=preferences.check_subject,
        placeholders=preferences.check_placeholders,
        recipients_privacy=preferences.check_recipients_privacy,
        visible_recipients_limit=preferences.visible_recipients_limit,
        domain_typos=preferences.check_domain_typos,
        reply_all=preferences.check_reply_all,
        reply_all_limit=preferences.reply_all_limit,
        heavy_attachments=preferences.check_heavy_attachments,
        heavy_attachments_bytes=preferences.heavy_attachments_mb * 1024 * 1024,
        off_hours=preferences.off_hours_nudge,
    )


def known_domains(user) -> set[str]:
    """Domains the user already writes to: a recipient there is never a typo."""
    return {address.rsplit("@", 1)[-1].lower() for address in outbox.recent_recipients(user)}


def off_hours_finding(now: datetime, preferences: Preferences) -> checks.Finding | None:
    nudge = schedule.off_hours_suggestion(now, preferences.office_hours())
    if nudge is None:
        return None
    return checks.Finding("off_hours", nudge.message, {"preset": nudge.suggested.key,
                                                         "when": nudge.suggested.description})


def review(composition: Composition, now: datetime, *, sending_now: bool) -> list[checks.Finding]:
    preferences = Preferences.for_user(composition.user)
    draft = checks.Draft(
        to=[r.email for r in parse_recipients(composition.to).valid],
        cc=[r.email for r in parse_recipients(composition.cc).valid],
        bcc=[r.email for r in parse_recipients(composition.bcc).valid],
        subject=composition.subject,
        body=composition.body,
        attachment_names=[a.filename for a in composition.attachments.all()],
        attachments_bytes=composition.attachments_size,
        is_reply_all=composition.reply_all,
        signature=composition.signature.text if composition.signature else "",
    )
    off_hours = off_hours_finding(now, preferences) if sending_now else None
    return checks.run_checks(draft, check_settings(preferences), known_domains=known_domains(composition.user),
                             off_hours=off_hours)


def fix_address(composition: Composition, address: str, suggestion: str) -> bool:
    """The one-click fix for a mistyped domain, in whichever field holds the address."""
    changed = False
    for field in ("to", "cc", "bcc"):
        value = getattr(composition, field)
        if address and address in value:
            setattr(composition, field, value.replace(address, suggestion))
            changed = True
    if changed:
        composition.save(update_fields=["to", "cc", "bcc", "updated_at"])
    return changed
