"""The newcomer path (issue 14): a fresh clone, `make run` as the README says, alice sends bob a
real message with an attachment, it lands in bob's inbox, Ctrl-C, and nothing is left running.

How it stays true to what a newcomer does:
- The clone is of committed HEAD (`git clone`), into an empty directory: no `var/`, no `.venv`, no
  database, no demo mail store. Work in progress that is not committed is not in it, as in CI.
- Its environment is the machine's minus every variable the project reads (DATABASE_URL above all:
  CI sets it for the suite; the newcomer's default is the SQLite file in `var/`), minus make's own
  (MAKEFLAGS, MAKELEVEL, when pytest runs under `make test`).
- The virtualenv is built by the clone's own Makefile, from pip's cache: measured at 24 s (of about
  60 s for the whole test) on a machine where `make test` had just built the main one, which is
  also CI's situation. Reusing the main checkout's venv is not safe: the Makefile's `pip install -e .`
  in the clone would re-point that venv's editable `webmail` at the clone, deleted after the test.
- `make run` talks to a pseudo-terminal, so Python line-buffers its output as for a person, and
  Ctrl-C is SIGINT to its process group, which is what a terminal sends.
- Only ports and Redis differ from the defaults, so that the clone collides with nothing: free ports
  from the environment variables rundemo documents, and a REDIS_URL where nothing listens, so that
  rundemo starts its private Redis there, as on a machine whose Redis service is not running. The
  clone's Celery queue is then its own, and Ctrl-C must stop that Redis too.
- The cancel window is shortened only through the product: alice chooses 5 s on the settings page.
"""

from __future__ import annotations

import hashlib
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from imapclient import IMAPClient

from tests.helpers import preferences_data
from webmail.demo.dovecot import PrivateDovecot, free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.newcomer, pytest.mark.imap, pytest.mark.smtp, pytest.mark.redis, pytest.mark.celery]

SUBJECT = "Compte rendu de la réunion — Łódź, مرحبا"
ATTACHMENT_NAME = "Photo de l'équipe.jpg"


def test_a_fresh_clone_runs_sends_a_message_with_an_attachment_and_stops_on_ctrl_c(tmp_path):
    clone = _clone(tmp_path / "webmail")
    assert not (clone / "var").exists() and not (clone / ".venv").exists()
    ports = {"PORT": free_port(), "DEMO_IMAP_PORT": free_port(), "DEMO_LMTP_PORT": free_port(),
             "DEMO_SMTP_PORT": free_port(), "DEMO_REDIS_PORT": free_port()}
    env = _newcomer_environment()
    env.update({name: str(port) for name, port in ports.items()})
    env["REDIS_URL"] = f"redis://127.0.0.1:{ports['DEMO_REDIS_PORT']}/0"
    dovecot = PrivateDovecot(clone / "var" / "demo-mail", imap_port=ports["DEMO_IMAP_PORT"],
                             lmtp_port=ports["DEMO_LMTP_PORT"])

    started = time.monotonic()
    run = MakeRun(clone, env)
    try:
        url = run.wait_for_url(timeout=600)
        print(f"make run printed {url} after {time.monotonic() - started:.0f} s")
        assert url == f"http://127.0.0.1:{ports['PORT']}/", run.tail()
        assert (clone / "var" / "webmail.sqlite3").exists(), "the clone did not use its SQLite default\n" + run.tail()
        dovecot_pid = int(dovecot.pid_file.read_text())
        running = _processes_of(run.process.pid, dovecot_pid, clone, dovecot.run_dir)
        assert dovecot_pid in running and run.process.pid in running, run.tail()

        body = "\r\n".join(_LETTER)  # a browser submits a textarea's lines with CRLF
        photo = _jpeg(300 * 1024)
        with httpx.Client(base_url=url, timeout=30) as alice:
            _sign_in(alice, "alice@demo.test", "alice")
            _choose_a_five_second_cancel_window(alice)
            _send(alice, to="bob@demo.test", subject=SUBJECT, body=body, attachment=(ATTACHMENT_NAME, photo))
        sent_at = time.monotonic()

        arrived = _wait_in_inbox(ports["DEMO_IMAP_PORT"], "bob@demo.test", "bob", SUBJECT, run, timeout=90)
        print(f"in bob's INBOX {time.monotonic() - sent_at:.1f} s after Envoyer (cancel window 5 s)")
        assert "alice@demo.test" in arrived["From"]
        text = arrived.get_body(("plain",)).get_content()
        assert text.replace("\r\n", "\n").rstrip("\n").startswith("\n".join(_LETTER))
        [attached] = list(arrived.iter_attachments())
        assert attached.get_filename() == ATTACHMENT_NAME
        assert attached.get_content_type() == "image/jpeg"
        assert hashlib.sha256(attached.get_payload(decode=True)).hexdigest() == hashlib.sha256(photo).hexdigest()
        with httpx.Client(base_url=url, timeout=30) as bob:
            _sign_in(bob, "bob@demo.test", "bob")
            assert SUBJECT in bob.get("/mail/").text, "bob's webmail inbox does not list alice's message"

        stopping = time.monotonic()
        run.ctrl_c()
        assert run.wait(timeout=90), "make run was still running 90 s after Ctrl-C" + run.tail()
        print(f"stopped {time.monotonic() - stopping:.1f} s after Ctrl-C; {time.monotonic() - started:.0f} s in all")

        # A few seconds' grace: Dovecot's master may exit just before its last children, and a
        # stopped server's port is released a moment after.
        deadline = time.monotonic() + 15
        while True:
            left = _processes_of(run.process.pid, dovecot_pid, clone, dovecot.run_dir)
            left |= {pid: info for pid, info in running.items() if _start_time(pid) == info[0]}
            busy = [f"{name}={port}" for name, port in ports.items() if not _port_is_free(port)]
            if not (left or busy) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert not left, "still running after Ctrl-C:\n" + "\n".join(cmd for _, cmd in left.values()) + run.tail()
        assert not busy, f"ports still taken after Ctrl-C: {busy}" + run.tail()
        assert not dovecot.pid_file.exists(), "the demo Dovecot's pid file was left behind" + run.tail()
    finally:
        # Only after a failure is there anything left: what this test started must not outlive it.
        run.kill()
        if dovecot.pid_file.exists():
            dovecot.stop()
        shutil.rmtree(clone / ".venv", ignore_errors=True)  # 350 MB; pytest keeps the last runs' folders


