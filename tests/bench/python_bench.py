"""The `python` group of make bench: what the pylabhub module costs.

  python_bench.py PYLABHUB_EXE   -> one JSON list of results on stdout

  * latency: ping-pong between two Python processes over two DataBlocks
    (busy_poll, like the C++ "datablock" case); one-way = round trip / 2.
    The reader takes the whole slot as a numpy view and reads one field, so
    1 MiB costs what 64 B does unless something copies.
  * throughput: a Python producer writing 4 KiB and 64 B slots (one record
    assigned from a prepared array) to a C++ host's null consumer, slot by
    slot and (64 B) with write_many; and Python to Python at 64 B, write /
    read slot by slot against write_many / read_many.
plh_bench puts the figures beside the C++ ones of the same run.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import numpy as np

import pylabhub

REPETITIONS = 3


def layout(nbytes):
    return np.dtype([("seq", "u8"), ("data", "u1", (nbytes - 8,))])


def echo(nbytes, ping_segment, ping_secret, iterations):
    """The child: reads ping, answers on pong."""
    dt = layout(nbytes)
    pong = pylabhub.Producer.create(f"test.bench.pong.{uuid.uuid4().hex[:8]}", dtype=dt, slots=8, sync="single_reader", broker=False,
                                    wait="busy_poll")
    ping = pylabhub.Consumer.attach("ping", dt, segment=ping_segment, secret=ping_secret, wait="busy_poll")
    print(pong.segment, pong.secret, flush=True)
    for _ in range(iterations):
        with ping.read(timeout=10) as slot:
            seq = slot.array["seq"][0]
        with pong.write(timeout=10) as out:
            out.array["seq"] = seq
    sys.stdin.readline()  # keep pong open until the parent read the last answer


def ping_pong(nbytes, iterations):
    dt = layout(nbytes)
    ping = pylabhub.Producer.create(f"test.bench.ping.{uuid.uuid4().hex[:8]}", dtype=dt, slots=8, sync="single_reader", broker=False,
                                    wait="busy_poll")
    child = subprocess.Popen([sys.executable, __file__, "--echo", str(nbytes), ping.segment, ping.secret, str(iterations)],
                             stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        segment, secret = child.stdout.readline().split()
        pong = pylabhub.Consumer.attach("pong", dt, segment=segment, secret=secret, wait="busy_poll")
        one_way = np.empty(iterations)
        for i in range(iterations):
            start = time.monotonic_ns()
            with ping.write(timeout=10) as slot:
                slot.array["seq"] = i
            with pong.read(timeout=10) as answer:
                assert answer.array["seq"][0] == i
            one_way[i] = (time.monotonic_ns() - start) / 2
        child.stdin.write("done\n")
        child.stdin.flush()
        child.wait(30)
        pong.close()
        return one_way[min(100, iterations // 10):]
    finally:
        child.kill()
        ping.close()


def produce(producer, rows, count, many):
    """Writes `count` slots cycling through `rows`: slot by slot (each record
    assigned into the slot in place) or with write_many, len(rows) at a time."""
    if many:
        for _ in range(count // len(rows)):
            producer.write_many(rows, timeout=10)
        return
    for i in range(count):
        with producer.write(timeout=10) as slot:
            slot.array[0] = rows[i % len(rows)]


def producer_throughput(pylabhub_exe, nbytes, count, workdir, many=False):
    endpoint = f"ipc://{workdir}/broker.ipc"
    broker = subprocess.Popen([pylabhub_exe, "broker", "--bind", endpoint], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    host = None
    try:
        for _ in range(200):
            try:
                pylabhub.channels(endpoint)
                break
            except pylabhub.Error:
                time.sleep(0.02)
        name = f"test.bench.py.{uuid.uuid4().hex[:8]}"
        dt = np.dtype([("data", "u1", (nbytes,))])
        producer = pylabhub.Producer.create(name, dtype=dt, slots=64, sync="single_reader", broker=endpoint, wait="busy_poll")
        yaml = os.path.join(workdir, "null.yaml")
        with open(yaml, "w") as f:
            f.write(f"pipeline: bench\nbroker: {endpoint}\nchannels:\n  {name}: {{external: true}}\n"
                    f"consumers:\n  sink: {{plugin: 'null', inputs: [{name}]}}\n")
        host = subprocess.Popen([pylabhub_exe, "run", yaml], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not [c for c in pylabhub.channels(endpoint) if c["channel"] == name and c["consumers"]]:
            time.sleep(0.02)
        rows = np.zeros(1000, dtype=dt)
        rows["data"] = 0x5A
        start = time.monotonic_ns()
        produce(producer, rows, count, many)
        rate = count / ((time.monotonic_ns() - start) * 1e-9)
        producer.close()
        host.wait(30)
        return rate
    finally:
        for p in (host, broker):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


def reader(nbytes, segment, secret, many):
    """The child of python_to_python: reads until the channel closes."""
    consumer = pylabhub.Consumer.attach("bench", layout(nbytes), segment=segment, secret=secret, wait="busy_poll")
    print("ready", flush=True)
    count = 0
    if many:
        for run in consumer.runs(max_slots=1024):
            count += len(run)
    else:
        for slot in consumer:
            slot.array["seq"][0]
            count += 1
    print(count, flush=True)


def python_to_python(nbytes, count, many):
    """Slots/s from a Python producer to a Python consumer process, slot by
    slot (write / read) or in runs (write_many / read_many)."""
    dt = layout(nbytes)
    producer = pylabhub.Producer.create(f"test.bench.runs.{uuid.uuid4().hex[:8]}", dtype=dt, slots=128, sync="single_reader",
                                        broker=False, wait="busy_poll")
    child = subprocess.Popen([sys.executable, __file__, "--reader", str(nbytes), producer.segment, producer.secret, str(int(many))],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        rows = np.zeros(1000, dtype=dt)
        rows["seq"] = np.arange(len(rows))
        start = time.monotonic_ns()
        produce(producer, rows, count, many)
        producer.close()
        read = int(child.stdout.readline())
        rate = read / ((time.monotonic_ns() - start) * 1e-9)
        child.wait(30)
        return rate
    finally:
        child.kill()
        producer.close()


def main():
    pylabhub_exe = sys.argv[1]
    results = []
    for nbytes, iterations in ((64, 20000), (1 << 20, 3000)):
        p50s, p99s = [], []
        for _ in range(REPETITIONS):
            one_way = ping_pong(nbytes, iterations)
            p50s.append(float(np.percentile(one_way, 50)))
            p99s.append(float(np.percentile(one_way, 99)))
        results.append({"group": "python", "system": "python consumer (ping-pong)", "bytes": nbytes, "metric": "p50",
                        "value": float(np.median(p50s)), "unit": "ns"})
        results.append({"group": "python", "system": "python consumer (ping-pong)", "bytes": nbytes, "metric": "p99",
                        "value": float(np.median(p99s)), "unit": "ns"})
    with tempfile.TemporaryDirectory() as workdir:
        for system, nbytes, count, many in (("python producer -> host null", 4096, 200000, False),
                                            ("python producer -> host null", 64, 200000, False),
                                            ("python write_many -> host null", 64, 2000000, True)):
            rates = [producer_throughput(pylabhub_exe, nbytes, count, workdir, many) for _ in range(REPETITIONS)]
            results.append({"group": "python", "system": system, "bytes": nbytes, "metric": "slots/s",
                            "value": float(np.median(rates)), "unit": "1/s"})
    for many in (False, True):
        rates = [python_to_python(64, 2000000 if many else 200000, many) for _ in range(REPETITIONS)]
        results.append({"group": "python", "system": "python write_many -> read_many" if many else "python write -> read",
                        "bytes": 64, "metric": "slots/s", "value": float(np.median(rates)), "unit": "1/s"})
    json.dump(results, sys.stdout)
    print()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--echo":
        echo(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--reader":
        reader(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1")
    else:
        main()
