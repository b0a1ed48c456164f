"""AWS behaviour simulator: a loopback HTTP proxy in front of the moto sandbox.

It imposes what moto does not, for Identity Center (sso-admin) and identity store calls:

- a token bucket per API operation (default 20 requests per second), answering
  ThrottlingException as AWS does;
- at most `max_outstanding` (default 10) asynchronous account-assignment operations in flight;
  more are answered with ThrottlingException;
- asynchronous completion: Create/DeleteAccountAssignment answer IN_PROGRESS, and their
  Describe*Status calls answer IN_PROGRESS until `async_delay` seconds have passed, then SUCCEEDED;
- per-call latency;
- seeded, reproducible fault injection: throttling bursts, ConflictException, HTTP 500/503 and
  connection resets. Faults are injected before a request reaches moto, so a retried write never
  reaches it twice (AWS itself treats a repeated assignment as the same one).

Everything else is forwarded to moto unchanged. GET /_simulator/stats returns what happened
(calls by operation, throttles, faults, peak outstanding operations, configuration).

    python tests/simulator/aws_simulator.py --upstream http://127.0.0.1:PORT --state-dir DIR [--config JSON]

`start(directory, upstream, **config)` / `stop(directory)` run it as a process with a pid file,
the way tools/sandbox.py runs moto.
"""

import argparse
import http.client
import http.server
import json
import os
import random
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

DEFAULTS = {
    "tps": 20.0,                # per operation
    "max_outstanding": 10,      # asynchronous assignment operations in flight
    "async_delay": 1.0,         # seconds until an assignment operation SUCCEEDS
    "latency": 0.0,             # seconds added to every call
    "seed": 1,
    "throttle_burst_rate": 0.0,  # chance that a call starts a throttling burst
    "throttle_burst_seconds": 0.5,
    "conflict_rate": 0.0,
    "error_500_rate": 0.0,
    "error_503_rate": 0.0,
    "reset_rate": 0.0,
}
LIMITED_PREFIXES = ("SWBExternalService.", "AWSIdentityStore.")
ASYNC_WRITES = {"CreateAccountAssignment": "AccountAssignmentCreationStatus",
                "DeleteAccountAssignment": "AccountAssignmentDeletionStatus"}
ASYNC_READS = {"DescribeAccountAssignmentCreationStatus": ("AccountAssignmentCreationRequestId",
                                                           "AccountAssignmentCreationStatus"),
               "DescribeAccountAssignmentDeletionStatus": ("AccountAssignmentDeletionRequestId",
                                                           "AccountAssignmentDeletionStatus")}


