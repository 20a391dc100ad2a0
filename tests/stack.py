"""The production stack of compose/docker-compose.yml, without Docker, for tests that need all of it.

The same entry points as the compose services (`manage.py migrate`, `gunicorn webmail.wsgi`,
`celery -A webmail worker`, `celery -A webmail beat`), with the same environment variables, on a
PostgreSQL database of its own and a private redis-server (append-only file, as in compose), behind
a small reverse proxy that sets X-Forwarded-For and X-Forwarded-Proto as docs/admin-guide.md asks
of nginx. A supervisor thread restarts a process that exits by itself, as `restart: unless-stopped`
does, and records the exit: a crash is a finding even when the restart hides it.

Everything here is real: a worker is SIGKILLed with its pool processes (its process group, as when a
container is killed), Redis is SIGKILLed and started again on the same port and data directory.
"""

from __future__ import annotations

import base64
import http.client
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import redis

from webmail.demo.dovecot import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("TOPOLOGY_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


# PostgreSQL ------------------------------------------------------------------------------------
class Database:
    """A database of its own on the shared PostgreSQL server, dropped at the end."""

    def __init__(self, server_url: str = POSTGRES):
        self.server_url = server_url
        self.name = f"webmail_topology_{uuid.uuid4().hex[:10]}"
        self.url = f"{server_url.rsplit('/', 1)[0]}/{self.name}"

    def create(self) -> Database:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def drop(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()


# Redis -----------------------------------------------------------------------------------------
class RedisServer:
    """A private redis-server with compose's persistence (appendonly yes, appendfsync everysec)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.log = folder / "redis.log"

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                   "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--logfile", str(self.log)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return self
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        """A crash: SIGKILL, no final write (up to a second of the append-only file is lost)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self, down_seconds: float = 2.0) -> None:
        self.kill()
        time.sleep(down_seconds)  # long enough for every client to see the connection refused
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


# The reverse proxy -----------------------------------------------------------------------------
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}


class ReverseProxy(ThreadingHTTPServer):
    """What nginx does in docs/admin-guide.md: forwards to the web processes (round robin here, as
    a load balancer in front of several web containers would), keeps Host, and tells them who the
    client is (X-Forwarded-For, appended) and which scheme it used (X-Forwarded-Proto)."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, upstreams: list[int], port: int = 0):
        self.upstreams = upstreams
        self._next = 0
        self._lock = threading.Lock()
        self.requests = 0
        self.errors = 0  # upstream unreachable: answered 502
        super().__init__(("127.0.0.1", port or free_port()), _ProxyHandler)
        self.port = self.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def pick(self) -> int:
        with self._lock:
            self._next += 1
            self.requests += 1
            return self.upstreams[self._next % len(self.upstreams)]

    def start(self) -> ReverseProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.shutdown()
        self.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive towards the clients, as a browser expects

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        forwarded = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{forwarded}, {self.client_address[0]}" if forwarded else self.client_address[0]
        headers["X-Forwarded-Proto"] = "http"  # the scheme the client used (no TLS in the tests)
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.pick(), timeout=120)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
        except OSError:
            self.server.errors += 1
            self.send_error(502, "Bad Gateway")
            return
        finally:
            upstream.close()
        self.send_response_only(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = _forward

    def log_message(self, format, *args):  # the web processes keep an access log
        pass


# The processes -----------------------------------------------------------------------------------
@dataclass
class Service:
    """One process of the stack, as one container of compose runs it."""

    name: str
    command: list[str]
    log_path: Path
    process: subprocess.Popen | None = None
    wanted: bool = True  # False while the test keeps it down on purpose
    unexpected_exits: list[str] = field(default_factory=list)

    def start(self, env: dict[str, str]) -> None:
        log = open(self.log_path, "a")  # noqa: SIM115 (the child keeps it; closed right after Popen)
        try:
            # A session of its own: a kill reaches the pool processes too, as in a container.
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        finally:
            log.close()
        self.wanted = True

    def signal_group(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL to the whole group (main process and pool): nothing runs its shutdown."""
        self.wanted = False
        self.signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self, timeout: float = 30) -> None:
        self.wanted = False
        self.signal_group(signal.SIGTERM)
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.process.wait()

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def generate_credentials_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


