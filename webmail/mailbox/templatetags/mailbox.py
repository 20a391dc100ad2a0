import html
from datetime import datetime
from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webmail.mailbox import preview
from webmail.mailbox.conversations import Conversation
from webmail.mailbox.folders import sidebar_folders
from webmail.preferences.digits import shape

register = template.Library()


@register.filter
def previewable(attachment) -> bool:
    """Whether the reading pane offers "Aperçu" for this attachment (image, PDF, text)."""
    return preview.kind_of(attachment.content_type, attachment.filename) is not None


@register.filter
def first_index(page) -> int:
    return (page.number - 1) * page.per_page + 1 if page.total else 0


@register.filter
def last_index(page) -> int:
    return min(page.number * page.per_page, page.total)


@register.filter
def address(value) -> str:
    """A parsed Address as "Name <email>", or just the email when there is no name."""
    name, email = getattr(value, "name", ""), getattr(value, "email", "")
    if name and email and name != email:
        return f"{name} <{email}>"
    return email or name


@register.simple_tag(takes_context=True)
def message_rows(context) -> str:
    """The rows of the message list: one per message, or one per conversation (`conversations`).

    This loop is the hot path of the list page: Django's template engine spends ~0.5 ms on each
    row's dozen tags, more than the IMAP fetch of the whole page, so rows are built here with
    escape() and one format string (same markup and escaping). What is the same on every row
    (labels, badges, a folder's URL part) is translated and escaped once per page.
    """
    listing, current = context["listing"], context["current"]
    groups = context.get("conversations") or [Conversation((row.message,)) for row in listing.rows]
    folder_of = {id(row.message): row.folder for row in listing.rows}
    # In Sent and Drafts, people look for whom they wrote to, not for themselves.
    outgoing = {f.name for f in context.get("folders") or () if f.kind in ("\\Sent", "\\Drafts")}
    star = escape(_("Star"))
    unread_label = f'<span class="visually-hidden">{escape(_("Unread:"))} </span>'
    answered_badge = _BADGE.format("answered", escape(_("Answered")), "↩")
    attachment_badge = _BADGE.format("attachment", escape(_("Has attachment")), "📎")
    no_subject, no_sender = _("(no subject)"), _("(unknown sender)")
    select, select_conversation = _("Select “%(subject)s”"), _("Select the conversation “%(subject)s”")
    to = _("To: %(recipients)s")
    message_url = escape(reverse("mailbox:message", args=[1])[: -len("1/")])
    dates = _DateFormatter()
    folders: dict[str, tuple[str, str]] = {}  # name -> (escaped, URL-quoted: no HTML specials)
    html = []
    for conversation in groups:
        m = conversation.latest
        folder = folder_of[id(m)]
        if folder not in folders:
            folders[folder] = (escape(folder), quote(folder, safe=""))
        folder_html, folder_url = folders[folder]
        subject = m.subject or no_subject
        written = folder in outgoing and bool(m.to)  # a row of Envoyés or Brouillons: who it went to

        def people(message, written=written) -> list[str]:
            return list(message.to) if written else [message.sender_name or message.sender_email or no_sender]

        href = f"{message_url}{m.uid}/?folder={folder_url}"
        uids = str(m.uid)
        names = people(m)
        if conversation.count > 1:
            names = _first_names(conversation.participants(people))
            uids = ",".join(map(str, conversation.uids))
            href = f"{message_url}{m.uid}/conversation/?folder={folder_url}&amp;also={uids}"
        who = ", ".join(names)
        sender = escape(to % {"recipients": who} if written else who)
        if conversation.count > 1:
            sender += _count_badge(conversation.count)
        badges = ""
        if listing.searching and folder != current:
            badges += f'<span class="badge folder-badge">{folder_html}</span>'
        if conversation.answered:
            badges += answered_badge
        if conversation.has_attachment:
            badges += attachment_badge
        flagged = conversation.flagged
        html.append(
            _ROW.format(
                unread="" if conversation.seen else " unread",
                uid=m.uid,
                uids=uids,
                folder=folder_html,
                select=escape((select_conversation if conversation.count > 1 else select) % {"subject": subject}),
                star_on=" on" if flagged else "",
                star_action="unstar" if flagged else "star",
                pressed="true" if flagged else "false",
                star_icon="★" if flagged else "☆",
                star=star,
                href=href,
                sender=sender,
                unread_label="" if conversation.seen else unread_label,
                subject=escape(subject),
                preview=f' <span class="preview">— {escape(m.preview)}</span>' if m.preview else "",
                badges=badges,
                iso=m.date.isoformat() if m.date else "",
                date=dates.short(m.date),
            )
        )
    return mark_safe("\n".join(html))  # every text above went through escape(); numbers need not


def _first_names(names: list[str]) -> list[str]:
    """A conversation's people as its row names them: the first name of each when it has one
    ("Claire, Bob, Anna"), at most four."""
    short = [name.split()[0] if " " in name and "@" not in name else name for name in names]
    return short if len(short) <= 4 else [*short[:3], "…"]


def _count_badge(count: int) -> str:
    label = escape(ngettext("%(count)s message", "%(count)s messages", count) % {"count": count})
    return f' <span class="thread-count" title="{label}"><span aria-hidden="true">{shape(str(count))}</span>' \
           f'<span class="visually-hidden">{label}</span></span>'


