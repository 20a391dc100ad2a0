"""Real failed sends for the tests of what the toasts and the Boîte d'envoi show: messages to
addresses the SMTP server does not know, refused with its own 550 by a real worker."""

from datetime import timedelta

from django.utils import timezone

from tests.outbox.conftest import wait_for
from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

LETTER = ("Madame, Monsieur,\n\nVeuillez trouver ci-dessous le planning des interventions de la semaine "
          "prochaine sur le chantier de la rue Émile-Zola.\n\nLundi : coulage de la dalle du rez-de-chaussée.\n"
          "Mardi : séchage, aucune intervention.\nMercredi : pose des réseaux.\n\nJe reste à votre disposition.\n\n"
          "Bien cordialement,\nZoé Wiśniewska\n")

SUBJECTS = ["Planning du chantier — semaine 48", "Relevé de compteurs d'octobre", "Devis n° 2026-114 révisé",
            "Réunion de copropriété du 12 décembre", "Facture d'acompte — lot plâtrerie", "Photos de la façade est",
            "Compte rendu de la visite de jeudi", "Attestation d'assurance décennale", "Commande de carrelage",
            "Relance : PV de réception", "Accès au parking pendant les travaux", "Rendez-vous avec l'architecte"]


def refused_sends(user, count: int) -> list[OutboxMessage]:
    """`count` messages, each to two mistyped addresses the server refuses (550): each one fails for
    good and goes back to Drafts. Needs a running worker (celery_worker)."""
    rows = []
    for n in range(count):
        composition = Composition.objects.create(
            user=user, to=f"jerzy.brzeczyszczykiewicz.{n}@example.test, zofia.wisniewska.{n}@example.test",
            subject=SUBJECTS[n % len(SUBJECTS)], body=LETTER,
        )
        rows.append(service.queue(composition, send_at=timezone.now() + timedelta(seconds=0.1)))
    wait_for(lambda: OutboxMessage.objects.filter(pk__in=[r.pk for r in rows], state=State.FAILED).count() == count,
             timeout=60)
    return rows
