"""A real SMTP server (sockets, threads) that misbehaves at a chosen moment, the way networks and
overloaded servers do: slow to answer the final ".", a connection reset right after it, a 421,
a 250 followed by a close without waiting for QUIT, a reset before DATA.

It speaks enough ESMTP for smtplib (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
keeps every message whose data arrived in full: each one is a copy the server may have accepted,
which is what a duplicate check must count.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from webmail.demo.dovecot import free_port

# What the server does with one transaction, at the end of DATA unless said otherwise.
ACCEPT = "accept"  # 250 at once
SLOW = "slow"  # 250 after `delay` seconds
RESET_AFTER_DATA = "reset-after-data"  # the data arrived, then the connection is reset (RST)
REFUSE_421 = "421"  # 421 and close: the server did not take the message
CLOSE_AFTER_250 = "close-after-250"  # 250, then close without waiting for QUIT
RESET_BEFORE_DATA = "reset-before-data"  # the DATA command is answered with a reset
RESET_DURING_DATA = "reset-during-data"  # a few lines of the data arrive, then a reset
SLOW_354 = "slow-354"  # the DATA command is answered after `delay` seconds, then 250 at once


@dataclass
class FaultySMTPServer:
    # One behaviour per transaction, in order; the last one repeats.
    script: list[str] = field(default_factory=lambda: [ACCEPT])
    delay: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    received: list[bytes] = field(default_factory=list)
    transactions: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []

    def start(self) -> FaultySMTPServer:
        self._listener = socket.create_server((self.host, self.port))
        threading.Thread(target=self._accept_loop, daemon=True, name="faulty-smtp").start()
        return self

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._connections:
                connection.close()

    def copies(self, message_id: str) -> int:
        """How many copies of this message the server received in full (may have accepted)."""
        needle = f"Message-ID: {message_id}".encode().lower()
        with self._lock:
            return sum(needle in data.lower() for data in self.received)

    def _next_behaviour(self) -> str:
        with self._lock:
            behaviour = self.script[min(self.transactions, len(self.script) - 1)]
            self.transactions += 1
            return behaviour

    def _accept_loop(self) -> None:
        while self._listener is not None:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            self._session(connection, connection.makefile("rb"))
        except OSError:
            pass
        finally:
            connection.close()

    def _session(self, connection: socket.socket, reader) -> None:
        def say(line: str) -> None:
            connection.sendall(line.encode() + b"\r\n")

        say("220 faulty.test ESMTP")
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                connection.sendall(b"250-faulty.test\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 60000000\r\n")
            elif verb == b"AUTH":
                if line.split()[1].upper() == b"LOGIN":
                    say("334 VXNlcm5hbWU6")
                    reader.readline()
                    say("334 UGFzc3dvcmQ6")
                    reader.readline()
                say("235 2.7.0 Authentication successful")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                say("250 2.0.0 OK")
            elif verb == b"QUIT":
                say("221 2.0.0 Bye")
                return
            elif verb == b"DATA":
                behaviour = self._next_behaviour()
                if behaviour == RESET_BEFORE_DATA:
                    _reset(connection)
                    return
                if behaviour == SLOW_354:
                    time.sleep(self.delay)
                say("354 End data with <CR><LF>.<CR><LF>")
                if behaviour == RESET_DURING_DATA:
                    for _ in range(100):
                        reader.readline()
                    _reset(connection)
                    return
                data = _read_data(reader)
                if behaviour != REFUSE_421:
                    with self._lock:
                        self.received.append(data)
                if behaviour in (ACCEPT, SLOW_354):
                    say("250 2.0.0 Ok: queued")
                elif behaviour == SLOW:
                    time.sleep(self.delay)
                    say("250 2.0.0 Ok: queued, slowly")
                elif behaviour == RESET_AFTER_DATA:
                    _reset(connection)
                    return
                elif behaviour == REFUSE_421:
                    say("421 4.3.2 Service shutting down, try again later")
                    return
                elif behaviour == CLOSE_AFTER_250:
                    say("250 2.0.0 Ok: queued")
                    connection.shutdown(socket.SHUT_RDWR)
                    return
            else:
                say("502 5.5.2 Command not recognised")


def _read_data(reader) -> bytes:
    lines = []
    while True:
        line = reader.readline()
        if not line or line == b".\r\n":
            return b"".join(lines)
        lines.append(line[1:] if line.startswith(b"..") else line)


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset, as a crashed server or a middlebox does."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
