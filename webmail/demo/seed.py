"""A handful of realistic messages in French and English for the demo accounts."""

from datetime import timedelta
from email.utils import make_msgid

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils import timezone

from webmail.compose.building import as_bytes

DEMO_DOMAIN = "demo.test"
DEMO_USERS = {f"alice@{DEMO_DOMAIN}": "alice", f"bob@{DEMO_DOMAIN}": "bob"}

TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _messages(to: str) -> list[tuple[EmailMessage, int, tuple[str, ...]]]:
    """(message, age in hours, flags), oldest first."""
    partner = f"bob@{DEMO_DOMAIN}" if to.startswith("alice") else f"alice@{DEMO_DOMAIN}"
    welcome = EmailMessage(
        "Bienvenue dans votre webmail",
        "Bonjour,\n\nVotre messagerie est prête. Quelques astuces :\n\n"
        "- après « Envoyer », vous avez quelques secondes pour cliquer sur « Annuler » ;\n"
        "- « Programmer l'envoi » vous propose de l'envoyer plus tard, selon vos propres heures de bureau "
        "(réglables dans Paramètres) ;\n"
        "- avant l'envoi, nous vérifions les pièces jointes oubliées et les objets vides.\n\n"
        "Bonne journée,\nL'équipe",
        "L'équipe Webmail <bienvenue@demo.test>",
        [to],
    )
    invoice = EmailMessage(
        "Facture n° 2026-114 — novembre",
        "Bonjour,\n\nVeuillez trouver ci-joint la facture du mois de novembre.\n"
        "Le règlement est attendu sous 30 jours.\n\nCordialement,\nClaire Martin\nComptabilité, Atelier Martin",
        "Claire Martin <claire.martin@atelier-martin.example>",
        [to],
    )
    invoice.attach("facture-2026-114.pdf", TINY_PDF, "application/pdf")
    meeting = EmailMessage(
        "Re: Réunion de lancement jeudi",
        "Jeudi 10 h me va très bien. Je réserve la salle Marie Curie.\n\nÀ jeudi !\n\n"
        "> Est-ce que jeudi matin te conviendrait pour la réunion de lancement ?\n> Bises",
        f"Bob <{partner}>" if partner.startswith("bob") else f"Alice <{partner}>",
        [to],
        headers={"In-Reply-To": "<kickoff-1@demo.test>", "References": "<kickoff-1@demo.test>"},
    )
    newsletter = EmailMultiAlternatives(
        "Your November product update",
        "What's new this month: faster search, dark mode, and more.",
        "Northwind News <news@northwind.example>",
        [to],
    )
    newsletter.attach_alternative(
        '<table width="100%" style="font-family:Arial;background-color:#f4f4f4"><tr><td>'
        '<h1 style="color:#2f5bea">November update</h1>'
        "<p>Faster search, a dark mode and more. "
        '<a href="https://northwind.example/blog">Read the blog</a>.</p>'
        '<img src="https://tracker.northwind.example/open.gif?u=42" width="1" height="1" alt="">'
        "</td></tr></table>",
        "text/html",
    )
    english = EmailMessage(
        "Contract draft for review",
        "Hi,\n\nCould you have a look at the contract draft before Friday?\n"
        "I've highlighted the clauses that changed since last time.\n\nThanks,\nDavid Chen",
        "David Chen <david.chen@globex.example>",
        [to],
    )
    question = EmailMessage(
        "Question sur la livraison",
        "Bonjour,\n\nPourriez-vous me confirmer la date de livraison de la commande 8841 ?\n\nMerci d'avance,\n"
        "Sophie Lefèvre",
        "Sophie Lefèvre <sophie.lefevre@exemple.fr>",
        [to],
    )
    return [
        (welcome, 72, ("\\Seen",)),
        (english, 50, ("\\Seen", "\\Flagged")),
        (invoice, 26, ()),
        (newsletter, 8, ()),
        (meeting, 3, ()),
        (question, 1, ()),
    ]


def seed_mailbox(email: str, password: str) -> int:
    """Fill an empty INBOX with the demo messages; returns how many were added."""
    from webmail.imap.gateway import mailbox_for

    with mailbox_for(email, password) as mailbox:
        if mailbox.page("INBOX", 1, per_page=1).total:
            return 0
        now = timezone.now()
        messages = _messages(email)
        for message, age_hours, flags in messages:
            message.extra_headers.setdefault("Message-ID", make_msgid(domain=DEMO_DOMAIN))
            mailbox.append("INBOX", as_bytes(message), flags=flags,
                           when=now - timedelta(hours=age_hours))
        return len(messages)
