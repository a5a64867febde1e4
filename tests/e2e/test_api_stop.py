"""An idle API process stops on SIGTERM, under lighttpd and under Apache, also when the
signal lands in the window between the accept loop's last look at its stop flag and the
accept call (tests/shim/api_shim.c sends it there on demand: before, such a process waited
for one more connection). The same for the fcgi_processes supervisor and its wait for its
children. Stops are observed (the process is gone), with waits far above what they take."""
import contextlib
import os
import signal
import tempfile

import lib
from test_apache import Apache


def gone(pid):
    """The process has ended (a zombie not yet reaped counts as ended)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def in_accept(pid):
    """The process waits in accept (its current system call, x86-64 numbers: accept, accept4)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().split()[0] in ("43", "288")
    except (FileNotFoundError, IndexError):
        return False


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(c) for c in f.read().split()]


def api_children(pid):
    return [c for c in children(pid) if os.path.basename(os.readlink("/proc/%d/exe" % c)) == "webhooks-api"]


@contextlib.contextmanager
def trigger_file(stack):
    """A path for the shim's trigger, absent until arm(); removed at the end in any case."""
    fd, path = tempfile.mkstemp(prefix="term-trigger.", dir=stack.var)
    os.close(fd)
    os.unlink(path)  # the shim acts while it exists
    try:
        yield path
    finally:
        if os.path.exists(path):
            os.unlink(path)


def arm(path):
    with open(path, "w"):
        pass


def log_of(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def test_lighttpd_api_process_stops_on_a_signal_just_before_accept(stack):
    with trigger_file(stack) as trigger:
        front = lib.Front(stack, {}, fcgi_env=lib.shim_env(stack, term_before_accept=trigger))
        try:
            assert lib.wait_for(lambda: len(api_children(front.proc.pid)) == 1, 30), children(front.proc.pid)
            (pid,) = api_children(front.proc.pid)
            assert lib.wait_for(lambda: lib.handles_signal(pid, signal.SIGTERM), 30)
            assert lib.wait_for(lambda: in_accept(pid), 30)  # idle: the next accept starts after a request
            arm(trigger)
            assert front.request("GET", "/v2/live").status == 200  # then back to accept: the signal lands
            stopped = lib.wait_for(lambda: gone(pid), 60)
            os.unlink(trigger)
            assert stopped, "the API process %d still waits in accept after SIGTERM" % pid
            assert "stopping" in log_of(os.path.join(front.dir, "api.log"))
            # lighttpd starts another on the next request, which answers
            assert lib.wait_for(lambda: front.health() == 200, 30)
            # and a plain SIGTERM at an idle process stops it too
            assert lib.wait_for(lambda: api_children(front.proc.pid), 30)
            (pid,) = api_children(front.proc.pid)
            assert lib.wait_for(lambda: lib.handles_signal(pid, signal.SIGTERM), 30)
            os.kill(pid, signal.SIGTERM)
            assert lib.wait_for(lambda: gone(pid), 60), pid
        finally:
            front.close()


def test_supervisor_stops_on_a_signal_just_before_its_wait(stack):
    with trigger_file(stack) as trigger:
        front = lib.Front(stack, {"fcgi_processes": "2"}, fcgi_env=lib.shim_env(stack, term_before_wait=trigger))
        try:
            assert lib.wait_for(lambda: len(api_children(front.proc.pid)) == 1, 30)
            (sup,) = api_children(front.proc.pid)
            assert lib.wait_for(lambda: len(children(sup)) == 2, 30), children(sup)
            assert lib.wait_for(lambda: lib.handles_signal(sup, signal.SIGTERM), 30)
            procs = children(sup)
            arm(trigger)
            os.kill(procs[0], signal.SIGKILL)  # the supervisor reaps it, and waits again: the signal lands
            stopped = lib.wait_for(lambda: gone(sup) and all(gone(p) for p in procs), 60)
            os.unlink(trigger)
            assert stopped, [(p, gone(p)) for p in [sup] + procs]
            assert "all FastCGI processes stopped" in log_of(os.path.join(front.dir, "api.log"))
        finally:
            front.close()


def test_apache_api_process_stops_on_a_signal_just_before_accept(stack):
    apache = Apache(stack)
    apache.env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "detect_leaks=0") + ":verify_asan_link_order=0"
    with trigger_file(stack) as trigger:
        apache.env.update(lib.shim_env(stack, term_before_accept=trigger))
        with apache:
            with open(os.path.join(stack.var, "apache", "fcgi.pids")) as f:
                pids = [int(p) for p in f.read().split()]
            assert len(pids) == 2, pids
            assert lib.wait_for(lambda: all(lib.handles_signal(p, signal.SIGTERM) for p in pids), 30)
            os.kill(pids[1], signal.SIGTERM)  # a plain SIGTERM at an idle process
            assert lib.wait_for(lambda: gone(pids[1]), 60), pids
            assert lib.wait_for(lambda: in_accept(pids[0]), 30)  # idle: the next accept starts after a request
            arm(trigger)
            assert apache.request("GET", "/v2/live").status == 200  # then back to accept: the signal lands
            stopped = lib.wait_for(lambda: gone(pids[0]), 60)
            os.unlink(trigger)
            assert stopped, "the API process %d still waits in accept after SIGTERM" % pids[0]
            assert "stopping" in log_of(os.path.join(stack.var, "apache", "api.log"))
