"""A consumer plugin in Python: a running mean of each thermocouple channel,
printed every `every` slots."""
import numpy as np


class RunningMean:
    def __init__(self, settings):
        self.every = int(settings.get("every", 500))
        self.total = None
        self.count = 0

    def consume(self, array, info):
        # `array` is a read-only view of the slot: valid during this call only.
        kelvin = array["kelvin"][0]
        self.total = kelvin.astype("f8") if self.total is None else self.total + kelvin
        self.count += 1
        if self.count % self.every == 0:
            print(f"{info.channel} #{info.sequence}: mean {np.round(self.total / self.count, 3)} K", flush=True)

    def flush(self):
        print(f"running_mean: {self.count} slots", flush=True)
