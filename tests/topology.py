"""A burst of real use on the production topology (tests/stack.py), and what must hold afterwards.

People act through HTTP as their browser does (cookies, CSRF header, Origin, the redirect after each
form, the toast that the next page shows), each from an address of their own on the loopback network
(127.0.0.x), so the reverse proxy has a real X-Forwarded-For to set. Meanwhile a worker is SIGKILLed
and restarted and Redis is killed and restarted. Then every message is checked against three
witnesses: the outbox rows in PostgreSQL, the SMTP server's deliveries (by Message-ID) and the
recipients' mailboxes over IMAP; and every person's toasts against the rows.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import logging
import random
import re
import shutil
import signal
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx

from tests.stack import Database, RedisServer, Stack
from webmail.demo.dovecot import PrivateDovecot
from webmail.demo.smtp import SubmissionServer

PARAGRAPHS = [
    "Bonjour à toutes et à tous,\n\nSuite à notre réunion de jeudi, voici le compte rendu détaillé : le budget "
    "prévisionnel a été approuvé, à l'exception de la ligne « déplacements », que Benoît reverra avec l'équipe de "
    "Lyon avant la fin du mois. Merci de relire la section 3 et de m'envoyer vos remarques d'ici vendredi.",
    "Pour mémoire, l'échéancier reste inchangé : livraison de la première tranche le 14, recette la semaine "
    "suivante, mise en production après validation du comité. Si l'un de ces jalons vous paraît irréaliste, "
    "dites-le maintenant plutôt qu'à la veille de l'échéance — c'est ce qui nous a coûté cher l'an dernier.",
    "Dzień dobry,\n\nw załączeniu przesyłam poprawioną wersję umowy. Zażółć gęślą jaźń — proszę sprawdzić "
    "paragraf 7 dotyczący terminów płatności oraz kar umownych. Jeżeli nie będzie uwag, podpiszemy ją "
    "w przyszłym tygodniu w Krakowie.",
    "مرحبا،\n\nنرسل إليكم جدول الأعمال للاجتماع القادم. يرجى مراجعة البنود المتعلقة بالميزانية والتوظيف قبل يوم "
    "الخميس، وإرسال ملاحظاتكم إلى الأمانة العامة. شكرا لتعاونكم.",
    "> Le 12 mars, Élodie a écrit :\n> Est-ce que quelqu'un a la dernière version du tableau ?\n>\n> "
    "Merci d'avance !\n\nOui, je la joins ci-dessous ; les colonnes « écart » et « commentaire » sont nouvelles.",
    "Bien cordialement,\n\n-- \nCamille Lefèvre\nService des achats — bâtiment B, 2e étage\n+33 1 23 45 67 89",
]
SUBJECTS = ["Compte rendu de la réunion", "Umowa — poprawiona wersja", "جدول الأعمال", "Échéancier révisé",
            "Re: Tableau de suivi", "Zaproszenie na spotkanie"]


def letter(rng: random.Random) -> str:
    """A letter of a few paragraphs (about 1.5–4 KB), in French, Polish or Arabic."""
    return "\n\n".join(rng.sample(PARAGRAPHS, rng.randint(3, len(PARAGRAPHS))))


# The browser -------------------------------------------------------------------------------------
class _Toasts(HTMLParser):
    """(outbox id, kind) of each toast in a page: <div class="toast toast-KIND" data-outbox-id="ID">."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if "toast" in classes and attrs.get("data-outbox-id", "").isdigit():
            kinds = [c.removeprefix("toast-") for c in classes if c.startswith("toast-")]
            self.found.append((int(attrs["data-outbox-id"]), kinds[0] if kinds else ""))


def toasts_in(html: str) -> list[tuple[int, str]]:
    parser = _Toasts()
    parser.feed(html)
    return parser.found


class _OutboxItems(HTMLParser):
    """Boîte d'envoi: {subject: outbox id} from <li data-outbox-id="ID"><strong>SUBJECT</strong>."""

    def __init__(self):
        super().__init__()
        self.items: dict[str, int] = {}
        self._pk: int | None = None
        self._subject: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "li" and attrs.get("data-outbox-id", "").isdigit():
            self._pk = int(attrs["data-outbox-id"])
        elif tag == "strong" and self._pk is not None:
            self._subject = []

    def handle_data(self, data):
        if self._subject is not None:
            self._subject.append(data)

    def handle_endtag(self, tag):
        if tag == "strong" and self._subject is not None:
            self.items["".join(self._subject).strip()] = self._pk
            self._subject, self._pk = None, None


