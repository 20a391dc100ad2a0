"""A private Postfix for the tests: a strict SMTP submission server, as a real installation runs.

Beside the project's own demo submission server (webmail/demo/smtp.py), the tests can send
through Postfix (Debian package `postfix`, installed unconfigured by `make system-packages`):

- its own config_directory, queue_directory, data_directory and maillog_file in a folder of its
  own, listening on 127.0.0.1 on a free port; no system service, no port 25, no chroot;
- submission only after SASL authentication, checked by the test Dovecot (its `auth-postfix`
  socket); no relaying, and `default_transport = error:` so nothing can leave the machine;
- `smtpd_forbid_bare_newline = reject` with no exclusions: a bare LF anywhere in the message is
  refused with `550 5.5.2 ... bare <LF> received` (`yes` only normalises in 3.7, and the default
  exclusions cover 127.0.0.1);
- recipients of example.test (the domain of the tests' accounts) are delivered to the test
  Dovecot over LMTP. Accounts are created during the run (dovecot.add_user), so Postfix keeps no
  user list: `reject_unverified_recipient` asks Dovecot's LMTP itself, during RCPT, whether the
  user exists (Postfix's address verification: the first RCPT to a new address waits ~1 s, the
  shortest poll delay Postfix 3.7 accepts; later ones are answered from its cache). An unknown
  user is refused at RCPT with 550, as a real installation with a user table does.

Tests use it through the fixtures `postfix_server` and `postfix_settings` (tests/conftest.py);
tests/ops/test_postfix_server.py proves each answer above. The gotchas (backdated main.cf, bare LF
exclusions, zombie masters) are explained where the code meets them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from webmail.demo.dovecot import PrivateDovecot, free_port, wait_for_port

DOMAIN = "example.test"

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
maillog_file = {root}/maillog
# postfix start writes its own errors to maillog_file too, which must lie under these prefixes.
maillog_file_prefixes = {root}
myhostname = mail.{domain}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
alias_maps =
alias_database =
message_size_limit = {size_limit}
mailbox_size_limit = 0

virtual_mailbox_domains = {domain}
virtual_mailbox_maps = static:ok
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
default_transport = error:outbound mail disabled in tests

smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {auth_socket}
smtpd_tls_security_level = none
smtpd_tls_auth_only = no
# A submission port: nothing without AUTH; only our domain (no relay); only users Dovecot has.
smtpd_client_restrictions = permit_sasl_authenticated, reject
smtpd_relay_restrictions = reject_unauth_destination
# An account sends as itself and its "+tag" aliases only (the map gives the owner of an address).
smtpd_sender_login_maps = regexp:{root}/etc/sender_logins
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_recipient_restrictions = reject_unverified_recipient
unverified_recipient_reject_code = 550
# The probe (an LMTP RCPT to Dovecot) takes milliseconds: poll for its result every second (the
# shortest this Postfix accepts) rather than every 3 s. Results are cached per address (refusals too).
address_verify_poll_delay = 1s
address_verify_poll_count = 5
smtpd_forbid_bare_newline = reject
smtpd_forbid_bare_newline_exclusions =
"""

# The owner of a sender address: itself, or for "alice+tag@…" alice@… (Postfix lowercases the key).
SENDER_LOGINS = "/^([^+@]+)(\\+[^@]*)?@(.+)$/ ${1}@${3}\n"

# Debian's master.cf, reduced to the services a submission-to-LMTP server uses, all unchrooted.
MASTER_CF = """\
{port}    inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


@dataclass
class PrivatePostfix:
    """One Postfix instance in `root`, authenticating through and delivering to `dovecot`.

    `start()` takes ~0.4 s, `stop()` a few hundredths of a second. `log()` / `wait_for_log()`
    read its maillog (Postfix's own log file; `postfix start` writes its errors there too).
    """

    root: Path
    dovecot: PrivateDovecot
    port: int = 0
    host: str = "127.0.0.1"
    pid: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.port = self.port or free_port()
        # Postfix's own unix sockets live in spool/private and spool/public (108-byte limit).
        if len(str(self.root / "spool/private/proxywrite")) > 100:
            raise ValueError(f"{self.root} is too long a path for Postfix's unix sockets")

    @property
    def config_dir(self) -> Path:
        return self.root / "etc"

    @property
    def log_file(self) -> Path:
        return self.root / "maillog"

    def postfix(self, *args: str) -> subprocess.CompletedProcess:
        """Run a Postfix command on this instance (every Postfix tool needs its -c)."""
        return subprocess.run(["postfix", "-c", str(self.config_dir), *args], check=True,
                              capture_output=True, text=True)

    def start(self) -> PrivatePostfix:
        if not shutil.which("postfix") and not Path("/usr/sbin/postfix").exists():
            raise RuntimeError("Postfix is not installed: run `make system-packages` (Debian package postfix).")
        for sub in ("etc", "spool", "data"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root / "data", "postfix")
        _make_traversable(self.root)
        (self.config_dir / "main.cf").write_text(MAIN_CF.format(
            root=self.root, domain=DOMAIN, size_limit=settings.MESSAGE_MAX_BYTES, lmtp_port=self.dovecot.lmtp_port,
            auth_socket=self.dovecot.auth_socket,
        ))
        (self.config_dir / "master.cf").write_text(MASTER_CF.format(port=self.port))
        (self.config_dir / "sender_logins").write_text(SENDER_LOGINS)
        # Postfix re-reads a main.cf younger than ~2 s, pausing 300 ms each time, before it trusts
        # it ("let it settle"): a backdated config makes the start 0.4 s instead of 2 s.
        old = time.time() - 60
        for path in self.config_dir.iterdir():
            os.utime(path, (old, old))
        try:
            self.postfix("start")  # runs `postfix check` (creates the queue), then the master
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"postfix start failed: {error.stderr}\n{self.log()}") from None
        self.pid = _read_pid(self.root / "spool/pid/master.pid")
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.pid is None:
            return
        try:
            self.postfix("stop")
        except subprocess.CalledProcessError:
            os.kill(self.pid, signal.SIGTERM)
        _wait_exited(self.pid)
        self.pid = None

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern: str, timeout: float = 10.0) -> re.Match:
        """The first match of a regular expression in the maillog, waiting for postlogd to write it."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.log())
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not in {self.log_file} after {timeout}s:\n{self.log()[-3000:]}")
            time.sleep(0.05)


def _make_traversable(path: Path) -> None:
    """Postfix's daemons run as the postfix user: they must reach data/ (pytest's folders are 0700)."""
    os.chmod(path, 0o755)
    for parent in path.parents:
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o711)


def _read_pid(path: Path, timeout: float = 10.0) -> int:
    # The master writes its pid file a moment after `postfix start` returns.
    deadline = time.monotonic() + timeout
    while True:
        try:
            return int(path.read_text())
        except (FileNotFoundError, ValueError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _wait_exited(pid: int, timeout: float = 10.0) -> None:
    """Wait until the process has exited; a zombie counts (PID 1 here reaps orphans late)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.01)
    raise RuntimeError(f"the Postfix master (pid {pid}) did not exit within {timeout}s")
