"""One way for the Python suites (tests/triton, tests/triton_grpc, tests/readme, tests/web) to run
`paddle-swift serve`: start it on free loopback ports, wait until `/v2/health/ready` answers 200 (polled, bounded),
and stop it with SIGTERM, returning the exit code (0 after a clean drain).

The binary is the debug build (`swift build --product paddle-swift`) unless PADDLE_SWIFT_BIN names another.
"""
import os
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    """A TCP port free on loopback now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def binary():
    return os.environ.get("PADDLE_SWIFT_BIN", os.path.join(ROOT, ".build", "debug", "paddle-swift"))


class PaddleServer:
    """A running `paddle-swift serve ARGS` with its HTTP port (`url`, host:port) and, with `grpc`, its gRPC port
    (`grpc_url`); off otherwise. Waits up to `ready_timeout` seconds (polled every 0.2 s, so a fast machine waits
    less) for readiness; the log is `log_path`."""

    def __init__(self, args, log_path, grpc=False, env=None, ready_timeout=180):
        self.http_port = free_port()
        self.grpc_port = free_port() if grpc else 0
        self.url = f"127.0.0.1:{self.http_port}"
        self.grpc_url = f"127.0.0.1:{self.grpc_port}" if grpc else None
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [binary(), "serve", "--port", str(self.http_port), "--grpc-port", str(self.grpc_port), *map(str, args)],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=ROOT)
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://{self.url}/v2/health/ready", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.proc.kill()
                self.log.close()
                raise RuntimeError(f"server not ready after {timeout} s; see {self.log_path}")
            time.sleep(0.2)

    def stop(self, timeout=60):
        """SIGTERM, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.log.close()
        return code
