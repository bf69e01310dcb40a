"""Producer, Consumer and Observer between real processes, through a real broker."""
import signal
import textwrap
import threading
import time

import numpy as np
import pytest

import pylabhub
from conftest import attach_code, python_child

DT = np.dtype([("seq", "u8"), ("value", "f8", (4,))], align=True)


def mapping_of(segment):
    """(start, end) of this process's mapping of /dev/shm/<segment>."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            if line.rstrip().endswith("/dev/shm/" + segment.lstrip("/")):
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                return start, end
    raise AssertionError(f"{segment} is not mapped")


def test_write_and_read_in_place_zero_copy(broker, channel_name):
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, slots=8, broker=broker, checksum="xxh3") as producer, \
            pylabhub.Consumer.attach(name, broker=broker) as consumer:
        assert consumer.dtype == DT
        with producer.write(timeout=1) as slot:
            assert not slot.array.flags.owndata and slot.array.flags.writeable
            slot.array["seq"] = 7
            slot.array["value"][:] = [1, 2, 3, 4]
        with consumer.read(timeout=1) as got:
            array = got.array
            assert got.zero_copy and not array.flags.owndata and not array.flags.writeable
            start, end = mapping_of(producer._core.shm_name)
            address = array.__array_interface__["data"][0]
            assert start <= address and address + array.nbytes <= end, "the view is not the slot in the segment"
            assert array["seq"][0] == 7 and list(array["value"][0]) == [1, 2, 3, 4]
            with pytest.raises(ValueError, match="read-only"):
                array["seq"][0] = 8
            kept = got.copy()
        # After the block: the old array is empty, the slot's array raises.
        with pytest.raises(IndexError):
            array[0]
        with pytest.raises(pylabhub.SlotReleasedError, match="copy"):
            got.array
        assert kept["seq"][0] == 7


def test_a_write_block_that_raises_publishes_nothing(broker, channel_name):
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, broker=broker) as producer, pylabhub.Consumer.attach(name, broker=broker) as consumer:
        with pytest.raises(RuntimeError):
            with producer.write(timeout=1) as slot:
                slot.array["seq"] = 99
                raise RuntimeError("instrument unplugged")
        producer.write_array(np.array([(5, [0, 0, 0, 0])], dtype=DT))
        with consumer.read(timeout=1) as got:
            assert got.array["seq"][0] == 5
        with pytest.raises(pylabhub.TimeoutError):
            consumer.read(timeout=0.1)


def test_python_to_python_across_processes_every_slot_in_order(broker, channel_name, processes):
    name = channel_name()
    count = 3000
    consumer_code = "import pylabhub, time\n" + attach_code(name, broker) + textwrap.dedent(f"""
        expected = 0
        for slot in c:
            a = slot.array
            assert slot.sequence == expected, (slot.sequence, expected)
            assert a["seq"][0] == expected and (a["value"][0] == expected * 0.5).all()
            expected += 1
        print("read", expected)
    """)
    with pylabhub.Producer.create(name, dtype=DT, slots=16, sync="single_reader", broker=broker) as producer:
        reader = processes(python_child(consumer_code))
        deadline = time.monotonic() + 20
        while not pylabhub.channels(broker)[0]["consumers"]:
            assert time.monotonic() < deadline and reader.proc.poll() is None, reader.wait(1) or reader.output
            time.sleep(0.02)
        for i in range(count):
            with producer.write(timeout=10) as slot:
                slot.array["seq"] = i
                slot.array["value"] = i * 0.5
    assert reader.wait(60) == 0, reader.output
    assert f"read {count}" in reader.output


def test_latest_only_never_hands_out_a_torn_slot(broker, channel_name, processes):
    """A writer in another process rewrites the slots as fast as it can; every
    slot a latest_only reader gets must be whole (all fields equal)."""
    name = channel_name()
    big = np.dtype([("v", "u8", (8192,))])
    writer_code = textwrap.dedent(f"""
        import numpy as np, pylabhub, sys
        p = pylabhub.Producer.create({name!r}, dtype=np.dtype([("v", "u8", (8192,))]), slots=2, sync="latest_only", broker={broker!r})
        print("ready", flush=True)
        i = 0
        while True:
            with p.write() as s:
                s.array["v"] = i
            i += 1
    """)
    writer = processes(python_child(writer_code))
    assert writer.proc.stdout.readline().strip() == "ready", writer.wait(5) or writer.output
    with pylabhub.Consumer.attach(name, broker=broker) as consumer:
        assert consumer.sync == "latest_only"
        seen = 0
        last = -1
        for _ in range(2000):
            with consumer.read(timeout=5) as slot:
                assert not slot.zero_copy
                v = slot.array["v"][0]
                assert (v == v[0]).all(), "a torn slot was handed out"
                assert slot.sequence > last
                last = slot.sequence
                seen += 1
    assert seen == 2000
    writer.kill()


def test_schema_mismatch_at_attach_names_both_hashes(broker, channel_name):
    name = channel_name()
    other = np.dtype([("seq", "u8"), ("value", "f4", (4,))], align=True)
    with pylabhub.Producer.create(name, dtype=DT, broker=broker):
        with pytest.raises(pylabhub.SchemaMismatch) as raised:
            pylabhub.Consumer.attach(name, dtype=other, broker=broker)
        message = str(raised.value)
        assert pylabhub.schema_hash(DT) in message and pylabhub.schema_hash(other) in message


def test_channels_lists_schema_and_consumers(broker, channel_name):
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, broker=broker, schema_name="lab.Test"), \
            pylabhub.Consumer.attach(name, broker=broker, name="viewer"):
        (listed,) = [c for c in pylabhub.channels(broker) if c["channel"] == name]
        assert listed["schema"]["name"] == "lab.Test" and listed["dtype"] == DT
        assert [c["id"] for c in listed["consumers"]] == ["viewer"]


def test_an_observer_never_slows_the_producer(broker, channel_name):
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, slots=4, sync="single_reader", broker=broker) as producer, \
            pylabhub.Observer.attach(name, broker=broker) as observer:
        for i in range(100):  # 25 times the ring: a consumer that never reads would block the writer
            producer.write_array(np.array([(i, [i] * 4)], dtype=DT), timeout=0.5)
        newest = observer.next(timeout=1)
        assert newest.sequence == 99 and newest.array["seq"][0] == 99
        producer.write_array(np.array([(100, [0] * 4)], dtype=DT))
        assert observer.next(timeout=1).sequence == 100


def test_the_end_of_a_channel_ends_iteration(broker, channel_name):
    name = channel_name()
    producer = pylabhub.Producer.create(name, dtype=DT, broker=broker)
    consumer = pylabhub.Consumer.attach(name, broker=broker)
    for i in range(5):
        producer.write_array(np.array([(i, [0] * 4)], dtype=DT))
    producer.close()
    assert [int(s.array["seq"][0]) for s in consumer] == [0, 1, 2, 3, 4]
    with pytest.raises(pylabhub.ChannelClosed):
        consumer.read(timeout=1)
    consumer.close()


def test_a_channel_nobody_produces_is_not_found(broker):
    with pytest.raises(pylabhub.NotFound, match="test.nobody"):
        pylabhub.Consumer.attach("test.nobody", broker=broker)


def test_waits_release_the_gil(broker, channel_name):
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, broker=broker), pylabhub.Consumer.attach(name, broker=broker) as consumer:
        ticks = []
        ticker = threading.Thread(target=lambda: [ticks.append(time.sleep(0.01)) for _ in range(50)])
        ticker.start()
        with pytest.raises(pylabhub.TimeoutError):
            consumer.read(timeout=0.6)
        ticker.join()
        assert len(ticks) == 50


def test_ctrl_c_interrupts_a_wait(broker, channel_name, processes):
    name = channel_name()
    code = textwrap.dedent(f"""
        import numpy as np, pylabhub
        p = pylabhub.Producer.create({name!r}, dtype=np.dtype([("v", "f8")]), broker={broker!r})
        c = pylabhub.Consumer.attach({name!r}, broker={broker!r})
        print("waiting", flush=True)
        try:
            c.read()  # forever
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)
    child = processes(python_child(code))
    assert child.proc.stdout.readline().strip() == "waiting", child.wait(5) or child.output
    time.sleep(0.2)
    child.signal(signal.SIGINT)
    assert child.wait(5) == 0
    assert "interrupted" in child.output
