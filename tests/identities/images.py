"""Real images made in the test, for pasting, dropping and sending."""

import struct
import zlib


def png(width: int, height: int, rgb=(200, 40, 40)) -> bytes:
    """A real PNG of the given size (a gradient, so that it does not compress to nothing)."""
    rows = b"".join(b"\x00" + b"".join(bytes((rgb[0], (rgb[1] + x * 7 + y) % 256, rgb[2])) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
