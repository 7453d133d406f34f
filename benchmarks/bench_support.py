"""What the benchmark scripts share: starting the project's test server, pinning children."""

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "tests", "servers", "llm_server.py")


def pinned(cpus):
    """A preexec_fn that restricts a child to `cpus` (None or empty: no restriction)."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def start_test_server(tmp, cpus=None, lifetime=3600):
    """Starts tests/servers/llm_server.py on a free port (written to a file in `tmp`), optionally
    pinned to `cpus`; returns (process, port)."""
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen([sys.executable, SERVER, "--port-file", port_file, "--lifetime",
                             str(lifetime)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=pinned(cpus))
    for _ in range(500):
        if os.path.exists(port_file):
            with open(port_file) as f:
                return proc, int(f.read())
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("the test server did not start")
