"""`make run`: the webmail with its Celery worker and beat, plus whatever is missing around it.

When no IMAP server is configured it starts the local demo mail server (a private Dovecot and the
project's SMTP receiver) with two demo accounts; when Redis is not reachable it starts a private
one. A child that stops (the worker after a crash, say) is restarted, with a line that says so.
Ctrl-C, or SIGTERM (`kill`, `docker stop`), stops everything this command started.
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

# A child restarted more often than this within the window is given up on.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the webmail, its Celery worker and beat, and a demo mail server when none is configured."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port, host, **options):
        env = os.environ.copy()
        env.setdefault("DJANGO_DEBUG", "true")
        stoppers = []
        children: dict[str, subprocess.Popen] = {}
        # `kill` and `docker stop` send SIGTERM: stop everything as Ctrl-C does.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            if not settings.IMAP_HOST:
                stoppers += self._start_demo_mail(env)
            stoppers += self._ensure_redis(env)
            python = sys.executable
            celery = [python, "-m", "celery", "-A", "webmail"]
            beat_schedule = str(settings.VAR_DIR / "celerybeat-schedule")
            commands = {
                "the Celery worker": celery + ["worker", "--loglevel", "INFO", "--concurrency", "2"],
                "Celery beat": celery + ["beat", "--loglevel", "INFO", "--schedule", beat_schedule],
                "the web server": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            }
            for name, command in commands.items():
                children[name] = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
            wait_for_port(port, timeout=30)
            self._banner(host, port, demo=not settings.IMAP_HOST)
            self._supervise(children, commands, env)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second kill must not cut the clean-up short
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            for stop in reversed(stoppers):
                stop()

    def _supervise(self, children: dict, commands: dict, env: dict) -> None:
        """Restart a child that stopped (a crash, a kill) and say so; the others keep running.
        A child that keeps crashing stops everything: restarting it would only hide the cause."""
        restarts: dict[str, list[float]] = {name: [] for name in children}
        while True:
            time.sleep(0.5)
            for name, child in children.items():
                if child.poll() is None:
                    continue
                now = time.monotonic()
                restarts[name] = [t for t in restarts[name] if now - t < RESTART_WINDOW_SECONDS] + [now]
                if len(restarts[name]) > MAX_RESTARTS:
                    self.stderr.write(f"{name} stopped {MAX_RESTARTS + 1} times within {RESTART_WINDOW_SECONDS} s "
                                      f"(exit code {child.returncode}); shutting everything down.")
                    return
                self.stderr.write(f"{name} stopped (exit code {child.returncode}); restarting it.")
                self.stderr.flush()
                children[name] = subprocess.Popen(commands[name], env=env, cwd=settings.BASE_DIR)

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

        def stop() -> None:
            process.terminate()
            process.wait(timeout=15)

        return [stop]

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
