"""pyLabHub from Python: channels as numpy arrays, in shared memory.

    import numpy as np, pylabhub
    dt = np.dtype([("t", "f8"), ("value", "f4", (8,))], align=True)
    with pylabhub.Producer.create("sensor", dtype=dt) as producer:
        with producer.write() as slot:
            slot.array["value"][:] = 1.0

See docs/python.md.
"""
import sys as _sys

from ._schema import SchemaError, blds_to_dtype, dtype_to_blds, schema_hash

__all__ = ["SchemaError", "blds_to_dtype", "dtype_to_blds", "schema_hash"]

if "_pylabhub_embedded" in _sys.builtin_module_names:
    # Imported by a Python plugin inside a pylabhub host: the host owns the
    # channels; plugins get the schema helpers only.
    __version__ = __import__("_pylabhub_embedded").__version__
else:
    from ._pylabhub import (ChannelClosed, CorruptData, Error, NotFound, SchemaMismatch, SlotReleasedError, TimeoutError,
                            __version__, default_broker, set_log_level)
    from ._channels import Consumer, ObservedSlot, Observer, Producer, ReadSlot, SlotRun, WriteSlot, channels
    from ._export import to_csv as export_csv
    from ._export import to_hdf5 as export_hdf5
    from ._recording import Recording, RecordingWarning, read_recording

    __all__ += ["ChannelClosed", "CorruptData", "Error", "NotFound", "SchemaMismatch", "SlotReleasedError", "TimeoutError",
                "default_broker", "set_log_level", "Consumer", "ObservedSlot", "Observer", "Producer", "ReadSlot", "SlotRun", "WriteSlot",
                "channels", "export_csv", "export_hdf5", "Recording", "RecordingWarning", "read_recording"]
