"""Array constants that hash by content, and the hash-consing key of attribute values."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import numpy as np

from .shapes import fmt_shape


class ArrayValue:
    """A read-only array constant that hashes and compares by dtype, shape and bytes."""

    __slots__ = ("array", "digest")

    def __init__(self, array: np.ndarray) -> None:
        arr = np.array(array, copy=True)
        arr.setflags(write=False)
        self.array = arr
        h = hashlib.sha256(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(np.ascontiguousarray(arr).tobytes())
        self.digest = h.hexdigest()

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArrayValue) and other.digest == self.digest

    def __repr__(self) -> str:
        return f"array{fmt_shape(self.array.shape)}"


def _attr_key(value: Any) -> Any:
    """Hash-consing key of an attribute value: floats by bit pattern (-0.0 is not 0.0)."""
    if isinstance(value, float):
        return ("f", struct.pack("<d", value))
    return value


