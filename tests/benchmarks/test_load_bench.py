"""Many users (issue 16): 200 distinct accounts browsing at once on gunicorn, as compose runs it.

`gunicorn webmail.wsgi` with gunicorn's default worker class (sync: one request at a time per
process) and WEB_CONCURRENCY=3 processes (compose/.env.example), on PostgreSQL and Redis, against
the test Dovecot. 200 accounts are created there, each with 30 messages in its inbox (24 short
ones, 6 newsletters of 61 KB), and signed in through the sign-in form. Then CLIENTS browsers
click without pause for DURATION seconds, each round as the next of the 200 accounts (so all
200 are browsing, interleaved): the inbox, a message (page + body frame), the one below it (page
+ frame). Printed: throughput, p50/p95 of list and open, errors, memory per web process, IMAP
connections held (all, and the most for one account, from Dovecot's own `doveadm who`).
"""

from __future__ import annotations

import base64
import logging
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.benchmarks.mail import letter
from tests.benchmarks.test_reading_speed import _message, write_maildir
from webmail.demo.dovecot import free_port, wait_for_port

pytestmark = [pytest.mark.imap]

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 200
DURATION = 40
CLIENTS = 16
WORKERS = 3
POSTGRES = os.environ.get("TOPOLOGY_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


def _fill_inbox(dovecot, email: str) -> None:
    """30 messages, every fifth a 60 KB newsletter, half of them read."""
    write_maildir(dovecot, email, "INBOX",
                  ((letter(i) if i % 5 == 4 else _message(i), bool(i % 2)) for i in range(30)))


def _imap_connections(port: int) -> int:
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                count += 1
    return count


def _most_for_one_account(dovecot) -> int | None:
    """Dovecot's own count (doveadm who): the most connections any one account holds."""
    found = subprocess.run(["doveadm", "-c", str(dovecot.root / "dovecot.conf"), "who", "-1"],
                           capture_output=True, text=True)
    if found.returncode:
        return None
    counts: dict[str, int] = {}
    for line in found.stdout.splitlines()[1:]:
        user = line.split()[0] if line.split() else ""
        counts[user] = counts.get(user, 0) + 1
    return max(counts.values(), default=0)


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values or [0])[0]


