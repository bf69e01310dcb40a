"""Recordings into HDF5 (h5py) and CSV: `python3 -m pylabhub export`."""
from __future__ import annotations

import csv
import json

import numpy as np

from ._recording import Recording


def _columns(array: np.ndarray, prefix: str = ""):
    """(name, 1-D column) for every scalar of a structured array, named as
    `pylabhub dump` names them: value[3], pos.x; a char array is one text column."""
    dt = array.dtype
    if dt.names is not None:
        for name in dt.names:
            yield from _columns(array[name], f"{prefix}.{name}" if prefix else name)
    elif array.ndim > 1:
        for index in np.ndindex(*array.shape[1:]):
            yield from _columns(array[(slice(None),) + index], prefix + "".join(f"[{i}]" for i in index))
    else:
        yield prefix or "data", array


def to_hdf5(recording: Recording, out_path: str) -> None:
    """Writes datasets data, sequence, commit_ns (and time, UTC ns) with the schema
    and the channel's description as attributes of the file and of data."""
    try:
        import h5py
    except ImportError:
        raise SystemExit("HDF5 export needs h5py: apt install python3-h5py") from None
    with h5py.File(out_path, "w") as f:
        data = f.create_dataset("data", data=np.ascontiguousarray(recording.data))
        f.create_dataset("sequence", data=recording.sequences)
        f.create_dataset("commit_ns", data=recording.commit_ns)
        if recording.times is not None:
            f.create_dataset("time_unix_ns", data=recording.times.astype(np.int64))
        schema = recording.schema
        for target in (f, data):
            target.attrs["channel"] = recording.channel
            target.attrs["schema_name"] = schema.get("name", "")
            target.attrs["schema_version"] = schema.get("version", "")
            target.attrs["schema_blds"] = schema.get("blds", "")
            target.attrs["schema_hash"] = schema.get("hash", "")
        f.attrs["description"] = json.dumps(recording.description)
        for key in ("sync", "slot_bytes", "slot_count", "lossless", "checksum_policy", "instance"):
            if key in recording.description:
                f.attrs[key] = recording.description[key]
        f.attrs["source"] = recording.path
        if recording.torn:
            f.attrs["torn"] = recording.torn


def to_csv(recording: Recording, out_path: str) -> None:
    """One row per record: sequence, commit_ns, time (UTC, ISO 8601), then every field."""
    columns = list(_columns(recording.data)) if recording.dtype is not None else [("data", [bytes(r).hex() for r in recording.data])]
    with open(out_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sequence", "commit_ns", "time"] + [name for name, _ in columns])
        times = recording.times.astype(str) if recording.times is not None else [""] * len(recording)
        cells = [[v.decode(errors="replace") for v in c] if getattr(c, "dtype", None) is not None and c.dtype.kind == "S"
                 else (c.tolist() if hasattr(c, "tolist") else c) for _, c in columns]
        for i in range(len(recording)):
            writer.writerow([int(recording.sequences[i]), int(recording.commit_ns[i]), times[i] + ("Z" if times[i] else "")] +
                            [col[i] for col in cells])
