"""fcgi_processes: the API forks that many FastCGI processes on the socket it was handed
(what the Debian package's linehook-api.socket relies on; tests/package checks it there),
here behind a second lighttpd front that spawns one API process."""
import os
import signal

import lib


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(c) for c in f.read().split()]


def test_processes_share_the_socket_restart_and_stop(stack):
    account, key = stack.new_account()
    front = lib.Front(stack, {"fcgi_processes": "3"}, procs=1)
    try:
        supervisors = children(front.proc.pid)
        assert len(supervisors) == 1, supervisors
        sup = supervisors[0]
        assert lib.wait_for(lambda: len(children(sup)) == 3, 30), children(sup)
        for _ in range(12):  # answered, whichever process accepts
            r = front.request("GET", "/v2/webhooks", key=key)
            assert r.status == 200, r
        victim = children(sup)[0]
        os.kill(victim, signal.SIGKILL)
        assert lib.wait_for(lambda: victim not in children(sup) and len(children(sup)) == 3, 20), children(sup)
        assert front.request("GET", "/v2/webhooks", key=key).status == 200
        procs = children(sup)
    finally:
        front.close()  # lighttpd stops the supervisor, which stops the processes
    assert lib.wait_for(lambda: not any(os.path.exists("/proc/%d" % p) for p in procs + [sup]), 20), procs
    with open(os.path.join(front.dir, "api.log")) as f:
        log = f.read()
    assert "starting 3 FastCGI processes" in log and "all FastCGI processes stopped" in log, log[-2000:]