class Bucket:
    def __init__(self, rate):
        self.rate = rate
        self.tokens = rate
        self.stamp = time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Simulator:
    def __init__(self, upstream, config):
        self.upstream = urllib.parse.urlparse(upstream)
        self.config = dict(DEFAULTS, **config)
        self.random = random.Random(self.config["seed"])
        self.lock = threading.Lock()
        self.buckets = {}
        self.operations = {}   # request id -> {"done_at", "status"}
        self.burst_until = 0.0
        self.stats = {"calls": {}, "throttled": 0, "faults": {}, "peak_outstanding": 0, "forwarded": 0}

    def outstanding(self, now):
        return sum(1 for op in self.operations.values() if op["done_at"] > now)

    def decide(self, operation):
        """None to forward, or the fault to answer with."""
        cfg = self.config
        with self.lock:
            now = time.monotonic()
            self.stats["calls"][operation] = self.stats["calls"].get(operation, 0) + 1
            draw = self.random.random()
            if now < self.burst_until:
                self.stats["throttled"] += 1
                return "throttle"
            edge = cfg["throttle_burst_rate"]
            if draw < edge:
                self.burst_until = now + cfg["throttle_burst_seconds"]
                self.stats["faults"]["throttle_burst"] = self.stats["faults"].get("throttle_burst", 0) + 1
                self.stats["throttled"] += 1
                return "throttle"
            for fault in ("conflict", "error_500", "error_503", "reset"):
                edge += cfg[f"{fault}_rate"]
                if draw < edge:
                    self.stats["faults"][fault] = self.stats["faults"].get(fault, 0) + 1
                    return fault
            bucket = self.buckets.setdefault(operation, Bucket(cfg["tps"]))
            if not bucket.take() or (operation in ASYNC_WRITES and self.outstanding(now) >= cfg["max_outstanding"]):
                self.stats["throttled"] += 1
                return "throttle"
        return None

    def record_async(self, operation, status):
        with self.lock:
            now = time.monotonic()
            self.operations[status["RequestId"]] = {"done_at": now + self.config["async_delay"], "status": status}
            self.stats["peak_outstanding"] = max(self.stats["peak_outstanding"], self.outstanding(now))

    def describe(self, request_id):
        with self.lock:
            operation = self.operations.get(request_id)
            if operation is None:
                return None
            status = dict(operation["status"])
            status["Status"] = "SUCCEEDED" if time.monotonic() >= operation["done_at"] else "IN_PROGRESS"
            return status


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    simulator = None
    local = threading.local()

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body, headers=None):
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status, code, message):
        self._send(status, {"__type": code, "Message": message},
                   {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code})

    def do_GET(self):  # noqa: N802
        if self.path == "/_simulator/stats":
            stats = dict(self.simulator.stats, config=self.simulator.config)
            self._send(200, stats, {"Content-Type": "application/json"})
        else:
            self._forward(b"")

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        if not target.startswith(LIMITED_PREFIXES):
            self._forward(body)
            return
        operation = target.rsplit(".", 1)[-1]
        sim = self.simulator
        if sim.config["latency"]:
            time.sleep(sim.config["latency"])
        fault = sim.decide(operation)
        if fault == "throttle":
            self._error(400, "ThrottlingException", "Rate exceeded")
        elif fault == "conflict":
            self._error(400, "ConflictException", "Another operation is in progress for this resource")
        elif fault in ("error_500", "error_503"):
            self._error(500 if fault == "error_500" else 503, "InternalServerException", "Simulated failure")
        elif fault == "reset":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif operation in ASYNC_READS:
            key, wrapper = ASYNC_READS[operation]
            status = sim.describe(json.loads(body or b"{}").get(key))
            if status is None:
                self._forward(body)
            else:
                self._send(200, {wrapper: status}, {"Content-Type": "application/x-amz-json-1.1"})
        elif operation in ASYNC_WRITES:
            status, headers, payload = self._upstream(body)
            if status == 200:
                answer = json.loads(payload)
                inner = answer[ASYNC_WRITES[operation]]
                inner["Status"] = "IN_PROGRESS"
                inner.setdefault("RequestId", str(uuid.uuid4()))
                sim.record_async(operation, inner)
                payload = json.dumps(answer).encode()
            self._send(status, payload, {"Content-Type": headers.get("Content-Type", "application/x-amz-json-1.1")})
        else:
            self._forward(body)

    def _upstream(self, body):
        """Forward to moto on this handler thread's own kept-alive connection."""
        upstream = self.simulator.upstream
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        headers["Host"] = f"{upstream.hostname}:{upstream.port}"
        for attempt in (1, 2):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = self.local.connection = http.client.HTTPConnection(upstream.hostname, upstream.port,
                                                                                timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, OSError):
                connection.close()
                self.local.connection = None
                if attempt == 2:
                    raise
        with self.simulator.lock:
            self.simulator.stats["forwarded"] += 1
        return response.status, dict(response.getheaders()), payload

    def _forward(self, body):
        status, headers, payload = self._upstream(body)
        keep = {k: v for k, v in headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date")}
        self._send(status, payload, keep)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(upstream, state_dir, config):
    Handler.simulator = Simulator(upstream, config)
    server = Server(("127.0.0.1", 0), Handler)
    with open(os.path.join(state_dir, "simulator.json.tmp"), "w") as handle:
        json.dump({"endpoint": f"http://127.0.0.1:{server.server_address[1]}", "pid": os.getpid(),
                   "config": Handler.simulator.config}, handle)
    os.replace(os.path.join(state_dir, "simulator.json.tmp"), os.path.join(state_dir, "simulator.json"))
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


# --------------------------------------------------------------------------- harness

def start(directory, upstream, timeout=30, **config):
    """Start the simulator in front of `upstream`; returns {"endpoint", "pid", "config"}."""
    os.makedirs(directory, exist_ok=True)
    state = os.path.join(directory, "simulator.json")
    if os.path.exists(state):
        stop(directory)
    log = open(os.path.join(directory, "simulator.log"), "ab")
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--upstream", upstream, "--state-dir",
                             directory, "--config", json.dumps(config)], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    with open(os.path.join(directory, "simulator.pid"), "w") as handle:
        handle.write(str(proc.pid))
    deadline = time.monotonic() + timeout
    while not os.path.exists(state):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(directory)
            raise RuntimeError("the AWS simulator did not start; see simulator.log")
        time.sleep(0.05)
    with open(state) as handle:
        return json.load(handle)


def stop(directory):
    """Stop the simulator this directory started (pid file), never by name."""
    pid_file = os.path.join(directory, "simulator.pid")
    try:
        with open(pid_file) as handle:
            pid = int(handle.read())
    except (OSError, ValueError):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            ours = b"aws_simulator.py" in handle.read()
    except OSError:
        ours = False
    if ours:
        os.kill(pid, signal.SIGTERM)
        for dummy in range(50):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    for name in ("simulator.pid", "simulator.json"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            os.remove(path)
    return ours


def stats(endpoint):
    with urllib.request.urlopen(endpoint + "/_simulator/stats", timeout=10) as response:
        return json.loads(response.read())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--config", default="{}")
    args = parser.parse_args(argv)
    serve(args.upstream, args.state_dir, json.loads(args.config))


if __name__ == "__main__":
    main()