def outbox_items(html: str) -> dict[str, int]:
    parser = _OutboxItems()
    parser.feed(html)
    return parser.items


class _Form(HTMLParser):
    """The values a browser would submit for the first form with a given field."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.setdefault(name, []).append(attrs.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.setdefault(self._select, []).append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.setdefault(name, []).append("")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Browser:
    """One person's browser: a cookie jar, the CSRF header htmx sends, Origin, their own address.

    A 5xx or a dropped connection is what a person sees as an error page: they try again a moment
    later. Each one is recorded (`errors`), since the product should not show them at all.
    """

    def __init__(self, base_url: str, address: str, errors: list[str]):
        self.base_url = base_url
        self.client = httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address),
                                   timeout=90, headers={"Origin": base_url, "User-Agent": "topology-test"})
        self.errors = errors
        self.seen: set[int] = set()  # outbox ids this person already saw in a toast

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        for attempt in range(30):
            headers = {"X-CSRFToken": self.client.cookies.get("csrftoken", "")} if method == "POST" else {}
            try:
                response = self.client.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as error:
                self.errors.append(f"{method} {url}: {type(error).__name__}")
            else:
                if response.status_code < 500:
                    return response
                self.errors.append(f"{method} {url}: HTTP {response.status_code}")
            time.sleep(min(2.0, 0.2 * (attempt + 1)))
        raise AssertionError(f"{method} {url} kept failing: {self.errors[-3:]}")

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, follow_redirects=True, **kwargs)

    def post(self, url: str, data: dict) -> httpx.Response:
        return self.request("POST", url, data=data)

    def sign_in(self, address: str, password: str) -> httpx.Response:
        self.get("/compte/connexion/")
        return self.post("/compte/connexion/", {"email": address, "password": password})

    def set_cancel_window(self, seconds: int) -> None:
        """Paramètres → Délai d'annulation, the whole form submitted as the browser would."""
        form = _Form()
        form.feed(self.get("/parametres/").text)
        data = {name: values if len(values) > 1 else values[0] for name, values in form.fields.items()}
        data["undo_delay"] = str(seconds)
        response = self.post("/parametres/", data)
        assert response.status_code == 302, f"settings not saved: {response.status_code} {response.text[:500]}"

    def send(self, to: str, cc: str, subject: str, body: str) -> tuple[int, bool]:
        """Écrire → Envoyer (pre-send checks confirmed). Returns the outbox id and whether the page
        after Envoyer showed its undo toast; without one, the person finds it in the Boîte d'envoi."""
        start = self.request("GET", "/ecrire/")
        assert start.status_code == 302, start.text[:300]
        edit_url = start.headers["location"]
        self.get(edit_url)
        data = {"to": to, "cc": cc, "bcc": "", "subject": subject, "body": body, "action": "send", "confirmed": "1"}
        response = self.post(edit_url, data)
        assert response.status_code == 302, f"Envoyer: {response.status_code} {response.text[:500]}"
        page = self.get(response.headers["location"])  # the mailbox, with the toast
        new = self._new_pending(page.text)
        if new:
            return new, True
        listed = outbox_items(self.get("/envoi/").text)
        assert subject in listed, f"“{subject}” is neither in a toast nor in the Boîte d'envoi"
        return listed[subject], False

    def _new_pending(self, html: str) -> int | None:
        found = [pk for pk, kind in toasts_in(html) if pk not in self.seen]
        self.seen.update(found)
        return max(found) if found else None

    def cancel(self, pk: int) -> bool:
        """Annuler on the toast: True when the server confirmed it, False when it said too late (409)."""
        response = self.post(f"/envoi/{pk}/annuler/", {})
        if response.status_code == 302:
            self.get(response.headers["location"])  # the draft, open again
            return True
        assert response.status_code == 409, f"Annuler: {response.status_code} {response.text[:300]}"
        return False

    def toasts(self) -> list[tuple[int, str]]:
        response = self.get("/envoi/toasts/")
        return toasts_in(response.text) if response.status_code == 200 else []


