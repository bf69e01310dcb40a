"""Slots as numpy views that end with their slot (shared by the module and
the python plugin)."""
from __future__ import annotations

import sys

import numpy as np

if "_pylabhub_embedded" in sys.builtin_module_names:
    from _pylabhub_embedded import _empty_view
else:
    from ._pylabhub import _empty_view


class SlotView:
    """A numpy view of one slot's bytes, emptied when the slot is released.

    ``array`` is a zero-copy view (shape ``(records,)`` of the dtype: one
    record for a writer, as many as were committed for a reader; raw
    ``uint8`` bytes without a dtype). After release, ``array`` raises
    SlotReleasedError and an array taken earlier is empty, so stale data is
    never read through it. Views derived from it inside the block
    (``a["value"]``, ``a[0]``) hold their own pointer into the slot and
    cannot be emptied: ``copy()`` inside the block what must be kept.
    """

    __slots__ = ("_raw", "_array", "_released_error", "sequence", "_nbytes")

    def __init__(self, raw, dtype, nbytes, capacity, released_error, sequence, records=None):
        self._raw = raw
        self._released_error = released_error
        self.sequence = sequence
        if dtype is None:
            self._array = np.frombuffer(raw, dtype=np.uint8, count=nbytes)
        else:
            # A writer may leave a record's trailing padding out of what it commits.
            count = records if records is not None else -(-nbytes // dtype.itemsize)
            if count == 0 or count * dtype.itemsize > capacity:
                raise ValueError(f"slot {sequence} holds {nbytes} bytes, which are not whole {dtype.itemsize}-byte records of the dtype")
            self._array = np.frombuffer(raw, dtype=dtype, count=count)
        self._nbytes = self._array.nbytes

    @property
    def array(self) -> np.ndarray:
        if self._array is None:
            raise self._released_error(f"slot {self.sequence} was released when its `with` block ended; "
                                       "call .copy() inside the block to keep its data")
        return self._array

    def copy(self) -> np.ndarray:
        """A copy that stays valid after the slot is released."""
        return self.array.copy()

    def _end(self):
        if self._array is None:
            return
        _empty_view(self._array)
        self._array = None
