"""Shared pieces of the hostile suite: the HTTP client, the checks of every answer, the
tally that ends in one "N passed, N failed" line, and the server's memory sampler."""
import http.client
import json
import os
import subprocess
import threading
import time
import urllib.parse

BASE = urllib.parse.urlparse(os.environ.get("SD_BASE_URL", "http://127.0.0.1:8080"))
HOST, PORT = BASE.hostname, BASE.port or 80


class Tally:
    """Checks grouped by name; each group passes or fails once, with a few examples."""

    def __init__(self):
        self.groups = {}

    def record(self, name, ok, example=None):
        g = self.groups.setdefault(name, {"n": 0, "bad": 0, "examples": []})
        g["n"] += 1
        if not ok:
            g["bad"] += 1
            if example and len(g["examples"]) < 3:
                g["examples"].append(example)
        return ok

    def report(self):
        passed = failed = 0
        for name, g in self.groups.items():
            if g["bad"]:
                failed += 1
                print("not ok - %s (%d of %d)" % (name, g["bad"], g["n"]))
                for e in g["examples"]:
                    print("    " + e[:600].replace("\n", "\\n"))
            else:
                passed += 1
                print("ok - %s (%d)" % (name, g["n"]))
        return passed, failed


class Client:
    """One kept-alive connection, reopened when the server closes it."""

    def __init__(self, timeout=15):
        self.timeout = timeout
        self.conn = None
        self.sent = 0

    def request(self, method, target, headers=None, body=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, PORT, timeout=self.timeout)
            try:
                self.conn.putrequest(method, target, skip_accept_encoding=True)
                for k, v in (headers or {}).items():
                    self.conn.putheader(k, v)
                if body is not None:
                    self.conn.putheader("Content-Length", str(len(body)))
                self.conn.endheaders(body)
                r = self.conn.getresponse()
                if r.getheader("Content-Type", "").startswith("text/event-stream"):
                    # an event stream does not end: its head is the answer
                    self.close()
                    self.sent += 1
                    return r.status, {k.lower(): v for k, v in r.getheaders()}, b""
                data = r.read()
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                self.sent += 1
                return r.status, hdrs, data
            except (ConnectionError, http.client.HTTPException, OSError):
                self.close()
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


def problem_defect(status, headers, body):
    """Why a 4xx/5xx answer is not a problem document carrying X-Request-Id, or None."""
    ct = headers.get("content-type", "")
    if not ct.startswith("application/problem+json"):
        return "Content-Type %r" % ct
    try:
        p = json.loads(body)
    except ValueError:
        return "body is not JSON: %r" % body[:120]
    if not isinstance(p, dict):
        return "body is not an object"
    rid = headers.get("x-request-id")
    if not rid:
        return "no X-Request-Id"
    if p.get("status") != status:
        return "status member %r" % p.get("status")
    if not isinstance(p.get("code"), str) or not p["code"]:
        return "no code"
    if p.get("request_id") != rid:
        return "request_id %r != X-Request-Id %r" % (p.get("request_id"), rid)
    return None


def psql(sql):
    out = subprocess.run(["psql", os.environ["DATABASE_URL"], "-qAtX", "-v", "ON_ERROR_STOP=1",
                          "-c", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def login(email, password):
    c = Client()
    st, _, body = c.request("POST", "/v1/auth/login", {"Content-Type": "application/json"},
                            json.dumps({"email": email, "password": password}).encode())
    c.close()
    if st != 200:
        raise RuntimeError("login %s: %d %s" % (email, st, body[:200]))
    return json.loads(body)["access_token"]


class RssSampler(threading.Thread):
    """The server's resident memory (VmRSS), sampled every 100 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.samples, self.running = pid, 0, 0, True

    def rss_kb(self):
        try:
            with open("/proc/%s/status" % self.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self):
        while self.running:
            self.peak_kb = max(self.peak_kb, self.rss_kb())
            self.samples += 1
            time.sleep(0.1)

    def stop(self):
        self.running = False
