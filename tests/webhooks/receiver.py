#!/usr/bin/python3
"""A webhook receiver for tests. It verifies each delivery's signature itself, against the
secrets it was told for that path, records the delivery as a JSON line, and answers as told:
    POST /_control {"path": "/a", "secrets": ["..."],
                    "mode": "ok"|"fail500"|"fail400"|"hang"|"slow", "times": n, "delay_ms": ms}
(the next n deliveries to the path get that answer, then "ok"; "slow" is a 200 after delay_ms,
default 900). Every answer carries a body
and a header that must never show up in what sellerdesk reports about a delivery.
    receiver.py PORT LOGFILE"""
import hashlib, hmac, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, LOG = int(sys.argv[1]), sys.argv[2]
ANSWER = b"RECEIVER-PRIVATE-ANSWER-7f3a: do not store me"
paths = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/_control":
            cfg = json.loads(body)
            with lock:
                p = paths.setdefault(cfg["path"], {"secrets": [], "mode": "ok", "times": 0})
                p.update({k: v for k, v in cfg.items() if k != "path"})
            return self.answer(204, b"")
        with lock:
            p = paths.setdefault(self.path, {"secrets": [], "mode": "ok", "times": 0})
            mode = p["mode"] if p["times"] > 0 else "ok"
            if p["times"] > 0:
                p["times"] -= 1
            secrets = list(p["secrets"])
            delay = p.get("delay_ms", 900) / 1000.0
        ts = self.headers.get("X-Sellerdesk-Timestamp", "")
        sigs = [s.strip() for s in self.headers.get("X-Sellerdesk-Signature", "").split(",")]
        # which of the configured secrets some listed signature proves
        matched = [i for i, sec in enumerate(secrets)
                   if any(hmac.compare_digest("sha256=" + hmac.new(sec.encode(), ts.encode() + b"." + body,
                                                                   hashlib.sha256).hexdigest(), s)
                          for s in sigs)]
        fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
        status = {"ok": 200, "fail500": 500, "fail400": 400, "hang": 200, "slow": 200}[mode]
        if not matched or not fresh:
            status = 401
        record = {"path": self.path, "received_at": time.time(), "delivery": self.headers.get("X-Sellerdesk-Delivery"),
                  "user_agent": self.headers.get("User-Agent"), "timestamp": ts,
                  "content_type": self.headers.get("Content-Type"),
                  "signatures": sigs, "matched": matched, "valid": bool(matched) and fresh,
                  "status": status, "mode": mode, "raw": body.decode(), "body": json.loads(body)}
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(record) + "\n")
        if mode == "hang":
            time.sleep(3)
        elif mode == "slow":
            time.sleep(delay)
        self.answer(status, ANSWER)

    def answer(self, status, body):
        try:
            self.send_response(status)
            self.send_header("X-Receiver-Private", "7f3a-header")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


Server(("127.0.0.1", PORT), Handler).serve_forever()
