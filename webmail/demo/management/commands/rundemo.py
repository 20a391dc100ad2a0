"""`make run`: the webmail with its Celery worker and beat, plus whatever is missing around it.

When no IMAP server is configured it starts the local demo mail server (a private Dovecot and the
project's SMTP receiver) with two demo accounts; when Redis is not reachable it starts a private
one. Ctrl-C stops everything this command started.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import redis
from django.conf import settings
from django.core.management.base import BaseCommand

from webmail.demo.dovecot import wait_for_port
from webmail.demo.mailserver import start_demo_mail
from webmail.demo.seed import DEMO_USERS


class Command(BaseCommand):
    help = "Run the webmail, its Celery worker and beat, and a demo mail server when none is configured."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port, host, **options):
        env = os.environ.copy()
        env.setdefault("DJANGO_DEBUG", "true")
        stoppers = []
        children: list[subprocess.Popen] = []
        try:
            if not settings.IMAP_HOST:
                stoppers += self._start_demo_mail(env)
            stoppers += self._ensure_redis(env)
            python = sys.executable
            celery = [python, "-m", "celery", "-A", "webmail"]
            beat_schedule = str(settings.VAR_DIR / "celerybeat-schedule")
            commands = [
                celery + ["worker", "--loglevel", "INFO", "--concurrency", "2"],
                celery + ["beat", "--loglevel", "INFO", "--schedule", beat_schedule],
                [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            ]
            for command in commands:
                children.append(subprocess.Popen(command, env=env, cwd=settings.BASE_DIR))
            wait_for_port(port, timeout=30)
            self._banner(host, port, demo=not settings.IMAP_HOST)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A process stopped; shutting everything down.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
            for stop in reversed(stoppers):
                stop()

    def _start_demo_mail(self, env: dict) -> list:
        server = start_demo_mail(settings.VAR_DIR / "demo-mail", env)
        env.update(server.client_settings())
        return [server.stop]

    def _ensure_redis(self, env: dict) -> list:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
            return []
        except redis.RedisError:
            pass
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        port = int(env.get("DEMO_REDIS_PORT", 16379))
        self.stdout.write(f"Redis is not reachable at {settings.REDIS_URL}; starting a private one on port {port}.")
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(port)
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        return [process.terminate]

    def _banner(self, host: str, port: int, demo: bool) -> None:
        lines = ["", f"  Webmail is running: http://{host}:{port}/", ""]
        if demo:
            lines.append("  Demo mail server (private Dovecot + SMTP), accounts:")
            lines += [f"    {email}  password: {password}" for email, password in DEMO_USERS.items()]
            lines.append("")
        lines.append("  Press Ctrl-C to stop everything.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        # Written to a pipe (`make run | tee`, an IDE's console, CI) Python buffers stdout, and the
        # URL would only show up when everything stops.
        self.stdout.flush()
