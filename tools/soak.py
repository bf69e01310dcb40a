#!/usr/bin/env python3
"""make soak: a lab appliance run for SOAK_MINUTES while faults are injected.

  soak.py BUILD_DIR MINUTES [--seed N] [--keep]

What runs (docs/reliability.md):
  broker   a standalone broker (restarted by the injector)
  host A   sine and frames producers, a recorder of sine, a latest-only
           viewer of frames: the long-lived process whose RSS and open file
           descriptors must not grow (never killed)
  host B   a recorder of A's sine channel (external): SIGKILLed, restarted
  host C   its own counter producer and recorder: SIGKILLed, restarted
  echo/hz  observers started now and then
Faults, one every few seconds, chosen at random: SIGKILL host B or C (they
come back after a pause, appending to their recordings, whose torn tails the
recorder repairs), restart the broker, fill /dev/shm (up to 512 MiB or what
is free) for a few seconds and free it, start an echo or hz.
At the end: every recording verifies, nothing of ours is left in /dev/shm or
the work directory, host A ran throughout and its RSS and descriptors stayed
flat. Exit 0 when all holds, 1 with the reasons otherwise. Standard library
only.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILL_CAP = 512 << 20


def log(message):
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Managed:
    """A process the soak starts, may kill, and restarts when it is gone."""

    def __init__(self, name, args, logdir):
        self.name, self.args, self.logdir = name, [str(a) for a in args], logdir
        self.proc = None
        self.starts = 0
        self.kills = 0
        self.down_until = 0.0

    def start(self):
        out = open(self.logdir / f"{self.name}.log", "a")
        out.write(f"\n--- start {self.starts + 1} at {time.strftime('%H:%M:%S')} ---\n")
        out.flush()
        self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.starts += 1

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, pause):
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
        self.down_until = time.monotonic() + pause

    def keep_up(self):
        """Restarts it when it exited (or was killed) and its pause is over."""
        if not self.alive() and time.monotonic() >= self.down_until:
            self.start()

    def stop(self, timeout=20):
        if not self.alive():
            return None
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return "killed after SIGINT did not stop it"


def usage(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss_kib, fds


def pipelines(work, prefix, broker):
    a = work / "a.yaml"
    a.write_text(f"""pipeline: soak-a
broker: {broker}
on_failure: restart
channels:
  {prefix}sine:   {{slots: 64, slot_bytes: 64, sync: sync_reader, checksum: xxh3, max_consumers: 4}}
  {prefix}frames: {{slots: 4, slot_bytes: 16384, sync: latest_only}}
producers:
  sine:   {{plugin: sine, channel: {prefix}sine, config: {{channels: 8, rate_hz: 2000}}}}
  frames: {{plugin: frames, channel: {prefix}frames, config: {{width: 64, height: 64, fps: 200}}}}
consumers:
  rec_a:  {{plugin: recorder, inputs: [{prefix}sine], config: {{path: {work}/a.plhrec, if_exists: append}}}}
  viewer: {{plugin: stats, inputs: [{prefix}frames], config: {{interval: 10s}}}}
""")
    b = work / "b.yaml"
    b.write_text(f"""pipeline: soak-b
broker: {broker}
channels:
  {prefix}sine: {{external: true}}
consumers:
  rec_b: {{plugin: recorder, inputs: [{prefix}sine], config: {{path: {work}/b.plhrec, if_exists: append}}}}
""")
    c = work / "c.yaml"
    c.write_text(f"""pipeline: soak-c
broker: {broker}
channels:
  {prefix}count: {{slots: 32, slot_bytes: 256, sync: single_reader, checksum: blake2b}}
producers:
  counter: {{plugin: counter, channel: {prefix}count, config: {{rate_hz: 5000, payload_bytes: 256}}}}
consumers:
  rec_c: {{plugin: recorder, inputs: [{prefix}count], config: {{path: {work}/c.plhrec, if_exists: append}}}}
