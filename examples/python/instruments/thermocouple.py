"""A simulated thermocouple reader: a pylabhub producer plugin in Python.

Run by the `python` plugin (see pipeline.yaml): the host makes
Thermocouple(settings) and calls fill(slot) for each slot, with `slot` a
numpy view of the slot in shared memory (write it in place).
"""
import math
import time

import numpy as np


class Thermocouple:
    # The layout of a slot: the channel's schema.
    dtype = np.dtype([("t_unix", "f8"), ("kelvin", "f4", (4,))], align=True)
    schema_name = "lab.Thermocouple"
    schema_version = "1.0.0"

    def __init__(self, settings):
        self.port = settings.get("port", "/dev/null")  # a real instrument would open it here
        self.base = float(settings.get("base_kelvin", 293.15))
        self.n = 0

    def fill(self, slot):
        slot["t_unix"] = time.time()
        slot["kelvin"][0] = self.base + np.sin(self.n / 100 + np.arange(4)) * 0.5
        self.n += 1
        return None  # the whole record

    def close(self):
        pass  # close the port
