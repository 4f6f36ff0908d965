"""Salesforce record ids: the case-sensitive 15-character form and the 18-character one.

The 18-character id appends a 3-character checksum of the upper-case letters
of the 15-character id, so both forms name the same record; revalign stores
the 18-character form everywhere.
"""

from __future__ import annotations

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum(id15: str) -> str:
    suffix = []
    for start in (0, 5, 10):
        bits = 0
        for position, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def to_18(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character id."""
    if len(record_id) == 18:
        return record_id[:15] + checksum(record_id[:15])
    if len(record_id) == 15 and record_id.isalnum():
        return record_id + checksum(record_id)
    raise ValueError(f"not a Salesforce id (15 or 18 letters and digits): {record_id!r}")


def make(prefix: str, number: int, pod: str = "Ec") -> str:
    """A well-formed 18-character id: 3-character key prefix, pod, base62 counter."""
    digits = []
    n = number
    for _ in range(8):
        n, rem = divmod(n, 62)
        digits.append(_BASE62[rem])
    if n:
        raise ValueError(f"id counter {number} does not fit in 8 base62 digits")
    id15 = prefix + pod + "00" + "".join(reversed(digits))
    return id15 + checksum(id15)
