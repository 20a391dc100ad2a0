"""A private Redis that a test may stop and start again on the same port (fault injection).

The machine's shared Redis (6379) serves other test runs: never stop that one. `private_redis`
(tests/conftest.py-style fixture in the modules that need it) points the cache and the broker here.
"""

from __future__ import annotations

import shutil
import subprocess

from webmail.demo.dovecot import free_port, wait_for_port


class PrivateRedis:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """Kill it (no clean shutdown): what a crash or a lost host looks like to the clients."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def point_at(settings, url: str) -> None:
    """The cache and the Celery broker of this process use `url` (see isolated_redis in conftest)."""
    from webmail.celery import app

    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": url}}
    app.conf.broker_url = url
    # The publisher's pools were built for the previous broker.
    app._pool = None
    app.amqp._producer_pool = None
