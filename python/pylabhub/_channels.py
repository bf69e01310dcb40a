"""Producer, Consumer and Observer: channels from Python, zero copy."""
from __future__ import annotations

import os
from typing import Iterator, Optional

import numpy as np

from . import _pylabhub as _core
from ._schema import blds_to_dtype, dtype_to_blds
from ._slots import SlotView


def _schema_dtype(schema: dict) -> Optional[np.dtype]:
    return blds_to_dtype(schema["blds"]) if schema.get("blds") else None


class _ClosedOnExit:
    """`with X.create/attach(...) as x:` closes x when the block ends."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class WriteSlot(SlotView):
    """The next slot of a Producer's channel, written in place.

    Use it in a ``with`` block: it commits when the block ends and abandons
    the slot (readers never see it) when the block raises.
    """

    __slots__ = ("_producer",)

    def __init__(self, producer: "Producer", raw):
        super().__init__(raw, producer.dtype, producer._slot_bytes, producer._slot_bytes, _core.SlotReleasedError, raw.sequence,
                         records=1 if producer.dtype is not None else None)
        self._producer = producer

    def commit(self, nbytes: Optional[int] = None) -> None:
        """Publishes the slot: ``nbytes`` bytes (default: every whole record of the dtype, or the whole slot)."""
        if self._array is None:
            self.array  # raises: already committed or abandoned
        if nbytes is None:
            nbytes = self._nbytes
        self._end()
        self._raw.commit(nbytes)

    def abandon(self) -> None:
        """Gives the slot up unpublished."""
        self._end()
        self._raw.abandon()

    def __enter__(self) -> "WriteSlot":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if self._array is None:
            return  # committed or abandoned inside the block
        if kind is None:
            self.commit()
        else:
            self.abandon()


class Producer(_ClosedOnExit):
    """The one writer of a channel: a DataBlock in shared memory, registered
    with the broker so that pipelines (``external: true``) and other
    processes find it by name. Make one with Producer.create::

        dt = np.dtype([("t", "f8"), ("value", "f4", (8,))], align=True)
        with pylabhub.Producer.create("sensor", dtype=dt, sync="sync_reader") as producer:
            with producer.write() as slot:         # commits at the end, abandons on an exception
                slot.array["value"] = 1.0          # in place, in shared memory
    """

    def __init__(self, core, dtype: Optional[np.dtype]):
        self._core = core
        self.dtype = dtype
        self._slot_bytes = core.slot_bytes  # read on every write: cached

    @classmethod
    def create(cls, channel: str, dtype=None, *, slots: int = 64, slot_bytes: Optional[int] = None,
               sync: str = "sync_reader", checksum: str = "none", schema_name: Optional[str] = None,
               schema_version: str = "1.0.0", broker: Optional[str] = None, wait: str = "blocking",
               replace: bool = False) -> "Producer":
        """Creates channel ``channel``.

        dtype: the slot layout (a structured dtype; it becomes the channel's
        schema). slot_bytes: defaults to the dtype's itemsize. sync:
        ``latest_only``, ``single_reader`` or ``sync_reader``. checksum:
        ``none``, ``xxh3`` or ``blake2b``. broker: the broker endpoint
        (default: this user's; one is embedded in this process when none
        runs), or False to register nowhere (readers then attach with
        ``segment=producer.segment, secret=producer.secret``). wait: how
        waits for room are done, ``busy_poll``, ``spin_yield`` or
        ``blocking`` (no CPU while waiting). replace: take over a segment of
        the same name.
        """
        dt = np.dtype(dtype) if dtype is not None else None
        blds = dtype_to_blds(dt) if dt is not None else None
        if slot_bytes is None:
            slot_bytes = dt.itemsize if dt is not None else 4096
        registered = broker is not False
        core = _core._Producer.create(channel, blds, schema_name or f"python.{channel}", schema_version, slots, slot_bytes,
                                      sync, checksum, wait, broker if registered else None, registered, replace)
        return cls(core, dt)

    def write(self, timeout: Optional[float] = None) -> WriteSlot:
        """The next slot, waiting up to ``timeout`` seconds (None: forever) for room."""
        return WriteSlot(self, self._core.acquire(timeout))

    def write_array(self, records, timeout: Optional[float] = None) -> int:
        """Copies ``records`` (of the dtype, or bytes-like) into the next slot and commits it; returns its sequence."""
        data = np.asarray(records, dtype=self.dtype) if self.dtype is not None else np.frombuffer(records, dtype=np.uint8)
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        if raw.nbytes > self.slot_bytes:
            raise ValueError(f"{raw.nbytes} bytes do not fit channel '{self.channel}' (slot_bytes {self.slot_bytes})")
        with self.write(timeout) as slot:
            np.frombuffer(slot._raw, dtype=np.uint8, count=raw.nbytes)[:] = raw
            slot.commit(raw.nbytes)
            return slot.sequence

    def write_many(self, records, timeout: Optional[float] = None) -> int:
        """Writes each row of ``records`` (``records[i]``) into a slot of its
        own and returns the first one's sequence (the rest follow it).

        The slots are handed over in runs of up to 256, each published with
        one store and one wake-up, which is what makes many small slots
        fast; every slot keeps its checksum and torn-read protection.
        ``records``: an array of the dtype, shape ``(n,)`` (one record a
        slot) or ``(n, k)`` (k records a slot); raw bytes without a dtype,
        shape ``(n, nbytes)``. Waits up to ``timeout`` seconds in all (None:
        forever); a TimeoutError says how many slots were written before it.
        """
        if self.dtype is not None:
            rows = np.ascontiguousarray(records, dtype=self.dtype)
        else:
            rows = np.asarray(records)
            if rows.ndim != 2:
                raise ValueError(f"write_many on channel '{self.channel}' (raw bytes) takes a 2-D uint8 array (slots, bytes), "
                                 f"not shape {rows.shape}")
            rows = np.ascontiguousarray(rows, dtype=np.uint8)
        if rows.ndim == 0:
            raise ValueError(f"write_many takes an array of records, one row a slot; got a single {self.dtype} record (use write_array)")
        count = rows.shape[0]
        if count == 0:
            return self.next_sequence
        return self._core.write_runs(rows.reshape(-1).view(np.uint8), count, rows.nbytes // count, timeout)

    def close(self) -> None:
        """Closes the channel: readers drain what was committed, then see its end."""
        self._core.close()

    channel = property(lambda self: self._core.channel, doc="The channel's name.")
    slot_bytes = property(lambda self: self._core.slot_bytes, doc="Bytes a slot holds.")
    slots = property(lambda self: self._core.slots, doc="Slots in the ring.")
    sync = property(lambda self: self._core.sync, doc="The channel's sync policy.")
    next_sequence = property(lambda self: self._core.next_sequence, doc="The sequence id of the next slot committed.")
    schema_hash = property(lambda self: self._core.schema_hash, doc="BLAKE2b-256 of the channel's BLDS ('' without dtype).")
    closed = property(lambda self: self._core.closed)
    broker = property(lambda self: self._core.broker, doc="The broker the channel is registered with ('' for none).")
    segment = property(lambda self: self._core.shm_name, doc="The shared-memory segment's name ('/plh.CHANNEL').")
    secret = property(lambda self: self._core.secret, doc="The segment's shared secret (hex): what a reader attaching by segment needs.")


    def __repr__(self) -> str:
        return f"<pylabhub.Producer channel={self.channel!r} dtype={self.dtype} sync={self.sync}>"


class ReadSlot(SlotView):
    """One committed slot, read in place (a read-only, zero-copy view).

    On ``latest_only`` channels, where the writer never waits and may
    overtake a reader, the slot is a copy validated whole before it is
    handed out: a torn read is never seen.
    """

    __slots__ = ("commit_ns", "_copied")

    def __init__(self, dtype, raw):
        sequence, self.commit_ns, nbytes, capacity, self._copied = raw.meta  # one call, not five (~0.1 us each)
        super().__init__(raw, dtype, nbytes, capacity, _core.SlotReleasedError, sequence)

    @property
    def zero_copy(self) -> bool:
        """True when ``array`` is the slot itself (lossless channels), False for a validated copy (latest_only)."""
        return not self._copied

    def release(self) -> None:
        """Leaves the slot (a lossless writer may then reuse it); the view is emptied."""
        self._end()
        self._raw.release()

    def __enter__(self) -> "ReadSlot":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class SlotRun:
    """Slots taken together by Consumer.read_many: copies, in order.

    ``array``: one row a slot, shape ``(n,)`` of the dtype when a slot holds
    one record, ``(n, k)`` when it holds k, ``(n, slot_bytes)`` uint8
    without a dtype (bytes past what a slot committed are zero).
    ``sequences``, ``commit_ns``, ``nbytes``: per slot, uint64.
    """

    __slots__ = ("array", "sequences", "commit_ns", "nbytes")

    def __init__(self, array, sequences, commit_ns, nbytes):
        self.array, self.sequences, self.commit_ns, self.nbytes = array, sequences, commit_ns, nbytes

    def __len__(self) -> int:
        return len(self.sequences)

    def __repr__(self) -> str:
        span = f"{self.sequences[0]}..{self.sequences[-1]}" if len(self) else "empty"
        return f"<pylabhub.SlotRun {len(self)} slots, sequences {span}>"


class Consumer(_ClosedOnExit):
    """A reader of a channel that takes part: on lossless channels
    (single_reader, sync_reader) the writer waits for it, so it sees every
    slot, in order. Make one with Consumer.attach::

        with pylabhub.Consumer.attach("sensor") as consumer:
            for slot in consumer:                  # until the producer closes
                print(slot.sequence, slot.array["value"][0])
            with consumer.read(timeout=1.0) as slot:
                kept = slot.copy()                 # the view ends with the block
    """

    def __init__(self, core, dtype):
        self._core = core
        self.dtype = dtype
        self._current: Optional[ReadSlot] = None
        self._lossless = core.sync != "latest_only"  # fixed for the channel's life: read_many asks on every call
        self._slot_bytes = core.slot_bytes

    @classmethod
    def attach(cls, channel: str, dtype=None, *, broker: Optional[str] = None, segment: Optional[str] = None,
               secret: Optional[str] = None, name: Optional[str] = None, schema_version: Optional[str] = None,
               wait: str = "blocking") -> "Consumer":
        """Attaches to ``channel`` through the broker (or to ``segment`` with its hex ``secret``).

        dtype: the layout this reader expects; a channel carrying another is
        refused (SchemaMismatch names both hashes). Default: the channel's
        own schema as a dtype (raw bytes without one). schema_version: the
        version expected (default: any with the same layout). name: how the
        broker lists this reader. wait: ``blocking`` (no CPU while waiting),
        ``spin_yield`` or ``busy_poll`` (lowest latency, one core busy).
        """
        dt = np.dtype(dtype) if dtype is not None else None
        blds = dtype_to_blds(dt) if dt is not None else None
        core = _core._Consumer.attach(channel, broker, segment, secret, blds, f"python.{channel}", schema_version or "",
                                      name or f"python-{os.getpid()}", wait)
        if dt is None:
            dt = _schema_dtype(core.schema)
        return cls(core, dt)

    def read(self, timeout: Optional[float] = None) -> ReadSlot:
        """The next slot, waiting up to ``timeout`` seconds (None: forever).

        Raises pylabhub.TimeoutError when nothing comes, ChannelClosed once
        the producer closed and everything was read.
        """
        return ReadSlot(self.dtype, self._core.acquire(timeout))

    def read_many(self, max_slots: int = 256, timeout: Optional[float] = None) -> SlotRun:
        """Up to ``max_slots`` slots at once, as copies (a SlotRun): waits up
        to ``timeout`` seconds (None: forever) for the first, then takes
        whatever else is committed already, without waiting for more.

        Lossless channels only (single_reader, sync_reader); the slots are
        taken in runs (one position update for many slots) and each is
        checked as ``read()`` checks one. Raises as ``read()`` does; an error
        met after some slots were taken is raised by the next read, so those
        slots are never lost.
        """
        if max_slots < 1:
            raise ValueError(f"read_many takes at least 1 slot, not {max_slots}")
        if not self._lossless:
            raise ValueError(f"channel '{self.channel}' is latest_only: its readers take the newest slot with read(); "
                             "read_many needs a lossless channel (single_reader or sync_reader)")
        slot_bytes = self._slot_bytes
        rows = np.empty(max_slots * slot_bytes, dtype=np.uint8)
        meta = np.empty((3, max_slots), dtype=np.uint64)
        count = self._core.read_runs(rows, meta, max_slots, timeout)
        if count < max_slots // 2:
            rows, meta = rows[:count * slot_bytes].copy(), meta[:, :count].copy()  # not the unused room
        return SlotRun(self._rows_as_array(rows, count, slot_bytes), meta[0, :count], meta[1, :count], meta[2, :count])

    def _rows_as_array(self, rows: np.ndarray, count: int, slot_bytes: int) -> np.ndarray:
        if self.dtype is None:
            return rows[:count * slot_bytes].reshape(count, slot_bytes)
        per_slot = slot_bytes // self.dtype.itemsize
        if per_slot == 0:
            raise ValueError(f"channel '{self.channel}': slots of {slot_bytes} bytes cannot hold a {self.dtype.itemsize}-byte record")
        if slot_bytes == self.dtype.itemsize:
            return rows[:count * slot_bytes].view(self.dtype)  # the usual case: records back to back
        shape = (count,) if per_slot == 1 else (count, per_slot)
        strides = (slot_bytes,) if per_slot == 1 else (slot_bytes, self.dtype.itemsize)
        return np.ndarray(shape, dtype=self.dtype, buffer=rows, strides=strides)

    def runs(self, max_slots: int = 256) -> Iterator[SlotRun]:
        """read_many until the channel closes: every slot, in runs of what is ready."""
        while True:
            try:
                yield self.read_many(max_slots)
            except _core.ChannelClosed:
                return

    def __iter__(self) -> Iterator[ReadSlot]:
        """Every slot until the channel closes; each is released when the next is asked for."""
        try:
            while True:
                try:
                    slot = self.read()
                except _core.ChannelClosed:
                    return
                self._current = slot
                yield slot
                slot.release()
        finally:
            if self._current is not None:
                self._current.release()
                self._current = None

    def close(self) -> None:
        """Leaves the channel's consumer table."""
        if self._current is not None:
            self._current.release()
        self._core.close()

    channel = property(lambda self: self._core.channel)
    schema = property(lambda self: self._core.schema, doc="The channel's schema: name, version, blds, hash.")
    sync = property(lambda self: self._core.sync)
    slot_bytes = property(lambda self: self._core.slot_bytes)


    def __repr__(self) -> str:
        return f"<pylabhub.Consumer channel={self.channel!r} dtype={self.dtype}>"


