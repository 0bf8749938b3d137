"""Ids: random ones, what ``str(uuid.uuid4())`` and ``uuid.uuid4().hex`` give (16 bytes of ``os.urandom``, the
version 4 and RFC 4122 variant bits set) without building a ``uuid.UUID`` per id (a third of a read's id work); and
time-ordered ones (version 7) for the documents written by thousands (Phenotypes)."""
from __future__ import annotations

import os
import time


def random_hex() -> str:
    """32 lowercase hex digits of a random version 4 UUID (``uuid.uuid4().hex``)."""
    return _version4(os.urandom(16))


def random_uuid() -> str:
    """A random version 4 UUID in its canonical text form (``str(uuid.uuid4())``)."""
    return _canonical(random_hex())


def time_ordered_uuids(count: int) -> list[str]:
    """``count`` version 7 UUIDs (RFC 9562): the Unix time in milliseconds, a 12-bit counter from a random start,
    then 62 random bits; ascending within a call of up to 2,048, and after those of an earlier millisecond. Ids like
    these are appended to an index instead of landing on a random page of it: a batch of new documents dirties a
    few pages of each index it is in rather than one page per document (the embedded store writes each dirty page
    at every commit). One ``os.urandom`` call for all: each call releases the GIL, and taking it back waits for a
    busy thread's switch interval (0.15 ms a call in the NLP worker, whose writer threads keep it busy)."""
    stamp = time.time_ns() // 1_000_000
    raw = os.urandom(8 * count + 2)
    start = int.from_bytes(raw[-2:], "big") & 0x7FF  # room for 2,048 more in the counter before it wraps
    ids = []
    for n in range(count):
        counter = (start + n) & 0xFFF
        tail = bytearray(raw[8 * n:8 * n + 8])
        tail[0] = tail[0] & 0x3F | 0x80
        ids.append(_canonical(f"{stamp:012x}{0x7000 | counter:04x}{tail.hex()}"))
    return ids


def _version4(random: bytes) -> str:
    raw = bytearray(random)
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()


def _canonical(h: str) -> str:
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
