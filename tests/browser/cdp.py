"""A small driver for headless Chromium over the DevTools protocol, Python standard library only.

Chromium is started with --remote-debugging-port=0 and writes the port it chose into
<user-data-dir>/DevToolsActivePort; the page target's websocket is then spoken to with the
minimal RFC 6455 client below (client frames masked, server frames unmasked, fragments
joined, pings answered). Page wraps the few things a test needs: navigate, evaluate, wait for
a condition, click with the real mouse, type with the real keyboard, and screenshots; it also
collects uncaught exceptions, console.error calls and security (CSP) messages."""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from urllib.parse import urlparse

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--no-default-browser-check", "--hide-scrollbars",
                  "--window-size=1280,800", "--lang=zh-CN"]


class WebSocket:
    def __init__(self, url, timeout=30):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (u.path, u.hostname, u.port, key))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n")[0]:
            raise ConnectionError("websocket handshake refused: %r" % status[:200])
        self.buf = rest

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        """The next text message (fragments joined); None when the peer closed."""
        parts = []
        while True:
            b0, b1 = self._read(2)
            opcode, fin = b0 & 0x0F, b0 & 0x80
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode == 0x8:
                return None
            if opcode == 0x9:
                self._send_frame(0xA, data)
                continue
            if opcode == 0xA:
                continue
            parts.append(data)
            if fin:
                return b"".join(parts).decode()

    def close(self):
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class Browser:
    """One headless Chromium with its own throw-away profile."""

    def __init__(self, exe="/usr/bin/chromium", log_path=None):
        self.profile = tempfile.mkdtemp(prefix="sais-chromium-")
        self.log = open(log_path or os.devnull, "ab")
        argv = [exe] + CHROMIUM_FLAGS + ["--user-data-dir=" + self.profile, "--remote-debugging-port=0",
                                          "about:blank"]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        end = time.time() + 60
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("chromium exited with %s" % self.proc.returncode)
            try:
                with open(port_file) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].strip():
                    self.port = int(lines[0])
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            self.close()
            raise RuntimeError("chromium did not open its DevTools port")

    def page(self):
        end = time.time() + 30
        while time.time() < end:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % self.port, timeout=10) as r:
                targets = json.loads(r.read().decode())
            pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
            if pages:
                return Page(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.2)
        raise RuntimeError("chromium has no page target")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class JsError(Exception):
    pass


class Page:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.events = []
        self.errors = []
        for m in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(m)
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1,
                                                         "mobile": False})

    def _event(self, msg):
        self.events.append(msg)
        m, p = msg.get("method"), msg.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.errors.append("exception: %s %s" % (d.get("text"), (d.get("exception") or {}).get("description", "")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console.%s: %s" % (p.get("type"), " ".join(str(a.get("value", a.get("description")))
                                                                           for a in p.get("args", []))))
        elif m == "Log.entryAdded":
            e = p.get("entry", {})
            # a 4xx answer is logged by the network stack on purpose-made failing requests; the
            # console itself must produce no errors, and no security (CSP) violations
            if e.get("level") == "error" and e.get("source") != "network":
                self.errors.append("log %s: %s" % (e.get("source"), e.get("text")))

    def call(self, method, params=None, timeout=60):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params or {}}))
        self.ws.sock.settimeout(timeout)
        while True:
            raw = self.ws.recv()
            if raw is None:
                raise ConnectionError("DevTools connection closed during %s" % method)
            msg = json.loads(raw)
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self._event(msg)

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True, "returnByValue": True,
                                           "userGesture": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise JsError("%s: %s" % (d.get("text"), (d.get("exception") or {}).get("description", expr)))
        return r.get("result", {}).get("value")

    def wait(self, expr, timeout=30, what=None):
        """Polls expr until it is truthy; returns its value, or None on timeout."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                v = self.evaluate(expr)
            except JsError:
                v = None
            if v:
                return v
            time.sleep(0.1)
        return None

    def navigate(self, url):
        self.call("Page.navigate", {"url": url})
        self.wait("document.readyState === 'complete'", 30)

    def click(self, selector):
        """A real mouse click in the middle of the element (it must be visible and on top)."""
        rect = self.evaluate("""(() => { const el = document.querySelector(%s); if (!el) return null;
            el.scrollIntoView({block: 'center'}); const r = el.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2, r.width, r.height]; })()""" % json.dumps(selector))
        if not rect or rect[2] <= 0 or rect[3] <= 0:
            raise JsError("nothing visible to click at %s" % selector)
        x, y = rect[0], rect[1]
        top = self.evaluate("""(() => { const el = document.querySelector(%s); const t = document.elementFromPoint(%f, %f);
            return !!t && (t === el || el.contains(t)); })()""" % (json.dumps(selector), x, y))
        if not top:
            raise JsError("%s is covered by another element" % selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def type(self, selector, text):
        """Focuses the field, empties it and types text as keyboard input."""
        ok = self.evaluate("""(() => { const el = document.querySelector(%s); if (!el) return false;
            el.focus(); el.select && el.select(); return true; })()""" % json.dumps(selector))
        if not ok:
            raise JsError("no field %s" % selector)
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace", "code": "Backspace",
                                             "windowsVirtualKeyCode": 8})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace", "code": "Backspace",
                                             "windowsVirtualKeyCode": 8})
        self.call("Input.insertText", {"text": text})

    def choose(self, selector, value):
        """Picks an option of a <select> the way a user's choice would (change event)."""
        ok = self.evaluate("""(() => { const el = document.querySelector(%s); if (!el) return false;
            el.value = %s; el.dispatchEvent(new Event('change', {bubbles: true})); return el.value === %s; })()"""
                           % (json.dumps(selector), json.dumps(value), json.dumps(value)))
        if not ok:
            raise JsError("cannot choose %r in %s" % (value, selector))

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path

    def close(self):
        self.ws.close()
