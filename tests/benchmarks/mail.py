"""Mail for the benchmarks: a newsletter as mail clients send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

PARAGRAPHS = [
    "Chers adhérents, voici les nouvelles du trimestre : l'assemblée générale aura lieu le 12 décembre "
    "à la salle des fêtes, suivie d'un repas partagé. Merci de confirmer votre présence avant vendredi.",
    "Drodzy członkowie, zapraszamy na spotkanie w sprawie budżetu na przyszły rok. Zażółć gęślą jaźń — "
    "prosimy o potwierdzenie obecności do piątku.",
    "أعزاءنا الأعضاء، يسعدنا دعوتكم إلى الاجتماع السنوي العام يوم الثاني عشر من ديسمبر في قاعة الاحتفالات.",
]


def letter(i: int) -> bytes:
    """A newsletter as mail clients send them: multipart/alternative, a table layout with inline
    styles, links and remote images (blocked by default), about 60 KB of HTML."""
    rows = "".join(
        f'<tr><td style="padding:12px;font-family:Arial,sans-serif;color:#333;border-bottom:1px solid #eee">'
        f'<h2 style="margin:0 0 8px;font-size:18px;color:#1a5276">Rubrique {n}</h2>'
        f"<p style=\"line-height:1.5\">{PARAGRAPHS[n % 3]}</p>"
        f'<p><a href="https://association.example/articles/{i}/{n}?utm_source=lettre" '
        f'style="color:#2874a6">Lire la suite</a></p>'
        f'<img src="https://cdn.association.example/img/{n}.jpg" width="560" alt="Illustration {n}"></td></tr>'
        for n in range(60)
    )
    html = (
        "<!DOCTYPE html><html><head><style>td{font-size:14px} .pied{color:#888}</style></head><body>"
        f'<table width="600" cellpadding="0" cellspacing="0" style="margin:0 auto">{rows}</table>'
        '<p class="pied">Se désabonner : <a href="https://association.example/stop">ici</a></p>'
        '<img src="https://track.association.example/open.gif" width="1" height="1"></body></html>'
    )
    message = EmailMessage()
    message["Subject"] = f"Lettre d’information n° {i} — Zażółć gęślą jaźń"
    message["From"] = "Association des Amis du Quartier <lettre@association.example>"
    message["To"] = "alice@example.test"
    message["Date"] = format_datetime(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i))
    message.set_content("\n\n".join(PARAGRAPHS * 20))
    message.add_alternative(html, subtype="html")
    return message.as_bytes()
