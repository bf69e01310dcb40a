"""Recordings (.plhrec, docs/recording-format.md) as numpy arrays."""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import _pylabhub as _core
from ._schema import blds_to_dtype


class RecordingWarning(UserWarning):
    """A recording was read, but not all of it (a torn tail, skipped records)."""


@dataclass
class Recording:
    """What read_recording returns.

    data: the records as a structured array of the schema's dtype (a
    ``(n, payload_bytes)`` uint8 array without a schema), memory-mapped when
    the records lie at a regular stride in the file, else copied.
    sequences, commit_ns: per record (commit_ns on the recording machine's
    monotonic clock); times: UTC as datetime64[ns] (None for recordings
    without clock records). description: the recording's header (channel,
    slot_bytes, sync, schema...). torn: why the file ends early, or None.
    problems: corrupt records that were skipped.
    """

    path: str
    data: np.ndarray
    sequences: np.ndarray
    commit_ns: np.ndarray
    times: Optional[np.ndarray]
    description: dict
    dtype: Optional[np.dtype]
    torn: Optional[str] = None
    problems: list = field(default_factory=list)
    memory_mapped: bool = False

    @property
    def schema(self) -> dict:
        return self.description.get("schema", {})

    @property
    def channel(self) -> str:
        return self.description.get("channel", "")

    def __len__(self) -> int:
        return len(self.sequences)


def _regular_runs(offsets: np.ndarray):
    """(start, stop, stride) runs of records lying at one stride in the file
    (clock records break the stride); neighbouring runs share a record."""
    if len(offsets) < 2:
        return [(0, len(offsets), 0)]
    steps = np.diff(offsets.astype(np.int64))
    changes = list(np.flatnonzero(steps[1:] != steps[:-1]) + 1)
    starts, ends = [0] + changes, changes + [len(steps)]
    return [(int(s), int(e) + 1, int(steps[s])) for s, e in zip(starts, ends)]


def _payloads(mapped: np.ndarray, offsets: np.ndarray, itemsize: int, dtype) -> tuple[np.ndarray, bool]:
    runs = _regular_runs(offsets)
    view_dtype = dtype if dtype is not None else np.dtype((np.uint8, (itemsize,)))
    if len(runs) == 1:
        start, stop, stride = runs[0]
        view = np.ndarray((stop - start,), dtype=view_dtype, buffer=mapped, offset=int(offsets[start]), strides=(stride or itemsize,))
        return view, True
    out = np.empty(len(offsets), dtype=view_dtype)
    for start, stop, stride in runs:
        out[start:stop] = np.ndarray((stop - start,), dtype=view_dtype, buffer=mapped, offset=int(offsets[start]),
                                     strides=(stride or itemsize,))
    return out, False


def read_recording(path: str, *, on_corrupt: str = "raise") -> Recording:
    """The records of a recording as numpy arrays, every checksum verified.

    A torn tail (the recorder crashed or the disk filled) is reported in
    ``.torn`` and a RecordingWarning: the records before it are intact. A
    corrupt record raises CorruptData, or with ``on_corrupt="skip"`` is left
    out and listed in ``.problems``.
    """
    if on_corrupt not in ("raise", "skip"):
        raise ValueError("on_corrupt is 'raise' or 'skip'")
    scan = _core.scan_recording(str(path))
    if scan["corrupt"] and on_corrupt == "raise":
        offset, why = scan["corrupt"][0]
        raise _core.CorruptData(f"{path}: {why} (read_recording(..., on_corrupt='skip') reads the rest)")
    description = json.loads(scan["description"])
    blds = description.get("schema", {}).get("blds", "")
    dtype = blds_to_dtype(blds) if blds else None
    sizes = scan["payload_bytes"]
    itemsize = dtype.itemsize if dtype is not None else (int(sizes.max()) if len(sizes) else 0)
    keep = sizes >= itemsize
    problems = [why for _, why in scan["corrupt"]]
    if not keep.all():
        problems.append(f"{int((~keep).sum())} record(s) hold fewer than the {itemsize} bytes of a record; left out")
    offsets = scan["offsets"][keep]
    if len(offsets):
        mapped = np.memmap(path, dtype=np.uint8, mode="r")
        data, memory_mapped = _payloads(mapped, offsets, itemsize, dtype)
    else:
        data, memory_mapped = np.empty(0, dtype=dtype if dtype is not None else np.dtype((np.uint8, (itemsize,)))), False
    times = scan["unix_ns"][keep].astype("datetime64[ns]") if scan["unix_ns"] is not None else None
    if scan["torn"]:
        warnings.warn(f"{path}: {scan['torn']}; the {int(keep.sum())} records before it are intact", RecordingWarning, stacklevel=2)
    if problems and on_corrupt == "skip":
        warnings.warn(f"{path}: skipped: {'; '.join(problems)}", RecordingWarning, stacklevel=2)
    return Recording(path=str(path), data=data, sequences=scan["sequences"][keep], commit_ns=scan["commit_ns"][keep], times=times,
                     description=description, dtype=dtype, torn=scan["torn"], problems=problems, memory_mapped=memory_mapped)