# The letter: 40 lines of French, Polish and Arabic, longer than the 1,000 octets a single SMTP
# line may carry, with lines SMTP and mbox treat specially.
_LETTER = [
    "Bonjour Bob,",
    "",
    "Voici le compte rendu de la réunion de jeudi, avec la photo de l'équipe en pièce jointe.",
    *(f"{n:02d}. Point {n} : les décisions prises, à relire avant vendredi — merci d'avance !" for n in range(1, 31)),
    ".Une ligne qui commence par un point.",
    "From the Łódź office: zażółć gęślą jaźń.",
    "مرحبا بكم في الاجتماع القادم",
    "",
    "Bien à toi,",
    "Alice",
]


def _clone(target: Path) -> Path:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(target)], check=True, timeout=120)
    subprocess.run(["git", "-C", str(target), "checkout", "--quiet", "--detach", head], check=True, timeout=120)
    return target.resolve()


def _newcomer_environment() -> dict[str, str]:
    """This machine's environment without the project's variables (those webmail/settings.py reads,
    rundemo's, pytest's and make's), and without any virtualenv on PATH."""
    settings_source = (ROOT / "webmail" / "settings.py").read_text()
    project = set(re.findall(r'env_[a-z]+\(\s*"([A-Z0-9_]+)"', settings_source))
    project |= {"PORT", "HOST", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONUNBUFFERED",
                "TEST_REDIS_DB_OFFSET", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHON", "PYTEST_ARGS"}
    prefixes = ("DEMO_", "IMAP_", "SMTP_", "DJANGO_", "CELERY_", "OUTBOX_", "WEBMAIL_", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if k not in project and not k.startswith(prefixes)}
    venvs = {str(ROOT / ".venv" / "bin"), os.path.join(os.environ.get("VIRTUAL_ENV", "/nonexistent"), "bin")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", os.defpath).split(os.pathsep) if p not in venvs)
    env.setdefault("TERM", "xterm")
    return env


class MakeRun:
    """`make run` in a session of its own, writing to a pseudo-terminal that a thread reads."""

    def __init__(self, clone: Path, env: dict[str, str]):
        master, terminal = pty.openpty()
        self.process = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdin=subprocess.DEVNULL,
                                        stdout=terminal, stderr=terminal, start_new_session=True)
        os.close(terminal)
        self._master = master
        self._output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: every process holding the terminal has exited
                break
            if not chunk:
                break
            self._output.append(chunk.decode("utf-8", "replace"))
        os.close(self._master)

    def text(self) -> str:
        return re.sub(r"\x1b\[[0-9;]*m", "", "".join(self._output)).replace("\r\n", "\n")

    def tail(self, lines: int = 80) -> str:
        return "\n--- last lines of make run ---\n" + "\n".join(self.text().splitlines()[-lines:])

    def wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"Webmail is running: (http://\S+)", self.text())
            if found:
                return found.group(1)
            assert self.process.poll() is None, f"make run exited with {self.process.returncode}" + self.tail()
            time.sleep(0.5)
        raise AssertionError(f"make run printed no URL in {timeout:.0f} s" + self.tail())

    def ctrl_c(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)

    def wait(self, timeout: float) -> bool:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        self._reader.join(timeout=10)
        return True

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