@register.simple_tag(takes_context=True)
def folder_nav(context, oob: bool = False) -> str:
    """The sidebar: "New message", the folders with their unread counts, "Manage folders".

    On every page and in every HTMX list response (out of band), so built like the rows: one
    format string per folder instead of a template loop (~1 ms less per page).

    The mailbox pages pass `folders` (fetched with their own IMAP commands); the others (compose,
    settings, the outbox) do not, and get them here, so that Brouillons is one click away everywhere.
    """
    current = context.get("current")
    folders = context.get("folders")
    if folders is None:
        folders = _sidebar_folders(context)
    folder_url = reverse("mailbox:folder")
    items = []
    for f in folders:
        if not f.selectable:
            continue
        active = f.name == current
        count = ""
        if f.unseen:
            label = ngettext("%(n)s unread", "%(n)s unread", f.unseen) % {"n": f.unseen}
            count = f'<span class="count" aria-label="{escape(label)}">{f.unseen}</span>'
        items.append(
            _FOLDER.format(
                depth=f.depth or 0,
                href=escape(f"{folder_url}?folder={quote(f.name, safe='')}"),
                icon=escape(f.icon),
                active=" active" if active else "",
                current=' aria-current="page"' if active else "",
                label=escape(f.label),
                count=count,
            )
        )
    return mark_safe(  # every value went through escape() or is a number
        _FOLDER_NAV.format(
            oob=' hx-swap-oob="true"' if oob else "",
            unread=_inbox_unread(folders),
            compose_url=escape(reverse("compose:new")),
            compose=escape(_("New message")),
            folders="\n".join(items),
            # Beside a message list, folder links swap only the list (HTMX, history kept).
            boost=_BOOST if "listing" in context else "",
            manage_url=escape(reverse("mailbox:folders")),
            manage=escape(_("Manage folders")),
        )
    )


def _inbox_unread(folders) -> str:
    """The inbox's unread count and its sentence, for the tab title and the desktop notification
    (newmail.js). Without folders (the server failed) nothing: the title keeps what it had."""
    inbox = next((f for f in folders if f.name == "INBOX"), None)
    if inbox is None:
        return ""
    sentence = ngettext("%(n)s unread message in the inbox", "%(n)s unread messages in the inbox",
                        inbox.unseen) % {"n": inbox.unseen}
    return f' data-inbox-unread="{inbox.unseen}" data-unread-sentence="{escape(sentence)}"'


@register.simple_tag
def poll_seconds() -> int:
    return settings.MAIL_POLL_SECONDS


def _sidebar_folders(context) -> list:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(user, "mail_account"):
        return []
    return sidebar_folders(user.mail_account)


class _DateFormatter:
    """Row dates, escaped (today: the time; this year: day and month; older: the short date).
    The clock, zone and formats are looked up once; a day seen on an earlier row is not formatted
    again."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.today = timezone.now().astimezone(self.zone).date()
        self.short_format = formats.get_format("SHORT_DATE_FORMAT")
        # Translators: Django date format for a day of this year in the message list ("Nov 29");
        # French: "j N" ("29 nov.").
        self.day_format = _("M j")
        self.days: dict = {}

    def short(self, value: datetime | None) -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            value = timezone.make_aware(value, timezone.get_default_timezone())
        local = value.astimezone(self.zone)
        day = local.date()
        if day == self.today:
            return shape(f"{local:%H:%M}")
        if day not in self.days:
            pattern = self.day_format if day.year == self.today.year else self.short_format
            self.days[day] = shape(escape(dateformat.format(local, pattern)))
        return self.days[day]


def escape(value) -> str:
    return html.escape(str(value), quote=True)


_BADGE = (
    '<span class="badge {0}" title="{1}"><span aria-hidden="true">{2}</span>'
    '<span class="visually-hidden">{1}</span></span>'
)
_ROW = (
    '<li class="message{unread}" data-uid="{uid}">'
    '<input class="select" type="checkbox" name="msg" value="{uids}:{folder}" aria-label="{select}">'
    '<button class="star-toggle{star_on}" type="submit" name="one" value="{star_action}:{uids}:{folder}" '
    'aria-pressed="{pressed}" data-shortcut="s"><span aria-hidden="true">{star_icon}</span>'
    '<span class="visually-hidden">{star}</span></button>'
    '<a class="open" href="{href}">{unread_label}<span class="sender" dir="auto">{sender}</span>'
    '<span class="summary" dir="auto"><span class="subject">{subject}</span>{preview}</span></a>'
    '<span class="meta">{badges}<time datetime="{iso}">{date}</time></span>'
    "</li>"
)
_FOLDER = (
    '<li class="depth-{depth}"><a href="{href}" class="folder icon-{icon}{active}"{current}>'
    '<span class="folder-name">{label}</span>{count}</a></li>'
)
_BOOST = ' hx-boost="true" hx-target="#message-list" hx-swap="outerHTML"'
_FOLDER_NAV = (
    '<div id="folder-nav"{oob}{unread}>'
    '<a class="button primary compose-button" href="{compose_url}">{compose}</a>'
    '<ul class="folders"{boost}>{folders}</ul>'
    '<p class="folder-tools"><a href="{manage_url}">{manage}</a></p>'
    "</div>"
)