class Stack:
    """Web ×2 (gunicorn), worker ×2, beat ×1 on PostgreSQL + Redis, behind the reverse proxy.

    `env` holds what compose/.env would; `extra_env` overrides or adds (e.g. a shorter
    OUTBOX_STALE_SECONDS, so a test does not wait five minutes for a dead worker's rows).
    """

    def __init__(self, folder: Path, database: Database, redis_server: RedisServer, *, imap_port: int,
                 smtp_port: int, webs: int = 2, workers: int = 2, web_concurrency: int = 2,
                 worker_concurrency: int = 2, extra_env: dict[str, str] | None = None):
        self.folder = folder
        self.database = database
        self.redis = redis_server
        self.web_ports = [free_port() for _ in range(webs)]
        self.env = self._environment(imap_port, smtp_port, web_concurrency, worker_concurrency, extra_env or {})
        python = sys.executable
        self.webs = [
            Service(f"web{n}", [python, "-m", "gunicorn", "webmail.wsgi", "--bind", f"127.0.0.1:{port}",
                                "--access-logfile", "-"], folder / f"web{n}.log")
            for n, port in enumerate(self.web_ports, 1)
        ]
        self.workers = [
            Service(f"worker{n}", [python, "-m", "celery", "-A", "webmail", "--quiet", "worker",
                                   "--loglevel", "INFO", "--concurrency", str(worker_concurrency),
                                   "--hostname", f"worker{n}@topology"], folder / f"worker{n}.log")
            for n in range(1, workers + 1)
        ]
        self.beat = Service("beat", [python, "-m", "celery", "-A", "webmail", "--quiet", "beat", "--loglevel",
                                     "INFO", "--schedule", str(folder / "celerybeat-schedule")], folder / "beat.log")
        self.proxy = ReverseProxy(self.web_ports)
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)

    def _environment(self, imap_port, smtp_port, web_concurrency, worker_concurrency, extra) -> dict[str, str]:
        # Nothing of the test run's own configuration leaks in: only what compose/.env would say.
        inherited = ("DATABASE_", "REDIS_", "CELERY_", "DJANGO_", "IMAP_", "SMTP_", "MAIL_", "OUTBOX_", "LOG_",
                     "WEB_", "CREDENTIALS_", "TRUSTED_", "LOGIN_", "PYTEST", "TEST_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
        env.update(
            DJANGO_SETTINGS_MODULE="webmail.settings", PYTHONUNBUFFERED="1",
            DATABASE_URL=self.database.url, REDIS_URL=self.redis.url,
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50), CREDENTIALS_KEYS=generate_credentials_key(),
            DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1", DJANGO_DEBUG="false",
            # Behind the proxy; plain HTTP between the test's clients and the proxy (no TLS here).
            DJANGO_HTTPS="false", DJANGO_BEHIND_PROXY="true", TRUSTED_PROXIES="127.0.0.1",
            WEB_CONCURRENCY=str(web_concurrency), CELERY_CONCURRENCY=str(worker_concurrency),
            IMAP_HOST="127.0.0.1", IMAP_PORT=str(imap_port), IMAP_SECURITY="none",
            SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port), SMTP_SECURITY="none",
            LOG_FORMAT="json", LOG_LEVEL="INFO", WEBMAIL_VAR_DIR=str(self.folder / "var"),
        )
        env.update(extra)
        return env

    @property
    def services(self) -> list[Service]:
        return [*self.webs, *self.workers, self.beat]

    def start(self, timeout: float = 120) -> Stack:
        self.folder.mkdir(parents=True, exist_ok=True)
        migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=self.env,
                                 capture_output=True, text=True, timeout=300)
        if migrate.returncode:
            raise RuntimeError(f"migrate failed:\n{migrate.stdout[-2000:]}\n{migrate.stderr[-2000:]}")
        for service in self.services:
            service.start(self.env)
        for port in self.web_ports:
            wait_for_port(port, timeout=60)
        self.proxy.start()
        self._supervisor.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """What compose's health checks wait for: each web process answers /healthz (through the
        proxy) and each worker answers a ping. (/readyz would also wait for beat's first heartbeat,
        30 s after a fresh beat starts.)"""
        import httpx

        deadline = time.monotonic() + timeout
        for port in self.web_ports:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"web on port {port} not live:\n" + "\n".join(s.tail() for s in self.webs))
                time.sleep(0.2)
        assert httpx.get(f"{self.proxy.url}/healthz", timeout=5).status_code == 200
        self.wait_workers(max(1.0, deadline - time.monotonic()))

    def wait_workers(self, timeout: float = 60) -> None:
        """Every worker answers a ping on the broker."""
        from celery import Celery

        app = Celery(broker=self.redis.url)
        names = [f"worker{n}@topology" for n in range(1, len(self.workers) + 1)]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if len(app.control.ping(destination=names, timeout=1)) == len(names):
                    return
            except Exception:  # broker briefly unreachable
                pass
            time.sleep(0.5)
        raise RuntimeError(f"workers did not answer within {timeout}s:\n"
                           + "\n".join(f"--- {s.name}\n{s.tail()}" for s in self.workers))

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            for service in self.services:
                if service.wanted and service.process is not None and service.process.poll() is not None:
                    service.unexpected_exits.append(
                        f"{service.name} exited with {service.process.returncode}:\n{service.tail()}")
                    service.start(self.env)  # restart: unless-stopped

    def unexpected_exits(self) -> list[str]:
        return [exit for service in self.services for exit in service.unexpected_exits]

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(timeout=5)
        self.proxy.stop()
        for service in self.services:
            service.stop(timeout=30)
