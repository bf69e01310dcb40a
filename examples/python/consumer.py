"""A consumer in ten lines: every slot of channel 'sensor', read in place.

  PYTHONPATH=build/python /usr/bin/python3 examples/python/consumer.py
"""
import pylabhub

with pylabhub.Consumer.attach("sensor") as consumer:   # found through the broker
    print("reading", consumer.channel, "as", consumer.dtype)
    for slot in consumer:                                # ends when the producer closes
        a = slot.array                                   # a read-only view of the slot
        if slot.sequence % 1000 == 0:
            print(slot.sequence, a["t"][0], a["value"][0].mean())
