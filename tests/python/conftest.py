"""Fixtures for the Python tests: real brokers, hosts and processes on this
machine, each stopped (and its shared memory removed) even when a test fails.

ctest runs these with PYTHONPATH=<build>/python and PYLABHUB_BUILD=<build>.
"""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("PYLABHUB_BUILD", Path(__file__).resolve().parents[2] / "build"))
PYLABHUB = BUILD / "bin" / "pylabhub"
SOURCE = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(BUILD / "python")
    return env


class Process:
    """A child process with its output captured; killed at teardown."""

    def __init__(self, args, **kwargs):
        self.args = [str(a) for a in args]
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env(),
                                     start_new_session=True, **kwargs)
        self.output = None

    def wait(self, timeout=60):
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            out, _ = self.proc.communicate()
            raise AssertionError(f"{' '.join(self.args)} did not end in {timeout} s; output:\n{out}")
        self.output = out
        return self.proc.returncode

    def signal(self, sig):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def processes():
    started = []

    def start(args, **kwargs):
        p = Process(args, **kwargs)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


@pytest.fixture
def channel_name():
    """A channel name whose segment (/dev/shm/plh.test.*) the suite's residue check knows; removed after."""
    names = []

    def make(stem="py"):
        name = f"test.{stem}.{uuid.uuid4().hex[:10]}"
        names.append(name)
        return name

    yield make
    for name in names:
        Path(f"/dev/shm/plh.{name}").unlink(missing_ok=True)


@pytest.fixture
def broker(processes, tmp_path):
    """A real broker process on a private ipc endpoint."""
    import pylabhub

    endpoint = f"ipc://{tmp_path}/broker.ipc"
    p = processes([PYLABHUB, "broker", "--bind", endpoint])
    deadline = time.monotonic() + 10
    while True:
        try:
            pylabhub.channels(endpoint)
            return endpoint
        except pylabhub.Error:
            if time.monotonic() > deadline or p.proc.poll() is not None:
                raise AssertionError(f"broker did not start: {p.wait(5)} {p.output}")
            time.sleep(0.05)


def python_child(code):
    """Arguments that run `code` in Debian's interpreter with the built module."""
    return [PYTHON, "-c", code]


def attach_code(channel, broker, variable="c"):
    """Lines for a child's code: attach `variable` to `channel` once its producer has registered it."""
    return (f"for _ in range(200):\n"
            f"    try:\n"
            f"        {variable} = pylabhub.Consumer.attach({channel!r}, broker={broker!r}); break\n"
            f"    except pylabhub.NotFound: time.sleep(0.05)\n")