""")
    return a, b, c


def ours_in_shm(prefix):
    return sorted(name for name in os.listdir("/dev/shm") if name.startswith(f"plh.{prefix}") or name.startswith(f"soak-fill-{os.getpid()}"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", type=Path)
    parser.add_argument("minutes", type=float)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, recordings)")
    args = parser.parse_args()
    # SIGTERM (a timeout, a Ctrl-C elsewhere) unwinds like Ctrl-C, so that the
    # processes the soak started (each in its own session) are stopped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    exe = (args.build / "bin" / "pylabhub").resolve()
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="plh-soak-"))
    prefix = f"soak{os.getpid()}_"
    broker_ep = f"ipc://{work}/broker.ipc"
    log(f"{args.minutes} min, seed {seed}, work directory {work}")
    a_yaml, b_yaml, c_yaml = pipelines(work, prefix, broker_ep)

    broker = Managed("broker", [exe, "broker", "--bind", broker_ep], work)
    host_a = Managed("host-a", [exe, "run", a_yaml], work)
    host_b = Managed("host-b", [exe, "run", b_yaml], work)
    host_c = Managed("host-c", [exe, "run", c_yaml], work)
    restartable = [broker, host_b, host_c]
    observers = []
    faults = {"kill host-b": 0, "kill host-c": 0, "restart broker": 0, "fill /dev/shm": 0, "echo": 0, "hz": 0}
    problems = []
    fill_path = Path(f"/dev/shm/soak-fill-{os.getpid()}")
    fill_until = 0.0

    broker.start()
    time.sleep(0.5)
    host_a.start()
    time.sleep(1.0)
    host_b.start()
    host_c.start()
    start = time.monotonic()
    end = start + args.minutes * 60
    baseline = None
    baseline_at = start + min(30.0, args.minutes * 60 * 0.25)
    next_fault = start + 5
    try:
        while time.monotonic() < end:
            now = time.monotonic()
            if not host_a.alive():
                problems.append(f"host A exited (code {host_a.proc.returncode}); see {work}/host-a.log")
                break
            if baseline is None and now >= baseline_at:
                baseline = usage(host_a.proc.pid)
                log(f"host A baseline: RSS {baseline[0]} KiB, {baseline[1]} open descriptors")
            for m in restartable:
                m.keep_up()
            if fill_until and now >= fill_until:
                fill_path.unlink(missing_ok=True)
                fill_until = 0.0
            observers = [o for o in observers if o.poll() is None or o.wait() is None]
            if now >= next_fault:
                fault = rng.choice(list(faults))
                faults[fault] += 1
                if fault == "kill host-b":
                    host_b.kill(pause=rng.uniform(0.5, 3))
                elif fault == "kill host-c":
                    host_c.kill(pause=rng.uniform(0.5, 3))
                elif fault == "restart broker":
                    broker.kill(pause=rng.uniform(0.2, 2))
                elif fault == "fill /dev/shm" and not fill_until:
                    free = shutil.disk_usage("/dev/shm").free
                    size = max(0, min(FILL_CAP, free - (64 << 20)))
                    with open(fill_path, "wb") as f:
                        os.posix_fallocate(f.fileno(), 0, size) if size else None
                    fill_until = now + rng.uniform(2, 5)
                elif fault in ("echo", "hz"):
                    command = [exe, "echo", f"{prefix}sine", "-n", "3", "--broker", broker_ep] if fault == "echo" else \
                        [exe, "hz", f"{prefix}sine", "--duration", "2", "--broker", broker_ep]
                    observers.append(subprocess.Popen([str(c) for c in command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                next_fault = now + rng.uniform(2, 6)
            time.sleep(0.1)
        if not problems:
            # Everything back up, then a few quiet seconds so the restarted hosts record again.
            for m in restartable:
                m.down_until = 0
                m.keep_up()
            fill_path.unlink(missing_ok=True)
            time.sleep(5)
            final = usage(host_a.proc.pid)
            log(f"host A at the end: RSS {final[0]} KiB, {final[1]} open descriptors")
            if baseline is not None:
                rss_growth = final[0] - baseline[0]
                if rss_growth > baseline[0] * 0.25 + 4096:
                    problems.append(f"host A's RSS grew from {baseline[0]} to {final[0]} KiB")
                if final[1] > baseline[1] + 4:
                    problems.append(f"host A's open descriptors grew from {baseline[1]} to {final[1]}")
    finally:
        for o in observers:
            o.kill()
            o.wait()
        fill_path.unlink(missing_ok=True)
        stops = {m.name: m.stop() for m in (host_b, host_c, host_a)}
        stops["broker"] = broker.stop()

    for name, code in stops.items():
        if code not in (0, None) and not (name == "host-a" and problems):
            problems.append(f"{name} did not stop cleanly: {code} (see {work}/{name}.log)")
    for rec in ("a", "b", "c"):
        path = work / f"{rec}.plhrec"
        if not path.exists():
            problems.append(f"{path.name} was never written")
            continue
        verify = subprocess.run([str(exe), "verify", str(path)], capture_output=True, text=True)
        records = next((line.split(None, 1)[1] for line in verify.stdout.splitlines() if line.strip().startswith("records")), "?")
        log(f"verify {path.name}: exit {verify.returncode}: {records}")
        if verify.returncode != 0:
            problems.append(f"verify {path.name} exited {verify.returncode}: {verify.stdout}{verify.stderr}")
    # A torn tail may only follow a kill: the recorder repairs it when it appends.
    for host in (host_b, host_c):
        repaired = (work / f"{host.name}.log").read_text(errors="replace").count("is cut off")
        log(f"{host.name}: killed {host.kills} times, {repaired} torn tails repaired on restart")
        if repaired > host.kills:
            problems.append(f"{host.name}: {repaired} torn tails but only {host.kills} kills")
    left = ours_in_shm(prefix)
    if left:
        problems.append(f"left in /dev/shm: {', '.join(left)}")
        for name in left:
            Path("/dev/shm", name).unlink(missing_ok=True)
    sockets = [p.name for p in work.iterdir() if p.is_socket()]
    if sockets:
        problems.append(f"sockets left in {work}: {', '.join(sockets)}")

    log("faults: " + ", ".join(f"{k} {v}" for k, v in faults.items()))
    log(f"starts: broker {broker.starts}, host B {host_b.starts}, host C {host_c.starts}; host A once")
    if problems:
        for p in problems:
            log(f"PROBLEM: {p}")
        log(f"logs kept in {work}")
        return 1
    log("all held")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