# The burst ---------------------------------------------------------------------------------------
@dataclass
class Person:
    address: str
    password: str
    client_ip: str
    browser: Browser | None = None


@dataclass
class Sent:
    person: Person
    subject: str
    recipients: list[str]
    pk: int
    toast_shown: bool  # the page after Envoyer showed this message's undo toast
    cancel_after: float | None  # seconds after Envoyer answered; None: not cancelled
    cancelled: bool | None = None  # True: confirmed; False: "too late"


@dataclass
class Burst:
    stack: Stack
    people: list[Person]
    messages: int
    cancels: int
    window: int = 5
    seed: int = 15
    sent: list[Sent] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    duration: float = 0.0

    def sign_in_everyone(self, typos: int) -> None:
        """Everyone signs in through the proxy; the first `typos` people mistype their password once."""
        for n, person in enumerate(self.people):
            person.browser = Browser(self.stack.proxy.url, person.client_ip, self.http_errors)
            if n < typos:
                wrong = person.browser.sign_in(person.address, person.password + "x")
                assert wrong.status_code in (400, 401), f"a wrong password answered {wrong.status_code}"
            response = person.browser.sign_in(person.address, person.password)
            assert response.status_code == 302, (
                f"{person.address} could not sign in after {min(n, typos)} other people's typos through the "
                f"proxy: {re.findall(r'errorlist[^>]*>(.*?)</', response.text, re.S)}")
            person.browser.set_cancel_window(self.window)

    def run(self, on_progress) -> None:
        """Each person sends their share in a thread of their own; `on_progress(n)` is called as the
        n-th message is queued (the test injects its faults from there)."""
        rng = random.Random(self.seed)
        to_cancel = set(rng.sample(range(self.messages), self.cancels))
        plan: dict[int, list[int]] = {}
        for n in range(self.messages):
            plan.setdefault(n % len(self.people), []).append(n)
        lock = threading.Lock()
        failures: list[BaseException] = []

        def act(index: int, numbers: list[int]) -> None:
            person = self.people[index]
            local = random.Random(self.seed * 1000 + index)
            others = [p.address for p in self.people if p is not person]
            try:
                for n in numbers:
                    recipients = local.sample(others, 2 if n % 5 == 0 else 1)
                    subject = f"{local.choice(SUBJECTS)} — n° {n:03d} [{uuid.uuid4().hex[:6]}]"
                    pk, shown = person.browser.send(recipients[0], ", ".join(recipients[1:]), subject,
                                                    letter(local))
                    record = Sent(person, subject, recipients, pk, shown,
                                  local.uniform(0, self.window) if n in to_cancel else None)
                    with lock:
                        self.sent.append(record)
                        count = len(self.sent)
                    on_progress(count)
                    if record.cancel_after is not None:
                        time.sleep(record.cancel_after)
                        record.cancelled = person.browser.cancel(pk)
                    time.sleep(local.uniform(0.1, 1.0))  # reading, typing the next one
            except BaseException as error:  # reported by run(), not lost in the thread
                failures.append(error)

        started = time.monotonic()
        threads = [threading.Thread(target=act, args=(i, numbers), daemon=True) for i, numbers in plan.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=900)
        self.duration = time.monotonic() - started
        if failures:
            raise failures[0]


# The witnesses -----------------------------------------------------------------------------------
OUTBOX_ROWS = """
SELECT o.id, o.subject, o.state, o.message_id, o.deadline, o.sent_at, o.attempts, o.claimed_at,
       o.smtp_started_at, o.dispatched_at, o.failure_kind, u.username
FROM outbox_outboxmessage o JOIN auth_user u ON u.id = o.user_id
"""


@dataclass
class Row:
    pk: int
    subject: str
    state: str
    message_id: str
    deadline: object
    sent_at: object
    attempts: int
    claimed_at: object
    smtp_started_at: object
    dispatched_at: object
    failure_kind: str
    username: str


def outbox_rows(stack: Stack) -> dict[int, Row]:
    return {row[0]: Row(*row) for row in stack.database.query(OUTBOX_ROWS)}


