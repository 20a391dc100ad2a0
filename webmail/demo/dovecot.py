"""A private Dovecot (IMAP + LMTP) in a folder of its own, for the local demo and the tests.

Debian's dovecot-imapd does not start a system-wide server here, and the demo and the tests must
not depend on one: each instance gets its own base_dir, mail store, user list and free ports.
Each user has a passwd-file of its own: Dovecot checks a passwd-file for changes at most once a
second, so a single shared file would hide users created in quick succession.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CONFIG = """\
instance_name = {instance}
base_dir = {run_dir}
state_dir = {root}/state
listen = {listen}
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# No slowdown after a wrong password: the webmail throttles sign-ins itself, and tests try many.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = 100
mail_location = maildir:{root}/mail/%u
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
mail_plugins =
imap_capability = +SPECIAL-USE
lmtp_save_to_detail_mailbox = no
recipient_delimiter =

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
service auth {{
  # For a Postfix that authenticates its SMTP clients through this Dovecot (the tests' Postfix).
  # Postfix runs as another user; anyone on this machine may already try passwords over IMAP.
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap {{
  process_limit = 256
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""


# Below Linux's range of ports for outgoing connections (32768–60999): a free port from that
# range, as the kernel hands out for port 0, can be taken by any outgoing connection (to Redis,
# PostgreSQL, IMAP...) before the server binds it, and the server then fails to start.
_LISTEN_PORTS = range(20000, 32768)


def free_port() -> int:
    for port in random.sample(_LISTEN_PORTS, 100):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {_LISTEN_PORTS.start} and {_LISTEN_PORTS.stop - 1}")


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing is listening on 127.0.0.1:{port} after {timeout}s")


def find_dovecot() -> str:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        raise RuntimeError("Dovecot is not installed: run `make setup` (Debian package dovecot-imapd).")
    return binary


@dataclass
class PrivateDovecot:
    root: Path
    imap_port: int = 0
    lmtp_port: int = 0
    users: dict[str, str] = field(default_factory=dict)
    # IMAP's address; a container serving other containers sets "0.0.0.0". LMTP stays on loopback.
    listen: str = "127.0.0.1"

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.imap_port = self.imap_port or free_port()
        self.lmtp_port = self.lmtp_port or free_port()

    @property
    def run_dir(self) -> Path:
        # Unix socket paths are limited to 108 bytes, so the sockets live under a short path.
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"webmail-dovecot-{digest}"

    @property
    def auth_socket(self) -> Path:
        """Dovecot's SASL socket for Postfix (smtpd_sasl_type = dovecot)."""
        return self.run_dir / "auth-postfix"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "master.pid"

    def start(self) -> PrivateDovecot:
        for sub in ("state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(mode=0o755, exist_ok=True)
        (self.root / "users").mkdir(exist_ok=True)
        self.users.update(self.read_users())
        instance = f"webmail-{self.imap_port}"
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=self.root, run_dir=self.run_dir, instance=instance, imap_port=self.imap_port,
                lmtp_port=self.lmtp_port, listen=self.listen,
            )
        )
        self.stop()  # a previous run that was killed may have left its master behind
        os.chmod(self.root, 0o755)
        for parent in self.root.parents:
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:  # dovecot's mail processes must be able to traverse to the store
                os.chmod(parent, mode | 0o711)
        subprocess.run(["chown", "-R", "dovecot:dovecot", str(self.root / "mail"), str(self.root / "home")],
                       check=True)
        subprocess.run([find_dovecot(), "-c", str(config)], check=True)
        wait_for_port(self.imap_port)
        wait_for_port(self.lmtp_port)
        return self

    def stop(self) -> None:
        if not self.pid_file.exists():
            return
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
        except (ValueError, ProcessLookupError):
            self.pid_file.unlink(missing_ok=True)
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)

    def read_users(self) -> dict[str, str]:
        users = {}
        for path in (self.root / "users").iterdir():
            line = path.read_text().strip()
            if ":{PLAIN}" in line:
                email, rest = line.split(":{PLAIN}", 1)
                users[email] = rest.split(":", 1)[0]
        return users

    def add_user(self, email: str, password: str) -> None:
        """Create the account, or change its password (then wait until Dovecot has noticed)."""
        if self.users.get(email) == password:
            return
        if any(c in email + password for c in ":/\n") or email.startswith("."):
            raise ValueError("addresses and passwords for the private server cannot contain ':', '/' or newlines")
        changed = email in self.users
        self.users[email] = password
        tmp = self.root / "users" / f".{email}.tmp"
        tmp.write_text(f"{email}:{{PLAIN}}{password}::::::\n")
        tmp.replace(self.root / "users" / email)  # atomic, so Dovecot never reads half a file
        if changed:
            time.sleep(1.1)  # Dovecot re-reads a known passwd-file at most once a second
