"""A producer in ten lines: 1000 samples a second into channel 'sensor'.

  PYTHONPATH=build/python /usr/bin/python3 examples/python/producer.py
"""
import time
import numpy as np
import pylabhub

dt = np.dtype([("t", "f8"), ("value", "f4", (8,))], align=True)
with pylabhub.Producer.create("sensor", dtype=dt, slots=64, sync="sync_reader", checksum="xxh3") as producer:
    for i in range(10_000):
        with producer.write() as slot:           # the next slot, in shared memory
            slot.array["t"] = time.time()         # written in place: no copy
            slot.array["value"] = np.sin(i / 100 + np.arange(8))
        time.sleep(0.001)
