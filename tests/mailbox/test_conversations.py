"""Conversations: the list groups a page's messages by thread; opening one shows it in order, with
the user's own replies from Envoyés; actions on a conversation act on all of its messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import preferences_data
from tests.mailbox.conftest import build
from webmail.imap.gateway import Envelope
from webmail.mailbox.conversations import group, search_keys, strip_prefixes

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def envelope(uid: int, subject: str = "Devis", message_id: str = "", in_reply_to: str = "",
             references: tuple[str, ...] = (), sender: str = "Claire Martin", seen: bool = True) -> Envelope:
    return Envelope(uid=uid, subject=subject, sender_name=sender, sender_email="", to=(), date=START + timedelta(hours=uid),
                    seen=seen, flagged=False, answered=False, has_attachment=False, preview="", size=100,
                    message_id=message_id, in_reply_to=in_reply_to, references=references)


def page(*envelopes: Envelope) -> list[Envelope]:
    return sorted(envelopes, key=lambda e: e.uid, reverse=True)  # as the list has them: newest first


# Grouping (pure) -----------------------------------------------------------------------------------

def test_a_reply_joins_the_message_it_answers_and_the_conversation_takes_the_place_of_its_newest():
    rows = page(envelope(1, "Devis", "<a@x>"), envelope(2, "Réunion", "<r@x>"),
                envelope(3, "Re: Devis", "<b@x>", "<a@x>", ("<a@x>",), sender="Bob Durand"))
    first, second = group(rows)
    assert [m.uid for m in first.messages] == [3, 1] and first.latest.uid == 3
    assert first.participants(lambda m: [m.sender_name]) == ["Claire Martin", "Bob Durand"]
    assert [m.uid for m in second.messages] == [2]


def test_two_answers_to_a_message_of_another_page_or_of_envoyes_share_their_root():
    # Claire's and Bob's answers reply to what the user sent (in Envoyés, not on this page).
    rows = page(envelope(5, "Re: Planning", "<c@x>", "<mine@me>", ("<root@x>", "<mine@me>")),
                envelope(6, "RE: Planning", "<d@x>", "<c@x>", ("<root@x>", "<mine@me>", "<c@x>")),
                envelope(7, "Planning", "<other@x>"))  # a new thread of the same name, no headers linking it
    assert [c.uids for c in group(rows)] == [[7], [6, 5]]


def test_messages_of_the_same_plain_subject_stay_apart_unless_one_is_a_reply():
    apart = group(page(envelope(1, "Facture n°12"), envelope(2, "Facture n°12"), envelope(3, "Bonjour")))
    assert [c.count for c in apart] == [1, 1, 1]
    together = group(page(envelope(1, "Rendez-vous mardi"), envelope(2, "Odp: Rendez-vous mardi"),
                          envelope(3, "رد: Rendez-vous mardi")))
    assert [c.uids for c in together] == [[3, 2, 1]]


def test_threads_interleaved_on_a_full_page_come_apart_in_order():
    rows = []
    for uid in range(1, 51):
        thread = uid % 5
        rows.append(envelope(uid, f"Sujet {thread}", f"<{uid}@x>", f"<{uid - 5}@x>" if uid > 5 else "",
                             (f"<{thread or 5}@x>",) if uid > 5 else ()))
    conversations = group(page(*rows))
    assert len(conversations) == 5
    assert [c.latest.uid for c in conversations] == [50, 49, 48, 47, 46]
    assert all(c.count == 10 for c in conversations)
    assert conversations[0].uids == list(range(50, 0, -5))


def test_a_conversation_is_unread_when_any_of_its_messages_is():
    conversation, = group(page(envelope(1, "Devis", "<a@x>"), envelope(2, "Re: Devis", "", "<a@x>", seen=False)))
    assert not conversation.seen


def test_prefixes_of_every_language_are_stripped():
    for subject in ("Re: Devis", "RE : TR: Devis", "Odp: Devis", "Fwd: Re[2]: Devis", "رد: Devis", "AW: Devis",
                    "Re(3): Devis", "Re：Devis"):
        assert strip_prefixes(subject) == "Devis", subject
    assert strip_prefixes("Revue de presse") == "Revue de presse"


def test_search_keys_ask_for_the_thread_by_each_id_in_one_or_chain():
    keys = search_keys(envelope(9, "Re: Devis", "<c@x>", "<b@x>", ("<a@x>", "<b@x>")))
    assert keys.count("OR") == 8 and keys.count("HEADER") == 9  # 3 ids × Message-ID, References, In-Reply-To
    assert keys[-3:] == ["HEADER", "In-Reply-To", "<b@x>"]
    assert search_keys(envelope(1, "Sans en-têtes")) == []


# Over HTTP, on the real server ---------------------------------------------------------------------

def _thread(user, put_mail):
    """Claire asks, the user answers (in Envoyés), Claire and Bob answer; plus an unrelated message."""
    me = user.email
    put_mail(user, [build(subject="Devis cuisine — Łódź", sender="Claire Martin <claire@example.fr>", to=me,
                          body="Pouvez-vous m’envoyer le devis ?\n" * 20, date=START,
                          headers={"Message-ID": "<q1@example.fr>"})])
    put_mail(user, [build(subject="Re: Devis cuisine — Łódź", sender=me, to="claire@example.fr",
                          body="Voici le devis, à votre disposition.", date=START + timedelta(hours=1),
                          headers={"Message-ID": "<a1@example.test>", "In-Reply-To": "<q1@example.fr>",
                                   "References": "<q1@example.fr>"})], folder="Sent", flags=("\\Seen",))
    put_mail(user, [build(subject="Sans rapport", sender="Anna Nowak <anna@example.pl>", to=me, date=START,
                          headers={"Message-ID": "<other@example.pl>"})])
    put_mail(user, [build(subject="RE: Devis cuisine — Łódź", sender="Claire Martin <claire@example.fr>", to=me,
                          body="Merci, c’est parfait.", date=START + timedelta(hours=2),
                          headers={"Message-ID": "<q2@example.fr>", "In-Reply-To": "<a1@example.test>",
                                   "References": "<q1@example.fr> <a1@example.test>"})])
    put_mail(user, [build(subject="Re: Devis cuisine — Łódź", sender="Bob Durand <bob@example.fr>", to=me,
                          cc="claire@example.fr", body="Je m’occupe de la pose.", date=START + timedelta(hours=3),
                          headers={"Message-ID": "<b1@example.fr>", "In-Reply-To": "<q2@example.fr>",
                                   "References": "<q1@example.fr> <a1@example.test> <q2@example.fr>"})])


def _rows(html: str) -> list[str]:
    return re.findall(r'<li class="message[^"]*".*?</li>', html, re.S)


@pytest.mark.imap
@pytest.mark.django_db
def test_the_list_shows_one_row_per_conversation_with_its_count_and_people(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    _thread(user, put_mail)
    first, unrelated, second, third = uids(user)
    rows = _rows(signed_in_client.get("/mail/").content.decode())
    assert len(rows) == 2
    conversation = rows[0]
    assert "Claire, Bob" in conversation and "3 messages" in conversation
    assert f'name="msg" value="{third},{second},{first}:INBOX"' in conversation
    assert f'href="/mail/{third}/conversation/?folder=INBOX&amp;also={third},{second},{first}"' in conversation
    assert "Je m’occupe de la pose." in conversation  # the newest message's start
    assert f'href="/mail/{unrelated}/?folder=INBOX"' in rows[1]  # alone: opens as a message


@pytest.mark.imap
@pytest.mark.django_db
def test_opening_a_conversation_shows_it_in_order_with_the_users_reply_from_envoyes(signed_in_client, put_mail,
                                                                                    uids, imap):
    user = signed_in_client.mail_user
    _thread(user, put_mail)
    first, _unrelated, second, third = uids(user)
    # Opened from its newest message alone (no "also"): the server finds the rest by the headers.
    response = signed_in_client.get(f"/mail/{third}/conversation/", {"folder": "INBOX"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1 id=\"conversation-subject\" tabindex=\"-1\" dir=\"auto\">Devis cuisine — Łódź</h1>" in html
    assert "4 messages dans cette conversation" in html
    order = [html.index(text) for text in ("Pouvez-vous m’envoyer", "Voici le devis", "Merci, c’est parfait",
                                           "Je m’occupe de la pose")]
    assert order == sorted(order)
    assert html.count("<details open>") == 3  # the unread ones and the newest; the user's reply is folded
    assert html.count('class="badge folder-badge">Envoyés</span>') == 1
    assert 'data-src="/mail/' in html and "folder=Sent" in html  # its body is fetched when unfolded
    assert f'name="msg" value="{first},{second},{third}:INBOX"' in html  # actions: the folder's messages
    with imap(user) as mailbox:  # opened: read
        assert mailbox.search("INBOX", ["UNSEEN"]) == [_unrelated]


@pytest.mark.imap
@pytest.mark.django_db
def test_archiving_a_conversation_from_the_list_archives_all_of_it_and_undo_brings_it_back(signed_in_client,
                                                                                          put_mail, uids):
    user = signed_in_client.mail_user
    _thread(user, put_mail)
    first, unrelated, second, third = uids(user)
    response = signed_in_client.post("/mail/actions/", {"action": "archive", "msg": f"{third},{second},{first}:INBOX",
                                                        "next": "/mail/?folder=INBOX"})
    assert response.status_code == 302
    assert uids(user) == [unrelated]
    assert len(uids(user, "Archive")) == 3


@pytest.mark.imap
@pytest.mark.django_db
def test_a_conversation_is_starred_and_marked_read_as_a_whole(signed_in_client, put_mail, uids, imap):
    user = signed_in_client.mail_user
    _thread(user, put_mail)
    first, unrelated, second, third = uids(user)
    signed_in_client.post("/mail/actions/", {"one": f"star:{third},{second},{first}:INBOX", "next": "/mail/"})
    signed_in_client.post("/mail/actions/", {"action": "read", "msg": f"{third},{second},{first}:INBOX",
                                             "next": "/mail/"})
    with imap(user) as mailbox:
        assert mailbox.search("INBOX", ["FLAGGED"]) == [first, second, third]
        assert mailbox.search("INBOX", ["UNSEEN"]) == [unrelated]
    row = _rows(signed_in_client.get("/mail/").content.decode())[0]
    assert f'value="unstar:{third},{second},{first}:INBOX"' in row and 'class="message"' in row


@pytest.mark.imap
@pytest.mark.django_db
def test_switched_off_in_parametres_the_list_is_flat_again(signed_in_client, put_mail):
    user = signed_in_client.mail_user
    _thread(user, put_mail)
    response = signed_in_client.post("/parametres/", preferences_data(conversations=False))
    assert response.status_code == 302
    assert len(_rows(signed_in_client.get("/mail/").content.decode())) == 4
    signed_in_client.post("/parametres/", preferences_data(conversations=True))
    assert len(_rows(signed_in_client.get("/mail/").content.decode())) == 2


@pytest.mark.imap
@pytest.mark.django_db
def test_search_results_and_drafts_stay_one_row_per_message(signed_in_client, put_mail):
    user = signed_in_client.mail_user
    _thread(user, put_mail)
    found = _rows(signed_in_client.get("/mail/", {"q": "Devis"}).content.decode())
    assert len(found) == 4 and sum("folder-badge" in row for row in found) == 1  # 3 here, the reply in Envoyés
    put_mail(user, [build(subject="Re: Devis cuisine — Łódź", headers={"In-Reply-To": "<q1@example.fr>"}),
                    build(subject="Re: Devis cuisine — Łódź", headers={"In-Reply-To": "<q1@example.fr>"})],
             folder="Drafts")
    assert len(_rows(signed_in_client.get("/mail/", {"folder": "Drafts"}).content.decode())) == 2


@pytest.mark.imap
@pytest.mark.django_db
@pytest.mark.parametrize("query,status", [({"folder": "INBOX", "also": "1,x"}, 400),
                                          ({"folder": "INBOX", "also": "0"}, 400),
                                          ({"folder": "INBOX", "also": ",".join(["1"] * 101)}, 400),
                                          ({"folder": "Nulle part"}, 404),
                                          ({"folder": "INBOX"}, 404)])
def test_bad_conversation_links_are_4xx(signed_in_client, query, status):
    response = signed_in_client.get("/mail/4242/conversation/", query)
    assert response.status_code == status


@pytest.mark.imap
@pytest.mark.django_db
def test_in_envoyes_a_conversation_row_names_whom_it_was_written_to(signed_in_client, put_mail):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Devis", sender=user.email, to="Claire Martin <claire@example.fr>",
                          headers={"Message-ID": "<s1@example.test>"}),
                    build(subject="Re: Devis", sender=user.email, to="Claire Martin <claire@example.fr>",
                          cc="Bob Durand <bob@example.fr>",
                          headers={"Message-ID": "<s2@example.test>", "References": "<s1@example.test>"})],
             folder="Sent", flags=("\\Seen",))
    rows = _rows(signed_in_client.get("/mail/", {"folder": "Sent"}).content.decode())
    assert len(rows) == 1
    assert re.search(r'<span class="sender" dir="auto">À : Claire <span class="thread-count"', rows[0])


@pytest.mark.imap
@pytest.mark.django_db
def test_an_answer_alone_in_the_inbox_links_to_its_conversation_with_the_users_message(signed_in_client, put_mail,
                                                                                      uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Planning", sender=user.email, to="claire@example.fr",
                          body="Voici le planning de décembre.", date=START,
                          headers={"Message-ID": "<p1@example.test>"})],
             folder="Sent", flags=("\\Seen",))
    put_mail(user, [build(subject="Re: Planning", body="Merci, c’est noté.", date=START + timedelta(hours=1),
                          headers={"In-Reply-To": "<p1@example.test>", "References": "<p1@example.test>"}),
                    build(subject="Sans rapport")])
    answer, unrelated = uids(user)
    page = signed_in_client.get(f"/mail/{answer}/", {"folder": "INBOX"}).content.decode()
    link = f'href="/mail/{answer}/conversation/?folder=INBOX">Afficher toute la conversation</a>'
    assert link in page
    assert "Afficher toute la conversation" not in signed_in_client.get(f"/mail/{unrelated}/",
                                                                        {"folder": "INBOX"}).content.decode()
    thread = signed_in_client.get(f"/mail/{answer}/conversation/", {"folder": "INBOX"}).content.decode()
    assert thread.index("Voici le planning") < thread.index("Merci, c’est noté.")


@pytest.mark.imap
@pytest.mark.django_db
def test_a_message_the_user_copied_to_themselves_shows_once(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    mine = build(subject="Compte rendu", sender=user.email, to="claire@example.fr", cc=user.email, date=START,
                 body="Le compte rendu de la réunion.", headers={"Message-ID": "<cc@example.test>"})
    put_mail(user, [mine], folder="Sent", flags=("\\Seen",))
    put_mail(user, [mine, build(subject="Re: Compte rendu", date=START + timedelta(hours=1), body="Merci !",
                                headers={"In-Reply-To": "<cc@example.test>", "References": "<cc@example.test>"})])
    _copy, answer = uids(user)
    thread = signed_in_client.get(f"/mail/{answer}/conversation/", {"folder": "INBOX"}).content.decode()
    assert thread.count('<li class="thread-message') == 2 and 'folder-badge">Envoyés' not in thread


@pytest.mark.imap
@pytest.mark.django_db
def test_a_conversation_opened_while_the_mail_server_is_down_says_so(signed_in_client, put_mail, uids, settings):
    from webmail.demo.dovecot import free_port
    from webmail.imap import gateway

    _thread(signed_in_client.mail_user, put_mail)
    newest = uids(signed_in_client.mail_user)[-1]
    gateway.pool.clear()
    settings.IMAP_PORT = free_port()
    response = signed_in_client.get(f"/mail/{newest}/conversation/", {"folder": "INBOX"})
    assert response.status_code == 503
    assert "ne répond pas" in response.content.decode()