@pytest.fixture
def database():
    name = f"webmail_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{POSTGRES.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_hundred_accounts_browsing_on_gunicorn(dovecot, isolated_redis, database, tmp_path):
    load_before = os.getloadavg()[0]
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    users = [(f"lecteur{n}-{uuid.uuid4().hex[:6]}@example.test", f"pw-{uuid.uuid4().hex[:12]}")
             for n in range(ACCOUNTS)]
    for email, password in users:
        dovecot.add_user(email, password)
        _fill_inbox(dovecot, email)

    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_", "IMAP_", "SMTP_", "MAIL_", "PYTEST", "TEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="webmail.settings", DATABASE_URL=database, REDIS_URL=isolated_redis,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        CREDENTIALS_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1", DJANGO_DEBUG="false", DJANGO_HTTPS="false",
        IMAP_HOST="127.0.0.1", IMAP_PORT=str(dovecot.imap_port), IMAP_SECURITY="none",
        SMTP_HOST="127.0.0.1", SMTP_PORT="25", SMTP_SECURITY="none",
        WEB_CONCURRENCY=str(WORKERS), WEBMAIL_VAR_DIR=str(tmp_path / "var"), LOG_LEVEL="WARNING",
    )
    # LOAD_ENV="IMAP_POOL_MAX_IDLE=80,PREFETCH_MESSAGES=0": settings to compare, printed below.
    extra = dict(item.split("=", 1) for item in os.environ.get("LOAD_ENV", "").split(",") if "=" in item)
    env.update(extra)
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    # compose: ["gunicorn", "webmail.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "webmail.wsgi", "--bind", f"127.0.0.1:{port}",
                               "--access-logfile", str(tmp_path / "access.log")],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=60)
        clients: list[httpx.Client] = [httpx.Client(base_url=base, timeout=60) for _ in users]

        def sign_in(n: int) -> None:
            email, password = users[n]
            client = clients[n]
            client.get("/compte/connexion/")
            response = client.post("/compte/connexion/", data={
                "email": email, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
                headers={"Referer": f"{base}/compte/connexion/"})
            assert response.status_code == 302, response.text[:300]

        _run_all([lambda n=n: sign_in(n) for n in range(ACCOUNTS)], threads=16)

        timings: dict[str, list[float]] = {"list": [], "open": []}
        errors: list[str] = []
        samples: list[tuple[int, list[float]]] = []
        most_for_one: list[int] = []
        stop = threading.Event()
        deadline = time.monotonic() + DURATION

        turn = iter(range(10**9))
        turn_lock = threading.Lock()

        def browser(n: int) -> None:
            rng = random.Random(n)
            while time.monotonic() < deadline:
                with turn_lock:
                    client = clients[next(turn) % ACCOUNTS]
                for kind, paths in _clicks(rng):
                    start = time.perf_counter()
                    statuses = [client.get(path).status_code for path in paths]
                    timings[kind].append(time.perf_counter() - start)
                    errors.extend(f"{kind} {paths[0]}: {s}" for s in statuses if s != 200)

        def sampler() -> None:
            while not stop.is_set():
                samples.append((_imap_connections(dovecot.imap_port),
                                [_rss_mb(pid) for pid in _children(server.pid)]))
                most = _most_for_one_account(dovecot)
                if most is not None:
                    most_for_one.append(most)
                stop.wait(1.0)

        watch = threading.Thread(target=sampler, daemon=True)
        watch.start()
        started = time.monotonic()
        _run_all([lambda n=n: browser(n) for n in range(CLIENTS)], threads=CLIENTS)
        elapsed = time.monotonic() - started
        stop.set()
        watch.join()
        for client in clients:
            client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    requests = len(timings["list"]) + 2 * len(timings["open"])
    connections = [c for c, _rss in samples]
    rss = [max(r) for _c, r in samples if r]
    print(f"\n\n{ACCOUNTS} accounts, {CLIENTS} browsers clicking without pause for {DURATION} s on gunicorn (sync worker class, {WORKERS} processes, "
          f"PostgreSQL, Redis{', ' + str(extra) if extra else ''}); load average before: {load_before:.1f}")
    print(f"requests: {requests} in {elapsed:.1f} s = {requests / elapsed:.1f} requests/s; errors: {len(errors)}")
    for kind in ("list", "open"):
        ms = [t * 1000 for t in timings[kind]]
        print(f"{kind:<5} ({'page' if kind == 'list' else 'page + body frame'}): n={len(ms)}, "
              f"p50 {statistics.median(ms):.0f} ms, p95 {_p(ms, 95):.0f} ms")
    print(f"memory per web process: max {max(rss):.0f} MB (RSS, sampled each second)")
    print(f"IMAP connections held: max {max(connections)}, at the end {connections[-1]}; most for one account "
          f"(doveadm who): {max(most_for_one) if most_for_one else 'n/a'} (Dovecot's default limit: 10)")
    print()
    assert errors == [], errors[:10]


def _clicks(rng: random.Random):
    """One reader's round: the inbox, a message among the 30, the one below it."""
    uid = rng.randint(2, 30)
    yield "list", ["/mail/"]
    yield "open", [f"/mail/{uid}/?folder=INBOX", f"/mail/{uid}/corps/?folder=INBOX"]
    yield "open", [f"/mail/{uid - 1}/?folder=INBOX", f"/mail/{uid - 1}/corps/?folder=INBOX"]


def _run_all(jobs, threads: int) -> None:
    failures: list[BaseException] = []
    pending = list(jobs)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            try:
                job()
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

    runners = [threading.Thread(target=work) for _ in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    assert not failures, failures[:3]
