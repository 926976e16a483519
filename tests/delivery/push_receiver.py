#!/usr/bin/python3
"""A push gateway for tests: checks each request's HMAC signature, records it as a JSON line,
and answers as told by POST /mode: {"mode": "ok" | "fail500" | "fail400" | "hang", "times": n}
(the next n pushes get that answer, then "ok" again).
    push_receiver.py PORT SECRET LOGFILE"""
import hashlib, hmac, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, SECRET, LOG = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
state = {"mode": "ok", "times": 0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/mode":
            with lock:
                state.update(json.loads(body))
            return self.answer(204)
        ts = self.headers.get("X-Sellerdesk-Timestamp", "")
        want = "sha256=" + hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(want, self.headers.get("X-Sellerdesk-Signature", ""))
        with lock:
            mode = state["mode"] if state["times"] > 0 else "ok"
            if state["times"] > 0:
                state["times"] -= 1
        status = {"ok": 200, "fail500": 500, "fail400": 400, "hang": 200}[mode]
        if not valid:
            status = 401
        record = {"delivery": self.headers.get("X-Sellerdesk-Delivery"), "valid": valid,
                  "status": status, "mode": mode, "body": json.loads(body)}
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(record) + "\n")
        if mode == "hang":
            time.sleep(3)
        self.answer(status)

    def answer(self, status):
        try:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
