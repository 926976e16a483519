#!/usr/bin/env python3
"""The hostile suite, run by `make test` against the real server after the API tests:
requests generated from openapi.yaml for every operation and caller, then raw-socket
transport cases and a crowd of slow connections. It checks that no answer is a 5xx, every
refusal is a problem document with X-Request-Id, every status is documented for its
operation, no refused request wrote anything, a normal client is served while the crowd is
there, and the server's resident memory stays under a stated bound.

Environment: SD_BASE_URL, DATABASE_URL, SD_SERVER_PID (for memory), SELLERDESK_REQUEST_HEAD_TIMEOUT
(the server's, 10 s by default), HOSTILE_SLOW_CONNECTIONS (2000), HOSTILE_RSS_BOUND_MB (128; 0 skips the memory check)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import contract  # noqa: E402
import transport  # noqa: E402
from common import RssSampler, Tally, login, psql  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_PASSWORD = "demo-password-1"
# alg "none", role support: refused like any other forged token
FORGED = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiI1Iiwicm9sZSI6InN1cHBvcnQiLCJleHAiOjQxMDI0NDQ4MDB9."


def snapshot():
    """Every table's row count and a digest of its rows."""
    tables = psql("select string_agg(table_name, ' ' order by table_name) from information_schema.tables"
                  " where table_schema = 'public' and table_type = 'BASE TABLE'").split()
    sql = " union all ".join(
        "select '%s', count(*)::text || ':' || md5(coalesce(string_agg(t::text, '|' order by t::text), ''))"
        " from %s t" % (t, t) for t in tables)
    return dict(line.split("|", 1) for line in psql(sql).splitlines())


def main():
    tally = Tally()
    pid = os.environ.get("SD_SERVER_PID")
    sampler = RssSampler(pid) if pid else None
    bound_mb = int(os.environ.get("HOSTILE_RSS_BOUND_MB", "128"))
    slow = int(os.environ.get("HOSTILE_SLOW_CONNECTIONS", "2000"))
    if sampler:
        sampler.start()
    tokens = {
        "anonymous": None,
        "forged": FORGED,
        "buyer": login("buyer1@demo.sellerdesk.dev", DEMO_PASSWORD),
        "seller": login("seller1@demo.sellerdesk.dev", DEMO_PASSWORD),
        "support": login("support@demo.sellerdesk.dev", DEMO_PASSWORD),
    }
    spec = contract.load_spec(os.path.join(ROOT, "openapi.yaml"))
    ids = contract.valid_ids()

    t0 = time.time()
    before = snapshot()
    sent = contract.run(tally, tokens, ids, spec)
    after = snapshot()
    changed = sorted(t for t in before if before[t] != after.get(t))
    tally.record("nothing written by any refused request (%d tables compared)" % len(before),
                 not changed, "changed: " + ", ".join(changed))
    t1 = time.time()
    print("# %d generated requests in %.1f s" % (sent, t1 - t0))

    transport.run(tally, slow, int(os.environ.get("SELLERDESK_MAX_CONNECTIONS_PER_CLIENT", "256")),
                  tokens["seller"])
    print("# transport cases and %d slow connections in %.1f s" % (slow, time.time() - t1))
    if sampler:
        sampler.stop()
        peak = sampler.peak_kb / 1024.0
        print("# server resident memory: peak %.1f MiB over %d samples (bound %d MiB)"
              % (peak, sampler.samples, bound_mb))
        if bound_mb:  # 0: a sanitizer or valgrind build, whose memory says nothing of ours
            tally.record("memory: resident set stays under %d MiB (peak %.1f MiB)" % (bound_mb, peak),
                         0 < peak <= bound_mb, "peak %.1f MiB" % peak)
    passed, failed = tally.report()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
