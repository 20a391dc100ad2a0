"""Hostile HTML mail opened in headless Chromium: no script runs, no request leaves for a remote host."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]

HOSTILE = sorted((Path(__file__).parent.parent / "mailbox" / "hostile").glob("*.html"))
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _mail(path: Path) -> bytes:
    message = EmailMessage()
    message["Subject"] = path.stem
    message["From"] = "Mallory <mallory@evil.example>"
    message["To"] = "alice@example.test"
    message.set_content(path.read_bytes().decode("utf-8", "replace"), subtype="html")
    return message.as_bytes()


def sign_in(page, user) -> None:
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(user.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Boîte de réception")).to_be_visible()


def test_the_corpus_is_big_enough():
    assert len(HOSTILE) >= 30


# Two halves, so that the two xdist workers share the ~50 page loads.
@pytest.mark.parametrize("half", [0, 1])
def test_hostile_messages_run_nothing_and_fetch_nothing_remote(page, mail_user, imap, half):
    files = HOSTILE[half::2]
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [_mail(path) for path in files])
        uids = mailbox.search("INBOX", ["ALL"])

    remote, dialogs, script_signs, console = [], [], [], []

    def route(route):
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOCAL_HOSTS:
            remote.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", route)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # A script that ran in the sandbox and called alert() leaves this console message.
    page.on("console", lambda msg: script_signs.append(msg.text) if "Ignored call to" in msg.text else None)
    # Scripts blocked by the sandbox, or loads refused by the CSP, would mean the sanitiser let them
    # through and only the second line of defence stopped them: the sanitiser alone must suffice.
    page.on("console", lambda msg: console.append(msg.text))
    page.on("pageerror", lambda error: script_signs.append(str(error)))

    sign_in(page, mail_user)
    for path, uid in zip(files, uids, strict=True):
        page.goto(f"{page.base_url}/mail/{uid}/?folder=INBOX")
        expect(page.get_by_role("heading", name=path.stem)).to_be_visible()
        frame = page.frame_locator("iframe.message-body")
        expect(frame.locator("body")).to_be_attached()
        body_frame = next(f for f in page.frames if f != page.main_frame)
        assert "/corps/" in body_frame.url, (path.name, body_frame.url)
        assert page.title().split(") ", 1)[-1].startswith(path.stem), path.name  # after "(24) ", the unread count
        assert page.evaluate("window.name") == "", path.name

    assert remote == []
    assert dialogs == []
    assert script_signs == []
    assert [text for text in console if "Blocked script" in text or "Refused to" in text] == []
