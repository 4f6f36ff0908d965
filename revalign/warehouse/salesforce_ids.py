"""Salesforce record ids: the case-sensitive 15-character form and the 18-character one.

The 18-character id appends a 3-character checksum of the upper-case letters
of the 15-character id, so both forms name the same record; revalign stores
the 18-character form everywhere.
"""

from __future__ import annotations

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


_UPPER_AS_ONE = str.maketrans({chr(c): "1" if 65 <= c <= 90 else "0" for c in range(128)})
# Two base62 digits at a time: make() runs once per generated record.
_BASE62_PAIRS = [a + b for a in _BASE62 for b in _BASE62]


def checksum(id15: str) -> str:
    """Per block of 5 characters, a letter whose bits mark the upper-case ones."""
    flags = id15.translate(_UPPER_AS_ONE)
    return (
        _SUFFIX_ALPHABET[int(flags[4::-1], 2)]
        + _SUFFIX_ALPHABET[int(flags[9:4:-1], 2)]
        + _SUFFIX_ALPHABET[int(flags[14:9:-1], 2)]
    )


def to_18(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character id."""
    if len(record_id) == 18:
        return record_id[:15] + checksum(record_id[:15])
    if len(record_id) == 15 and record_id.isalnum():
        return record_id + checksum(record_id)
    raise ValueError(f"not a Salesforce id (15 or 18 letters and digits): {record_id!r}")


def make(prefix: str, number: int, pod: str = "Ec") -> str:
    """A well-formed 18-character id: 3-character key prefix, pod, base62 counter."""
    if not 0 <= number < 62**8:
        raise ValueError(f"id counter {number} does not fit in 8 base62 digits")
    n, d4 = divmod(number, 3844)
    n, d3 = divmod(n, 3844)
    d1, d2 = divmod(n, 3844)
    pairs = _BASE62_PAIRS
    id15 = prefix + pod + "00" + pairs[d1] + pairs[d2] + pairs[d3] + pairs[d4]
    return id15 + checksum(id15)