def _processes_of(make_pid: int, dovecot_pid: int, clone: Path, dovecot_run_dir: Path) -> dict[int, tuple[str, str]]:
    """pid -> (start time, command line) of every process the run started: those in make's session
    (web, worker, beat, Redis), in the Dovecot master's (it daemonizes), or working in the clone."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                cwd = ""
        except OSError:  # it exited meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        session, start_time = int(fields[3]), fields[19]
        mine = (
            session in (make_pid, dovecot_pid)
            or str(clone) in cmdline or str(dovecot_run_dir) in cmdline
            or cwd.startswith((str(clone), str(dovecot_run_dir)))
        )
        if mine and int(entry.name) != os.getpid():
            found[int(entry.name)] = (start_time, cmdline)
    return found


def _start_time(pid: int) -> str | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind it
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _jpeg(size: int) -> bytes:
    """A photo-sized file: JPEG markers around random bytes."""
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return header + os.urandom(size - len(header) - 2) + b"\xff\xd9"


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _sign_in(web: httpx.Client, email: str, password: str) -> None:
    form = web.get("/compte/connexion/")
    signed_in = web.post("/compte/connexion/", data={
        "csrfmiddlewaretoken": _csrf(form), "next": "", "email": email, "password": password,
    })
    assert signed_in.status_code == 302, f"{email} could not sign in: {signed_in.status_code}"


def _choose_a_five_second_cancel_window(web: httpx.Client) -> None:
    page = web.get("/parametres/")
    assert 'name="undo_delay" value="5"' in page.text
    # The page's fields as they stand, with 5 s chosen (and the off-hours nudge off, or a run at
    # night would meet the scheduling suggestion instead of sending).
    saved = web.post("/parametres/", data=preferences_data(csrfmiddlewaretoken=_csrf(page), undo_delay="5"))
    assert saved.status_code == 302, saved.text[:2000]


def _send(web: httpx.Client, *, to: str, subject: str, body: str, attachment: tuple[str, bytes]) -> None:
    """What the compose page posts: the file when it is chosen (htmx), then the form on Envoyer."""
    edit_url = web.get("/ecrire/").headers["location"]
    page = web.get(edit_url)
    token = _csrf(page)
    upload_url = re.search(r'hx-post="([^"]+/pieces-jointes/)"', page.text).group(1)
    uploaded = web.post(upload_url, files={"files": (attachment[0], attachment[1], "image/jpeg")},
                        headers={"HX-Request": "true", "HX-Target": "attachments", "X-CSRFToken": token})
    assert uploaded.status_code == 200 and "Photo de l&#x27;équipe.jpg" in uploaded.text, uploaded.text[:2000]
    fields = {"csrfmiddlewaretoken": token, "to": to, "cc": "", "bcc": "", "subject": subject, "body": body,
              "action": "send"}
    sent = web.post(edit_url, data=fields, files={"files": ("", b"", "application/octet-stream")})
    if sent.status_code == 200 and "checks-dialog" in sent.text:  # the pre-send checks: "Envoyer quand même"
        sent = web.post(edit_url, data={"csrfmiddlewaretoken": token, "confirmed": "1", "action": "send"})
    assert sent.status_code == 302, f"Envoyer answered {sent.status_code}: {sent.text[:2000]}"


def _wait_in_inbox(imap_port: int, email: str, password: str, subject: str, run: MakeRun, timeout: float):
    deadline = time.monotonic() + timeout
    with IMAPClient("127.0.0.1", port=imap_port, ssl=False, timeout=30) as imap:
        imap.login(email, password)
        while True:
            imap.select_folder("INBOX", readonly=True)
            for data in imap.fetch(imap.search(["ALL"]), ["RFC822"]).values():
                message = message_from_bytes(data[b"RFC822"], policy=policy.default)
                # Python folds a long encoded Subject as "Subject: CRLF =?utf-8?...", which unfolds
                # with a leading space: insignificant, and mail programs strip it.
                if str(message["Subject"]).strip() == subject:
                    return message
            assert time.monotonic() < deadline, f"nothing reached {email}'s INBOX in {timeout:.0f} s" + run.tail()
            time.sleep(1)
