"""Random ids: what ``str(uuid.uuid4())`` and ``uuid.uuid4().hex`` give (16 bytes of ``os.urandom``, the version 4
and RFC 4122 variant bits set), without building a ``uuid.UUID`` per id (a third of a read's id work)."""
from __future__ import annotations

import os


def random_hex() -> str:
    """32 lowercase hex digits of a random version 4 UUID (``uuid.uuid4().hex``)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()


def random_uuid() -> str:
    """A random version 4 UUID in its canonical text form (``str(uuid.uuid4())``)."""
    h = random_hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