class ObservedSlot:
    """A validated copy of a slot an Observer saw."""

    __slots__ = ("sequence", "commit_ns", "array")

    def __init__(self, sequence, commit_ns, array):
        self.sequence, self.commit_ns, self.array = sequence, commit_ns, array

    def __repr__(self) -> str:
        return f"<pylabhub.ObservedSlot sequence={self.sequence}>"


class Observer(_ClosedOnExit):
    """Watches a channel like ``pylabhub echo``: never slows its producer
    (no row in the consumer table), sees the newest slot, may skip slots
    (the sequence says so), and every slot is a copy validated whole.
    """

    def __init__(self, core, dtype):
        self._core = core
        self.dtype = dtype

    @classmethod
    def attach(cls, channel: str, dtype=None, *, broker: Optional[str] = None, segment: Optional[str] = None,
               secret: Optional[str] = None) -> "Observer":
        core = _core._Observer.attach(channel, broker, segment, secret)
        return cls(core, np.dtype(dtype) if dtype is not None else _schema_dtype(core.schema))

    def next(self, timeout: Optional[float] = None) -> ObservedSlot:
        """The newest slot after the last one returned."""
        sequence, commit_ns, payload = self._core.next(timeout)
        if self.dtype is None:
            array = np.frombuffer(payload, dtype=np.uint8)
        else:
            array = np.frombuffer(payload, dtype=self.dtype, count=len(payload) // self.dtype.itemsize)
        return ObservedSlot(sequence, commit_ns, array)

    def __iter__(self) -> Iterator[ObservedSlot]:
        while True:
            try:
                yield self.next()
            except _core.ChannelClosed:
                return

    def close(self) -> None:
        self._core.close()

    channel = property(lambda self: self._core.channel)
    schema = property(lambda self: self._core.schema)


def channels(broker: Optional[str] = None) -> list:
    """Every channel the broker knows: name, segment, schema (with its dtype), producer and consumers."""
    listed = _core.channels(broker)
    for c in listed:
        try:
            c["dtype"] = _schema_dtype(c["schema"])
        except ValueError:
            c["dtype"] = None
    return listed
