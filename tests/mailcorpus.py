"""Realistic messages for the sending round trip: real sizes, real shapes, non-ASCII everywhere.

Binary files are made here (random bytes behind the right magic numbers), never committed. Every
value is derived from a seeded generator, so a failure can be reproduced byte for byte.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from django.conf import settings

FRENCH = (
    "Suite à notre réunion de jeudi, je vous confirme les points sur lesquels nous nous sommes "
    "accordés : la livraison des maquettes avant la fin du mois, une revue intermédiaire le 12, "
    "et la mise en production début janvier, sous réserve de l'accord du comité."
)
POLISH = "Zażółć gęślą jaźń. Szanowni Państwo, w załączeniu przesyłam sprawozdanie z Łodzi i Gdańska."
ARABIC = "مرحبا بكم، نرسل إليكم التقرير الشهري. شكرا جزيلا على تعاونكم، مع أطيب التحيات."


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Case:
    """One message as a person writes it. `to`/`cc`/`bcc` are names of test users (bob, carol,
    dan) with an optional display name; the test turns them into real addresses."""

    name: str
    subject: str
    body: str
    to: list[tuple[str, str]] = field(default_factory=lambda: [("bob", "")])
    cc: list[tuple[str, str]] = field(default_factory=list)
    bcc: list[tuple[str, str]] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    # "reply" answers, "forward" passes on, a long message already in the sender's inbox.
    starts_from: str = "new"
    # Saved to Drafts, the working copy dropped, reopened from Brouillons and sent from there.
    via_draft: bool = False
    # Attachments of the original message, for a forward.
    original_files: list[File] = field(default_factory=list)


def _bytes(seed: str, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def jpeg(name: str, size: int) -> File:
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    body = _bytes(name, max(size - len(header) - 2, 0))
    return File(name, "image/jpeg", header + body + b"\xff\xd9")


def pdf(name: str, size: int) -> File:
    header, trailer = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"
    return File(name, "application/pdf", header + _bytes(name, max(size - len(header) - len(trailer), 0)) + trailer)


def zip_file(name: str, size: int) -> File:
    return File(name, "application/zip", b"PK\x03\x04" + _bytes(name, max(size - 4, 0)))


def text_file(name: str, text: str) -> File:
    return File(name, "text/plain", text.encode())


def letter(paragraphs: int, seed: str) -> str:
    """Pages of ordinary prose: wrapped lines of 60-75 characters, blank lines between paragraphs."""
    rng = random.Random(seed)
    words = (FRENCH + " " + POLISH).split()
    out = []
    for _ in range(paragraphs):
        lines, line = [], []
        for _ in range(rng.randint(40, 90)):
            line.append(rng.choice(words))
            if len(" ".join(line)) > rng.randint(60, 75):
                lines.append(" ".join(line))
                line = []
        lines.append(" ".join(line) + ".")
        out.append("\n".join(lines))
    return "Madame, Monsieur,\n\n" + "\n\n".join(out) + "\n\nBien cordialement,\nAlice Martin"


def long_original() -> str:
    """The long message a reply quotes: 200 lines, some of them already quoted."""
    lines = []
    for i in range(200):
        prefix = "> " if 80 <= i < 120 else ""
        lines.append(f"{prefix}Ligne {i + 1} : {FRENCH[: 40 + i % 30]}")
    return "\n".join(lines)


def cases() -> list[Case]:
    limit = settings.ATTACHMENTS_MAX_BYTES
    return [
        Case("letter", "Compte rendu de la réunion du 12 décembre", letter(14, "letter"),
             to=[("bob", "Zoë Dubois-Łukasiewicz")]),
        Case("one-long-paragraph", "Un paragraphe sans retour à la ligne",
             ("Ceci est un très long paragraphe écrit d'un seul jet. " * 100)[:5000]),
        Case("three-languages", "Rapport — Sprawozdanie — تقرير",
             f"Bonjour à tous,\n\n{FRENCH}\n\n{POLISH}\n\n{ARABIC}\n\nالسلام عليكم\nAlice",
             to=[("bob", "محمد الأحمد")], cc=[("carol", "Małgorzata Wąsowska")], via_draft=True),
        Case("dots-and-from", "Lignes piégées",
             "Voici la liste :\n.\n.point en début de ligne\n..deux points\nFrom the start of a line\n"
             ">From quoted\nfin de ligne avec espaces   \n\tune tabulation\n\n\nDeux lignes vides au-dessus.\n."),
        Case("reply-to-a-long-message", "", "Merci, je réponds point par point ci-dessous.\n\nAlice",
             starts_from="reply"),
        Case("forward-with-attachments", "", "Je te transmets le message de Bob avec ses pièces jointes.",
             starts_from="forward", via_draft=True,
             original_files=[jpeg("photo-chantier.jpg", 200_000), pdf("devis signé.pdf", 350_000)]),
        Case("empty-file", "Fichier vide", "Le fichier joint est vide, c'est voulu.",
             files=[text_file("vide.txt", "")]),
        Case("photo", "Photo du chantier", "La photo de ce matin.", files=[jpeg("IMG_2041.jpg", 200 * 1024)]),
        Case("pdf-3mb", "Contrat à signer", "Voici le contrat, trois mégaoctets.",
             files=[pdf("contrat-2026.pdf", 3 * 1024 * 1024)]),
        Case("file-20mb", "Archive des plans", "Les plans complets (20 Mo).",
             files=[zip_file("plans-complets.zip", 20 * 1024 * 1024)]),
        Case("names-with-accents", "Pièces jointes aux noms accentués", "Trois fichiers, trois langues.",
             files=[pdf("Compte rendu réunion — été 2026.pdf", 50_000),
                    zip_file("Sprawozdanie źródła Łódź.zip", 40_000), pdf("تقرير شهري.pdf", 30_000)],
             via_draft=True),
        Case("several-at-once", "Tout le dossier", letter(2, "several"),
             files=[jpeg("façade.jpg", 180_000), jpeg("intérieur.jpg", 220_000), pdf("plan.pdf", 400_000),
                    text_file("notes.txt", f"{FRENCH}\n{POLISH}\n{ARABIC}\n"), zip_file("annexes.zip", 90_000)]),
        Case("bcc-recipient", "Invitation", "Vous êtes invités au pot de départ de Claire.",
             to=[("bob", "")], cc=[("carol", "Carol")], bcc=[("dan", "Dan Cachet")], via_draft=True),
        Case("largest-allowed", "Le plus gros message permis", "Tout ce que la limite autorise.",
             files=[pdf("dossier-complet.pdf", limit - 1_000_000), jpeg("couverture.jpg", 1_000_000)]),
    ]


def normalised(text: str) -> str:
    """Text as a person reads it: line ends of any kind are the same end."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def raw_problems(raw: bytes) -> list[str]:
    """What makes bytes not a proper RFC 5322 message for SMTP: bare CR or LF, lines over 998 octets."""
    problems = []
    lines = raw.split(b"\r\n")
    if any(b"\n" in line for line in lines):
        problems.append("bare LF")
    if any(b"\r" in line for line in lines):
        problems.append("bare CR")
    longest = max(len(line) for line in lines)
    if longest > 998:
        problems.append(f"a line of {longest} octets")
    if not raw.endswith(b"\r\n"):
        problems.append("no final CRLF")
    return problems
