"""Remember, for each (store, item) key, the line of its last occurrence in a file, compactly.

A Python set of a million (store, item) string tuples costs about 200 MB; this table keeps a
64-bit digest and a 32-bit line number per key in two flat arrays (open addressing, linear
probing, at most half full): about 24 MB for a million keys.

The digest is Python's own hash of the key tuple (SipHash based, 64 bits). It is randomised
per process, which is fine: a table lives within one invocation. Two different keys would
share a digest with a probability of about 3 in 100 million for a million-row file; the cost of
that would be one row reported as a duplicate of the other instead of loaded.
"""

from __future__ import annotations

from array import array

_MASK_64 = (1 << 64) - 1
_EMPTY = 0
_INITIAL_CAPACITY = 1024  # a power of two, so a slot is ``digest & (capacity - 1)``


def _digest(store: str, item: str) -> int:
    # 0 marks an empty slot, so a digest of 0 is moved to 1.
    return (hash((store, item)) & _MASK_64) or 1


class LastOccurrenceTable:
    def __init__(self, capacity: int = _INITIAL_CAPACITY) -> None:
        if capacity < 2 or capacity & (capacity - 1):
            raise ValueError("capacity must be a power of two")
        self._digests = array("Q", [_EMPTY]) * capacity
        self._lines = array("I", [0]) * capacity
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def record(self, store: str, item: str, line: int) -> int | None:
        """Note that the key occurs at ``line``; return the line it occurred on before, if any."""
        if (self._size + 1) * 2 > len(self._digests):
            self._grow()
        digest = _digest(store, item)
        slot = self._slot_of(digest)
        previous = self._lines[slot] if self._digests[slot] == digest else None
        if previous is None:
            self._digests[slot] = digest
            self._size += 1
        self._lines[slot] = line
        return previous

    def last_line(self, store: str, item: str) -> int | None:
        """The line of the key's last recorded occurrence, or None if it was never recorded."""
        digest = _digest(store, item)
        slot = self._slot_of(digest)
        return self._lines[slot] if self._digests[slot] == digest else None

    def _slot_of(self, digest: int) -> int:
        """The slot holding ``digest``, or the empty slot where it belongs."""
        digests = self._digests
        mask = len(digests) - 1
        slot = digest & mask
        while True:
            current = digests[slot]
            if current == digest or current == _EMPTY:
                return slot
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old_digests, old_lines = self._digests, self._lines
        capacity = len(old_digests) * 2
        self._digests = array("Q", [_EMPTY]) * capacity
        self._lines = array("I", [0]) * capacity
        for digest, line in zip(old_digests, old_lines, strict=True):
            if digest != _EMPTY:
                slot = self._slot_of(digest)
                self._digests[slot] = digest
                self._lines[slot] = line
