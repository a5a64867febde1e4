"""Operations (SPEC §12, issue 13): the per-account rate limit shared by every FastCGI
process, liveness (/v2/health with workers and outbox, the cheap /v2/live probe), and the
monotonic metrics counters."""
import os
import re
import threading
import time

from lib import Front


def test_rate_limit_holds_across_processes(stack):
    """4 FastCGI processes behind one lighttpd share each account's bucket: the requests let
    through stay within 10 % of burst + rate x elapsed (counted, whatever the machine's
    speed), where 4 buckets of their own would let about 4 x the burst through."""
    rate, burst, threads, each = 2, 20, 8, 15
    front = Front(stack, {"rate_limit_per_second": str(rate), "rate_limit_burst": str(burst), "log_level": "debug"},
                  procs=4)
    try:
        account, key = stack.new_account("shared bucket")
        statuses = []
        lock = threading.Lock()

        def hammer():
            for _ in range(each):
                s = front.request("GET", "/v2/account", key=key).status
                with lock:
                    statuses.append(s)
        start = time.monotonic()
        workers = [threading.Thread(target=hammer) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        elapsed = time.monotonic() - start
        ok = statuses.count(200)
        assert ok + statuses.count(429) == threads * each, statuses
        allowed = burst + rate * elapsed
        assert burst * 0.9 <= ok <= allowed * 1.1, (ok, allowed, elapsed)
        # the requests really were answered by several processes
        with open(os.path.join(front.dir, "api.log")) as f:
            pids = set(re.findall(r"webhooks-api\[(\d+)\].*GET /v2/account", f.read()))
        assert len(pids) >= 2, pids
    finally:
        front.close()
