"""AWS behaviour simulator: a loopback HTTP proxy in front of the moto sandbox.

It imposes what moto does not, on every service the collection calls - IAM and STS (query protocol,
`Action=` form bodies, XML errors), Organizations, Identity Center (sso-admin) and identity store
(JSON protocol, `X-Amz-Target`, JSON errors) and Account Management (REST-JSON, the operation in the
path, the error code in `x-amzn-ErrorType`):

- a token bucket per API operation (default 20 requests per second) for the services in
  `rate_limited_services` (Identity Center and identity store by default), answering the service's
  throttling error as AWS does;
- at most `max_outstanding` (default 10) asynchronous account-assignment operations in flight;
  more are answered with ThrottlingException;
- asynchronous completion: Create/DeleteAccountAssignment answer IN_PROGRESS, and their
  Describe*Status calls answer IN_PROGRESS until `async_delay` seconds have passed, then SUCCEEDED;
- per-call latency;
- seeded, reproducible fault injection in every service of `fault_services` (all six by default),
  each answered in the service's own protocol and with its own error code, so botocore parses it as
  it parses AWS's (`ERRORS` below):
  - throttling bursts (`throttle_burst_rate`: a call starts `throttle_burst_seconds` of throttling
    of that service);
  - conflicts (`conflict_rate`), only on the operations whose API reference documents the
    service's conflict error (read from botocore's service model: IAM ConcurrentModification,
    Organizations ConcurrentModificationException, Identity Center, identity store and Account
    Management ConflictException; STS documents none);
  - HTTP 500 and 503 (`error_500_rate`, `error_503_rate`) with the service's server-fault code;
  - connection resets before the request reaches moto (`reset_rate`, a TCP RST after the request
    was read), and, for writes, AFTER moto applied the write but before the answer
    (`reset_after_write_rate`): the client cannot tell whether the write happened, and its retry
    reaches moto a second time, as a retried write reaches AWS;
  - `services` overrides any rate per service: {"iam": {"reset_rate": 0.1}}; `operations` per operation
    name: {"CreateRole": {"conflict_rate": 0.0}}.
- holds (`holds`, for kill tests): the first request matching {"service", "operation", "params"}
  is held - never forwarded, never answered - until POST /_simulator/release or `hold_seconds`,
  then dropped with a reset; GET /_simulator/stats says which holds are waiting.

Everything else is forwarded to moto unchanged (the sandbox's /moto-api/ endpoints are never faulted).
GET /_simulator/stats returns what happened: calls by operation, per service the calls, faults by
kind and throttles, peak outstanding operations, and the configuration.

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
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

ALL_SERVICES = ("iam", "sts", "organizations", "account", "sso", "identitystore")
DEFAULTS = {
    "tps": 20.0,                # per operation, for rate_limited_services
    "rate_limited_services": ["sso", "identitystore"],
    "max_outstanding": 10,      # asynchronous assignment operations in flight
    "async_delay": 1.0,         # seconds until an assignment operation SUCCEEDS
    "latency": 0.0,             # seconds added to every call
    "seed": 1,
    "fault_services": list(ALL_SERVICES),
    "throttle_burst_rate": 0.0,  # chance that a call starts a throttling burst of its service
    "throttle_burst_seconds": 0.5,
    "conflict_rate": 0.0,
    "error_500_rate": 0.0,
    "error_503_rate": 0.0,
    "reset_rate": 0.0,
    "reset_after_write_rate": 0.0,
    "services": {},             # per-service overrides of the rates above
    "operations": {},           # per-operation overrides (they win over the service's)
    "holds": [],
    "hold_seconds": 120.0,
}
RATES = ("throttle_burst_rate", "conflict_rate", "error_500_rate", "error_503_rate", "reset_rate",
         "reset_after_write_rate")
# Read operations are never reset after moto answered them (a repeated read is harmless anyway).
READ_PREFIXES = ("List", "Get", "Describe", "Search", "Lookup", "GenerateCredentialReport")

# Signing name -> (botocore service name, protocol, throttling (status, code), HTTP 500 code, HTTP 503 code,
# conflict (status, code) or None). The codes are the services' own, from their API references and
# botocore's models: IAM and STS answer Throttling (400) in the query protocol's XML, IAM ServiceFailure
# (500) and ConcurrentModification (409), Organizations TooManyRequestsException and ServiceException and
# ConcurrentModificationException, Account Management TooManyRequestsException (429).
ERRORS = {
    "iam": ("iam", "query", (400, "Throttling"), "ServiceFailure", "ServiceUnavailable",
            (409, "ConcurrentModification")),
    "sts": ("sts", "query", (400, "Throttling"), "InternalFailure", "ServiceUnavailable", None),
    "organizations": ("organizations", "json", (400, "TooManyRequestsException"), "ServiceException",
                      "ServiceUnavailable", (400, "ConcurrentModificationException")),
    "account": ("account", "rest-json", (429, "TooManyRequestsException"), "InternalServerException",
                "ServiceUnavailable", (409, "ConflictException")),
    "sso": ("sso-admin", "json", (400, "ThrottlingException"), "InternalServerException", "ServiceUnavailable",
            (409, "ConflictException")),
    "identitystore": ("identitystore", "json", (400, "ThrottlingException"), "InternalServerException",
                      "ServiceUnavailable", (409, "ConflictException")),
}
QUERY_NAMESPACES = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
                    "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
ASYNC_WRITES = {"CreateAccountAssignment": "AccountAssignmentCreationStatus",
                "DeleteAccountAssignment": "AccountAssignmentDeletionStatus"}
ASYNC_READS = {"DescribeAccountAssignmentCreationStatus": ("AccountAssignmentCreationRequestId",
                                                           "AccountAssignmentCreationStatus"),
               "DescribeAccountAssignmentDeletionStatus": ("AccountAssignmentDeletionRequestId",
                                                           "AccountAssignmentDeletionStatus")}


def conflict_operations():
    """{signing name: operations whose API model lists the service's conflict error}."""
    import botocore.session

    session = botocore.session.get_session()
    found = {}
    for service, (name, dummy, dummy2, dummy3, dummy4, conflict) in ERRORS.items():
        if conflict is None:
            found[service] = set()
            continue
        model = session.get_service_model(name)
        found[service] = {operation for operation in model.operation_names
                          if any(shape.metadata.get("error", {}).get("code", shape.name) == conflict[1]
                                 for shape in model.operation_model(operation).error_shapes)}
    return found


def is_write(operation):
    return not operation.startswith(READ_PREFIXES) and operation != "AssumeRole"


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
        self.randoms = {}  # one seeded stream per service: its faults do not depend on other services' calls
        self.lock = threading.Lock()
        self.buckets = {}
        self.operations = {}   # request id -> {"done_at", "status"}
        self.bursts = {}       # service -> monotonic time its throttling burst ends
        self.conflicts = conflict_operations()
        self.holds = [dict(hold, state="armed") for hold in self.config["holds"]]
        self.released = threading.Event()
        self.stats = {"calls": {}, "throttled": 0, "faults": {}, "peak_outstanding": 0, "forwarded": 0,
                      "services": {}}

    def rate(self, service, operation, name):
        """The rate of a fault for this call: the operation's override, else the service's, else the global one."""
        for scope in (self.config["operations"].get(operation, {}), self.config["services"].get(service, {})):
            if name in scope:
                return scope[name]
        return self.config[name]

    def outstanding(self, now):
        return sum(1 for op in self.operations.values() if op["done_at"] > now)

    def _count(self, service, kind):
        entry = self.stats["services"][service]
        entry["faults"][kind] = entry["faults"].get(kind, 0) + 1
        self.stats["faults"][kind] = self.stats["faults"].get(kind, 0) + 1

    def _throttle(self, service):
        self.stats["throttled"] += 1
        self.stats["services"][service]["throttled"] += 1
        return "throttle"

    def decide(self, service, operation):
        """None to forward, "reset_after" to forward then reset, or the fault to answer with."""
        cfg = self.config
        with self.lock:
            now = time.monotonic()
            self.stats["calls"][operation] = self.stats["calls"].get(operation, 0) + 1
            entry = self.stats["services"].setdefault(service, {"calls": 0, "faults": {}, "throttled": 0})
            entry["calls"] += 1
            if service in cfg["fault_services"]:
                stream = self.randoms.setdefault(service, random.Random(f"{cfg['seed']}:{service}"))
                draw = stream.random()
                if now < self.bursts.get(service, 0.0):
                    return self._throttle(service)
                edge = self.rate(service, operation, "throttle_burst_rate")
                if draw < edge:
                    self.bursts[service] = now + cfg["throttle_burst_seconds"]
                    self._count(service, "throttle_burst")
                    return self._throttle(service)
                for fault in ("conflict", "error_500", "error_503", "reset", "reset_after_write"):
                    if fault == "conflict" and operation not in self.conflicts.get(service, ()):
                        continue
                    if fault == "reset_after_write" and not is_write(operation):
                        continue
                    edge += self.rate(service, operation, f"{fault}_rate")
                    if draw < edge:
                        self._count(service, fault)
                        return fault
            if service in cfg["rate_limited_services"]:
                bucket = self.buckets.setdefault(operation, Bucket(cfg["tps"]))
                if not bucket.take() or (operation in ASYNC_WRITES and self.outstanding(now) >= cfg["max_outstanding"]):
                    return self._throttle(service)
        return None

    def hold_for(self, service, operation, params):
        """The armed hold this request matches (it is then waiting), or None."""
        with self.lock:
            for hold in self.holds:
                if hold["state"] != "armed" or hold.get("service", service) != service \
                        or hold.get("operation", operation) != operation:
                    continue
                if all(params.get(key) == value for key, value in (hold.get("params") or {}).items()):
                    hold["state"] = "waiting"
                    hold["since"] = time.time()
                    return hold
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


def identify(headers, method, path, body):
    """(signing name, operation, parameters) of an AWS request, or None for anything else (moto's own API).

    The service is the SigV4 credential scope's; the operation is the JSON protocol's X-Amz-Target, the
    query protocol's Action, or the REST-JSON path (Account Management's POST /getAlternateContact)."""
    scope = headers.get("Authorization", "").split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    if len(scope) < 5 or path.startswith(("/moto-api", "/_simulator")):
        return None
    service = scope[3]
    target = headers.get("X-Amz-Target")
    if target:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return service, target.rsplit(".", 1)[-1], params if isinstance(params, dict) else {}
    form = urllib.parse.parse_qs(body.decode(errors="replace")) if body else {}
    if "Action" in form:
        return service, form["Action"][0], {key: values[0] for key, values in form.items()}
    last = urllib.parse.urlparse(path).path.rstrip("/").rsplit("/", 1)[-1]
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        params = {}
    operation = last[0].upper() + last[1:] if last[:1].islower() and last.isalnum() else f"{method} {path}"
    return service, operation, params if isinstance(params, dict) else {}


def error_answer(service, status, code, message, members=None):
    """(status, body, headers) of an AWS error in the service's protocol; `members` are the error's modeled
    fields (the identity store's ConflictException Reason)."""
    protocol = ERRORS.get(service, (None, "json"))[1]
    request_id = str(uuid.uuid4())
    if protocol == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        body = (f'<ErrorResponse xmlns="{QUERY_NAMESPACES.get(service, "")}"><Error><Type>{kind}</Type>'
                f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
                "</ErrorResponse>").encode()
        return status, body, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    if protocol == "rest-json":
        return status, json.dumps({"message": message}).encode(), {
            "Content-Type": "application/json", "x-amzn-ErrorType": code, "x-amzn-RequestId": request_id}
    return status, json.dumps(dict({"__type": code, "message": message}, **(members or {}))).encode(), {
        "Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}


def fault_answer(service, fault):
    dummy, dummy2, throttle, code_500, code_503, conflict = ERRORS.get(
        service, (None, "json", (400, "ThrottlingException"), "InternalServerException", "ServiceUnavailable",
                  (409, "ConflictException")))
    if fault == "throttle":
        return error_answer(service, throttle[0], throttle[1], "Rate exceeded")
    if fault == "conflict":
        return error_answer(service, conflict[0], conflict[1],
                            "Another operation is in progress for this resource; try again",
                            {"Reason": "CONCURRENT_MODIFICATION"} if service == "identitystore" else None)
    if fault == "error_500":
        return error_answer(service, 500, code_500, "Simulated internal failure")
    return error_answer(service, 503, code_503, "Simulated service unavailable")


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
        headers = dict(headers or {})
        headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _reset(self):
        """Drop the connection with a TCP RST, as a reset on the way does: the client gets no answer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def do_GET(self):  # noqa: N802
        if self.path == "/_simulator/stats":
            sim = self.simulator
            with sim.lock:
                stats = json.loads(json.dumps(dict(sim.stats, config=sim.config, holds=sim.holds)))
            self._send(200, stats, {"Content-Type": "application/json"})
        else:
            self._handle(b"")

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_simulator/release":
            self.simulator.released.set()
            self._send(200, {"released": True}, {"Content-Type": "application/json"})
            return
        self._handle(body)

    def _handle(self, body):
        request = identify(self.headers, self.command, self.path, body)
        if request is None:
            self._forward(body)
            return
        service, operation, params = request
        sim = self.simulator
        if sim.config["latency"]:
            time.sleep(sim.config["latency"])
        hold = sim.hold_for(service, operation, params)
        if hold is not None:
            sim.released.wait(sim.config["hold_seconds"])
            with sim.lock:
                hold["state"] = "dropped"
            self._reset()
            return
        fault = sim.decide(service, operation)
        if fault == "reset":
            self._reset()
        elif fault not in (None, "reset_after_write"):
            self._send(*fault_answer(service, fault))
        elif operation in ASYNC_READS:
            key, wrapper = ASYNC_READS[operation]
            status = sim.describe(params.get(key))
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
            if fault == "reset_after_write":
                self._reset()
            else:
                self._send(status, payload, {"Content-Type": headers.get("Content-Type", "application/x-amz-json-1.1")})
        elif fault == "reset_after_write":
            self._upstream(body)  # moto applies the write; the answer never reaches the client
            self._reset()
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
    request_queue_size = 64


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
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        _alive(pid)
    for name in ("simulator.pid", "simulator.json"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            os.remove(path)
    return ours


def _alive(pid):
    """Whether pid still runs; reaps it when it is our exited child (a zombie still has a /proc entry)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # started by another process: not ours to reap
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stats(endpoint):
    with urllib.request.urlopen(endpoint + "/_simulator/stats", timeout=10) as response:
        return json.loads(response.read())


def release(endpoint):
    """Let every held request go (each is dropped with a reset, never forwarded)."""
    request = urllib.request.Request(endpoint + "/_simulator/release", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
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
