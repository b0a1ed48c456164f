"""Headless Chromium from Debian's package, driven over the DevTools protocol on a pipe.

    with Chromium() as browser:
        page = browser.open("file:///path/report.html")
        page.evaluate("document.title")
        page.type("#fa", "prod")            # sets the input's value and fires an `input` event
        page.screenshot("out.png")

No download and no Python package beyond the standard library: Chromium is started with
`--remote-debugging-pipe`, which speaks the DevTools protocol on file descriptors 3 (commands in)
and 4 (answers and events out), one JSON message per NUL byte (what Puppeteer's `pipe: true`
uses). The flags are the ones these machines need: headless, no sandbox (the tests run as root),
no GPU, and none of Chromium's background connections (the network here is closed: they would be
refused, many at a time); each browser gets a fresh --user-data-dir that is removed on close.

Chromium comes from Debian (`chromium`, /usr/bin/chromium): `make chromium` or
tools/install_chromium.sh installs it where missing. `find()` is None when it is not there.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

BINARY_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio")


# Runs in the child: the two pipe ends given as arguments become fds 3 and 4, then Chromium replaces it.
_EXEC_WITH_PIPE = ("import os, sys; commands, answers = int(sys.argv[1]), int(sys.argv[2]); os.dup2(commands, 3); "
                   "os.dup2(answers, 4); os.close(commands); os.close(answers); os.execv(sys.argv[3], sys.argv[3:])")


def find():
    """The Chromium binary (CHROMIUM overrides), or None."""
    for candidate in (os.environ.get("CHROMIUM"),) + BINARY_CANDIDATES:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


class DevToolsError(Exception):
    pass


class Chromium:
    """One headless browser process; `open(url)` gives a Page. Use as a context manager."""

    def __init__(self, binary=None, timeout=30.0):
        self.binary = binary or find()
        if not self.binary:
            raise DevToolsError("Chromium is not installed (make chromium installs Debian's package)")
        self.timeout = timeout
        self.process = None
        self.profile = None
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        commands_read, commands_write = os.pipe()  # we write commands, Chromium reads them on fd 3
        answers_read, answers_write = os.pipe()  # Chromium writes on fd 4, we read
        # Chromium's ends go to fds >= 10, so that a small exec helper can move them to 3 and 4 without one
        # overwriting the other (no preexec_fn: it is not safe beside threads).
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_read, answers_write)]
        for fd in (commands_read, answers_write):
            os.close(fd)
        self._commands, self._answers = commands_write, answers_read
        command = [self.binary, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"]
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _EXEC_WITH_PIPE, str(theirs[0]), str(theirs[1])] + command,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=theirs)
        finally:
            for fd in theirs:
                os.close(fd)
        self.call("Browser.getVersion")

    def close(self):
        if self.process and self.process.poll() is None:
            try:
                self.call("Browser.close", timeout=5)
                self.process.wait(timeout=10)
            except (DevToolsError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()
        for descriptor in ("_commands", "_answers"):
            if getattr(self, descriptor, None) is not None:
                try:
                    os.close(getattr(self, descriptor))
                except OSError:
                    pass
                setattr(self, descriptor, None)
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    def _send(self, message):
        data = json.dumps(message).encode("utf-8") + b"\0"
        while data:
            data = data[os.write(self._commands, data):]

    def _receive(self, deadline):
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DevToolsError("Chromium did not answer in time")
            ready, dummy, dummy = select.select([self._answers], [], [], remaining)
            if ready:
                chunk = os.read(self._answers, 1 << 20)
                if not chunk:
                    raise DevToolsError(f"Chromium closed the pipe: {self._stderr()}")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _stderr(self):
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read().decode("utf-8", "replace")[-2000:]

    def call(self, method, params=None, session=None, timeout=None):
        """Send one command and return its result; events that arrive meanwhile are kept in self.events."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise DevToolsError(f"{method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def wait_for(self, method, session=None, timeout=None):
        """The first event named `method` (of `session`), from those already received or the next ones."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for index, event in enumerate(self.events):
                if event["method"] == method and (session is None or event.get("sessionId") == session):
                    return self.events.pop(index)
            answer = self._receive(deadline)
            if "method" in answer:
                self.events.append(answer)

    def open(self, url, width=1280, height=900, javascript=True):
        """A new tab showing `url`, loaded (its load event fired); `javascript=False` opens it with scripts off."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(method, session=session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        if not javascript:
            self.call("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session=session)
        return page


class Page:
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (JSON-able values only; a promise is awaited)."""
        result = self.browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression}: {result['exceptionDetails'].get('text')} "
                                f"{result['exceptionDetails'].get('exception', {}).get('description', '')}")
        return result["result"].get("value")

    def type(self, selector, text):
        """Set an input's value and fire the `input` event a person's typing fires."""
        self.evaluate(f"(function(e){{e.value={json.dumps(text)};"
                      f"e.dispatchEvent(new Event('input',{{bubbles:true}}));}})"
                      f"(document.querySelector({json.dumps(selector)}))")

    def console(self):
        """Console messages and exceptions so far: [(source, level, text)] (CSP violations land here)."""
        messages = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            params = event.get("params", {})
            if event["method"] == "Log.entryAdded":
                entry = params["entry"]
                messages.append((entry.get("source"), entry.get("level"), entry.get("text")))
            elif event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                messages.append(("exception", "error", details.get("exception", {}).get("description")
                                 or details.get("text")))
            elif event["method"] == "Runtime.consoleAPICalled":
                messages.append(("console", params.get("type"), " ".join(
                    _text(a.get("value", a.get("description"))) for a in params.get("args", []))))
        return messages

    def screenshot(self, path, full_page=False, max_height=None):
        """A PNG of the page (the viewport, or the whole page up to max_height CSS pixels)."""
        params = {"format": "png"}
        if full_page:
            metrics = self.browser.call("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
            height = min(metrics["height"], max_height or metrics["height"])
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": metrics["width"], "height": height, "scale": 1})
        data = self.browser.call("Page.captureScreenshot", params, session=self.session)["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))
        return path


def _text(value):
    return "" if value is None else str(value)