def wait_until_settled(stack: Stack, timeout: float) -> float:
    """Until no row is waiting or leaving; returns how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        busy = stack.database.query("SELECT count(*) FROM outbox_outboxmessage WHERE state IN ('pending', 'sending')")
        if busy[0][0] == 0:
            return time.monotonic() - started
        time.sleep(1)
    rows = [r for r in outbox_rows(stack).values() if r.state in ("pending", "sending")]
    raise AssertionError(f"{len(rows)} messages still waiting or leaving after {timeout}s: {rows[:10]}")


def mailbox_headers(imap_port: int, address: str, password: str, folder: str) -> list[email.message.Message]:
    """Message-ID and Subject of every message in a folder, read over IMAP."""
    with imaplib.IMAP4("127.0.0.1", imap_port) as imap:
        imap.login(address, password)
        _, exists = imap.select(f'"{folder}"', readonly=True)
        if int(exists[0]) == 0:
            return []
        _, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)])")
        headers = [part[1] for part in data if isinstance(part, tuple)]
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in headers]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Verdict:
    counts: Counter
    lateness: list[float]
    problems: list[str]

    def summary(self) -> str:
        late = self.lateness
        lines = [", ".join(f"{key}: {value}" for key, value in sorted(self.counts.items()))]
        if late:
            lines.append(f"lateness (sent_at − deadline) over {len(late)} sent: p50 {statistics.median(late):.2f} s, "
                         f"p95 {percentile(late, 0.95):.2f} s, max {max(late):.2f} s")
        return "\n".join(lines)


def verify(burst: Burst, deliveries, imap_port: int) -> Verdict:
    """Every message not cancelled arrived exactly once (or, UNCERTAIN, at most once and back in
    Drafts with the person told); no cancelled one arrived; every toast says what the row says."""
    rows = outbox_rows(burst.stack)
    by_subject: dict[str, list[Row]] = {}
    for row in rows.values():
        by_subject.setdefault(row.subject, []).append(row)
    accepted = Counter(d.message_id.strip() for d in deliveries if d.message_id)
    people = {p.address.lower(): p for p in burst.people}
    inboxes = {p.address.lower(): Counter(str(m["Message-ID"]).strip()
                                          for m in mailbox_headers(imap_port, p.address, p.password, "INBOX"))
               for p in burst.people}
    # Subjects compared with whitespace normalised: a long encoded subject is folded after
    # "Subject:", which Python's parser reads back with a leading space.
    drafts = {p.address.lower(): Counter(" ".join(str(m["Subject"]).split())
                                         for m in mailbox_headers(imap_port, p.address, p.password, "Drafts"))
              for p in burst.people}
    counts: Counter = Counter(queued=len(burst.sent))
    problems: list[str] = []
    lateness: list[float] = []
    for sent in burst.sent:
        found = by_subject.get(sent.subject, [])
        if len(found) != 1:
            problems.append(f"“{sent.subject}” has {len(found)} outbox rows (toast said #{sent.pk})")
            continue
        row = found[0]
        copies = accepted[row.message_id.strip()]
        in_inboxes = [inboxes[r.lower()][row.message_id.strip()] for r in sent.recipients]
        story = (f"#{row.pk} “{sent.subject}” from {row.username}: state {row.state}, {copies} accepted, "
                 f"inboxes {in_inboxes}, attempts {row.attempts}, deadline {row.deadline}, dispatched "
                 f"{row.dispatched_at}, claimed {row.claimed_at}, smtp started {row.smtp_started_at}, "
                 f"sent {row.sent_at}, cancel asked {sent.cancel_after}, cancel answer {sent.cancelled}")
        if row.pk != sent.pk:
            problems.append(f"the page after Envoyer showed #{sent.pk}, not this message: {story}")
        if not sent.toast_shown:
            counts["no undo toast after Envoyer"] += 1
            problems.append(f"no undo toast after Envoyer (found in the Boîte d'envoi instead): {story}")
        if any(n != copies for n in in_inboxes):
            problems.append(f"the SMTP server and the mailboxes disagree: {story}")
        if sent.cancelled:
            counts["cancelled"] += 1
            if row.state != "cancelled" or copies:
                problems.append(f"LEFT AFTER A CONFIRMED ANNULER: {story}")
            if not drafts[row.username.lower()][sent.subject]:
                problems.append(f"cancelled but not back in Drafts: {story}")
            continue
        if sent.cancelled is False:
            counts["too late to cancel"] += 1
        if row.state == "sent":
            counts["sent"] += 1
            lateness.append((row.sent_at - row.deadline).total_seconds())
            if copies != 1:
                problems.append(f"{'LOST' if copies == 0 else 'DUPLICATED'}: {story}")
        elif row.state == "uncertain":
            counts["uncertain"] += 1
            counts["uncertain, had left"] += copies
            if copies > 1:
                problems.append(f"DUPLICATED (uncertain): {story}")
            if not drafts[row.username.lower()][sent.subject]:
                problems.append(f"uncertain but not back in Drafts: {story}")
        else:
            problems.append(f"ended {row.state}: {story}")
    counts["accepted by SMTP"] = sum(accepted[r.message_id.strip()] for r in rows.values())
    problems += _check_toasts(burst, rows, people)
    return Verdict(counts, lateness, problems)


def _check_toasts(burst: Burst, rows: dict[int, Row], people: dict[str, Person]) -> list[str]:
    """What each person's toasts say at the end must be what the rows say: nothing still
    counting down or leaving, and every uncertain message told."""
    problems = []
    meaning = {"sent": "sent", "uncertain": "uncertain", "failed": "failed"}
    for person in burst.people:
        shown = person.browser.toasts()
        for pk, kind in shown:
            row = rows.get(pk)
            if row is None or row.username.lower() != person.address.lower() or meaning.get(kind) != row.state:
                problems.append(f"{person.address}'s toast #{pk} says {kind!r}, the row says "
                                f"{row.state if row else 'nothing'}")
        told = {pk for pk, _ in shown}
        for row in rows.values():
            if (row.username.lower() == person.address.lower() and row.state == "uncertain"
                    and row.pk not in told):
                problems.append(f"{person.address} is not told that #{row.pk} may have left: toasts {shown}")
    return problems


# Setting up and breaking ---------------------------------------------------------------------------
# A line per request or SMTP command would drown a failure's report.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd warns on every connection
NAMES = ["camille", "zofia", "karim", "elodie", "benoit", "agnieszka", "yasmine", "mathis", "lena", "omar",
         "juliette", "pawel", "nour", "hugo", "ines", "tomasz", "salma", "louis", "maja", "adam"]


@contextmanager
def production_stack(folder: Path, **extra_env: str) -> Iterator[tuple[Stack, PrivateDovecot, SubmissionServer]]:
    """The mail server (private Dovecot + the project's SMTP server, in this process, so that every
    accepted message is counted), and the stack on a fresh PostgreSQL database and a private Redis."""
    with ExitStack() as cleanup:
        # A run stopped by SIGTERM (`timeout`, CI) still stops its processes and drops its database.
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
        cleanup.callback(signal.signal, signal.SIGTERM, previous)
        dovecot = PrivateDovecot(folder / "dovecot").start()
        cleanup.callback(dovecot.stop)
        smtp = SubmissionServer(dovecot).start()
        cleanup.callback(smtp.stop)
        database = Database().create()
        cleanup.callback(database.drop)
        redis_server = RedisServer(folder / "redis").start()
        cleanup.callback(redis_server.stop)
        stack = Stack(folder / "stack", database, redis_server, imap_port=dovecot.imap_port, smtp_port=smtp.port,
                      extra_env=extra_env)
        cleanup.callback(stack.stop)
        stack.start()
        yield stack, dovecot, smtp


def _stop_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def make_people(dovecot: PrivateDovecot, n: int) -> list[Person]:
    """Accounts on the mail server; each person connects from an address of their own (127.0.0.2…)."""
    people = []
    for i in range(n):
        person = Person(f"{NAMES[i % len(NAMES)]}{i}-{uuid.uuid4().hex[:8]}@example.test",
                        f"pw-{uuid.uuid4().hex[:12]}", f"127.0.0.{i + 2}")
        dovecot.add_user(person.address, person.password)
        people.append(person)
    return people


class Faults:
    """Mid-burst, in a thread of their own: a worker SIGKILLed (with its pool) and started again
    after `down` seconds, then Redis killed and started again."""

    def __init__(self, stack: Stack, total: int, down: float = 3.0):
        self.stack = stack
        self.down = down
        self.plan = {max(1, int(total * 0.35)): self.kill_worker, max(2, int(total * 0.65)): self.restart_redis}
        self.threads: list[threading.Thread] = []
        self.log: list[str] = []
        self.started = time.monotonic()

    def __call__(self, queued: int) -> None:
        action = self.plan.pop(queued, None)
        if action is not None:
            thread = threading.Thread(target=action, daemon=True)
            thread.start()
            self.threads.append(thread)

    def _note(self, what: str) -> None:
        self.log.append(f"{time.monotonic() - self.started:6.1f} s  {what}")

    def kill_worker(self) -> None:
        worker = self.stack.workers[0]
        worker.kill()
        self._note(f"{worker.name} SIGKILLed (pid {worker.process.pid}, with its pool)")
        time.sleep(self.down)
        worker.start(self.stack.env)
        self._note(f"{worker.name} started again")

    def restart_redis(self) -> None:
        self.stack.redis.kill()
        self._note("Redis SIGKILLed")
        time.sleep(2)
        self.stack.redis.start()
        self._note("Redis started again (append-only file reloaded)")

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)
        assert not self.plan, f"faults never injected: {list(self.plan)}"


@dataclass
class Outcome:
    verdict: Verdict
    burst: Burst
    faults: Faults
    crashes: list[str]
    proxy_errors: int
    timings: dict[str, float]

    def report(self) -> str:
        t = self.timings
        lines = [
            f"{len(self.burst.people)} people, {self.burst.messages} messages with a {self.burst.window} s window, "
            f"{self.burst.cancels} Annuler at random moments; through the proxy: {self.burst.stack.proxy.requests} "
            f"requests, {self.proxy_errors} upstream errors",
            f"start {t['start']:.1f} s, sign-in {t['sign_in']:.1f} s, burst {t['burst']:.1f} s, "
            f"settling {t['settle']:.1f} s, checks {t['verify']:.1f} s",
            *self.faults.log,
            self.verdict.summary(),
            f"HTTP errors seen by people (they retried): {len(self.burst.http_errors)}"
            + "".join(f"\n    {e}" for e in Counter(self.burst.http_errors).most_common(8)),
            f"processes that exited by themselves (restarted): {len(self.crashes)}",
        ]
        return "\n".join(lines)


def scenario(*, people: int, messages: int, cancels: int, typos: int, settle_timeout: float,
             **env: str) -> Outcome:
    """Start the stack, sign everyone in (some after a typo) through the proxy, set the 5 s window,
    run the burst with a worker SIGKILL and a Redis restart in the middle, wait until every message
    has left or been resolved, then ask the witnesses.

    Everything lives in a folder of its own, not in pytest's tmp_path: pytest runs of other
    checkouts on the machine delete old tmp_path folders, and this one holds Dovecot's mail and
    Redis's data while the stack runs. The folder (the processes' logs) is kept when something
    went wrong."""
    folder = Path(tempfile.mkdtemp(prefix="webmail-topology-"))
    try:
        outcome = _run(folder, people, messages, cancels, typos, settle_timeout, env)
    except BaseException:
        print(f"\nthe stack's logs are in {folder}")
        raise
    if outcome.verdict.problems or outcome.crashes:
        print(f"\nthe stack's logs are in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return outcome


def _run(folder: Path, people: int, messages: int, cancels: int, typos: int, settle_timeout: float,
         env: dict[str, str]) -> Outcome:
    timings: dict[str, float] = {}
    clock = time.monotonic()
    with production_stack(folder, **env) as (stack, dovecot, smtp):
        timings["start"] = time.monotonic() - clock
        burst = Burst(stack, make_people(dovecot, people), messages, cancels)
        clock = time.monotonic()
        burst.sign_in_everyone(typos=typos)
        timings["sign_in"] = time.monotonic() - clock
        faults = Faults(stack, messages)
        burst.run(on_progress=faults)
        faults.join()
        timings["burst"] = burst.duration
        timings["settle"] = wait_until_settled(stack, settle_timeout)
        clock = time.monotonic()
        verdict = verify(burst, list(smtp.deliveries), dovecot.imap_port)
        timings["verify"] = time.monotonic() - clock
        return Outcome(verdict, burst, faults, stack.unexpected_exits(), stack.proxy.errors, timings)
