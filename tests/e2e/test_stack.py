"""The stack commands themselves: start, stop, start again on the same data, run + Ctrl-C.
A second stack in its own directory on its own ports, beside the suite's stack."""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import lib
from lib import wait_for

_made = []


def new_var(prefix):
    """A fresh data directory for a second stack (100+ MB each), removed when the run ends."""
    var = tempfile.mkdtemp(prefix=prefix)
    _made.append(var)
    return var


@atexit.register
def _remove_vars():
    for var in _made:
        if not processes_of(var):  # one a test left processes in stays, to be looked at
            shutil.rmtree(var, ignore_errors=True)


def stack_env(var):
    env = dict(os.environ)
    env.update({"WH_VAR": var, "WH_HTTP_PORT": str(lib.free_port()), "WH_DB_PORT": str(lib.free_port()),
                "WH_DEMO": "1", "WH_FCGI_PROCS": "2"})
    return env


def stack(cmd, env):
    return subprocess.run([os.path.join(lib.ROOT, "scripts", "stack.sh"), cmd], env=env, capture_output=True,
                          text=True, timeout=180)


def processes_of(var):
    out = subprocess.run(["pgrep", "-af", var], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "pgrep" not in line]


def shared_segments_of(var):
    """The shared memory segments the stack's processes have mapped (the API's rate table)."""
    names = set()
    for line in processes_of(var):
        try:
            with open("/proc/%s/maps" % line.split()[0]) as f:
                names |= {m.split()[-1] for m in f if "/dev/shm/linehook-" in m}
        except OSError:
            pass  # gone meanwhile
    return names


def health(env):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/v2/health" % env["WH_HTTP_PORT"], timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:
        return None


def demo(var):
    """demo.env's values; every line must be an export, so a sourced file reaches child processes."""
    with open(os.path.join(var, "demo.env")) as f:
        lines = [line.strip() for line in f if line.strip()]
    assert lines and all(line.startswith("export WH_") for line in lines), lines
    return dict(line[len("export "):].split("=", 1) for line in lines)


def sourced_demo(var):
    """What a child process of a shell that sourced demo.env sees of its variables."""
    script = '. "$1/demo.env" && python3 -c \'import os; print(os.environ["WH_API_KEY"], os.environ["WH_URL"])\''
    env = {k: v for k, v in os.environ.items() if not k.startswith("WH_")}
    return subprocess.run(["bash", "-c", script, "bash", var], env=env, capture_output=True, text=True,
                          timeout=30).stdout.split()


def test_start_stop_start_reuses_the_data_and_leaves_nothing_behind(_suite_stack):
    var = new_var("linehook-stack-")
    env = stack_env(var)
    try:
        p = stack("start", env)
        assert p.returncode == 0, p.stdout + p.stderr
        assert health(env) == 200
        first = demo(var)
        assert first["WH_API_KEY"] in p.stdout and first["WH_URL"] in p.stdout, p.stdout
        assert len(first["WH_LOCATION_ID"]) == 20
        assert sourced_demo(var) == [first["WH_API_KEY"], first["WH_URL"]], sourced_demo(var)
        assert stack("start", env).returncode == 0  # starting twice is harmless
        segments = {s for s in shared_segments_of(var) if "/linehook-rl-" in s}
        assert segments, "the API processes map no shared rate table"
        assert stack("stop", env).returncode == 0
        assert processes_of(var) == [], processes_of(var)
        # the last API process to stop removed the rate table (the answer generations are
        # one segment per user, kept)
        assert [s for s in segments if os.path.exists(s)] == [], segments
        assert health(env) is None
        # stale pid files (a kill -9, a reboot) naming a live process of another program, as a
        # reused pid does: stop leaves it alone, and start starts everything anyway
        other = subprocess.Popen(["sleep", "300"])
        try:
            for name in ("worker.pid", "lighttpd.pid", "mysql.pid"):
                with open(os.path.join(var, name), "w") as f:
                    f.write("%d\n" % other.pid)
            assert stack("stop", env).returncode == 0
            assert other.poll() is None, "stop signalled a process its pid files named but did not start"
            p = stack("start", env)
            assert p.returncode == 0, p.stdout + p.stderr
            assert other.poll() is None
        finally:
            other.kill()
            other.wait()
        assert demo(var) == first
        # the same key still works against the same data
        req = urllib.request.Request("http://127.0.0.1:%s/v2/locations/%s" % (env["WH_HTTP_PORT"],
                                     first["WH_LOCATION_ID"]), headers={"apikey": first["WH_API_KEY"]})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
    finally:
        stack("stop", env)
    assert processes_of(var) == []


def test_run_stays_in_the_foreground_and_ctrl_c_stops_everything(_suite_stack):
    var = new_var("linehook-run-")
    env = stack_env(var)
    p = subprocess.Popen([os.path.join(lib.ROOT, "scripts", "stack.sh"), "run"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(p.stdout), daemon=True)
    reader.start()
    try:
        assert wait_for(lambda: any("Press Ctrl-C" in line for line in lines), 300), lines
        assert health(env) == 200
        assert p.poll() is None  # still in the foreground
        os.killpg(p.pid, signal.SIGINT)
        p.wait(timeout=300)  # generous: the parts stop in turn, each within its grace
        reader.join(timeout=30)
        out = "".join(lines)
        assert "Settings page: http://127.0.0.1:%s/" % env["WH_HTTP_PORT"] in out, out
        assert "API key:" in out
        assert processes_of(var) == [], processes_of(var)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        stack("stop", env)


def test_ctrl_c_while_starting_still_stops_everything(_suite_stack):
    var = new_var("linehook-run-")
    env = stack_env(var)
    p = subprocess.Popen([os.path.join(lib.ROOT, "scripts", "stack.sh"), "run"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # as soon as the database is up, in the middle of the start
        assert wait_for(lambda: os.path.exists(os.path.join(var, "mysql.pid")), 180)
        os.killpg(p.pid, signal.SIGINT)
        p.wait(timeout=300)
        assert wait_for(lambda: processes_of(var) == [], 30), processes_of(var)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        stack("stop", env)


def test_a_part_that_fails_to_start_fails_the_start_with_its_cause(_suite_stack):
    """A worker that dies on its config: start exits non-zero, shows the cause from the log
    and leaves nothing running."""
    var = new_var("linehook-badstart-")
    env = stack_env(var)
    env["WH_RETRY_SCHEDULE"] = "5,abc"
    try:
        p = stack("start", env)
        out = p.stdout + p.stderr
        assert p.returncode != 0, out
        assert "linehook is running" not in out, out
        assert "retry_schedule" in out, out
        assert processes_of(var) == [], processes_of(var)
    finally:
        stack("stop", env)


def test_run_with_the_http_port_taken_says_so_and_leaves_nothing(_suite_stack):
    var = new_var("linehook-busy-")
    env = stack_env(var)
    taken = socket.socket()
    taken.bind(("127.0.0.1", int(env["WH_HTTP_PORT"])))
    taken.listen(1)
    try:
        p = subprocess.run([os.path.join(lib.ROOT, "scripts", "stack.sh"), "run"], env=env, capture_output=True,
                           text=True, timeout=180)
        out = p.stdout + p.stderr
        assert p.returncode != 0, out
        assert "lighttpd did not start" in out and "unbound variable" not in out, out
        assert "lighttpd.log" in out, out  # the failing log's last lines are shown
        assert processes_of(var) == [], processes_of(var)
    finally:
        taken.close()
        stack("stop", env)


def test_run_refuses_to_take_over_a_running_stack(_suite_stack):
    var = new_var("linehook-twice-")
    env = stack_env(var)
    try:
        assert stack("start", env).returncode == 0
        p = subprocess.run([os.path.join(lib.ROOT, "scripts", "stack.sh"), "run"], env=env, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode != 0 and "already runs" in p.stderr, p.stdout + p.stderr
        assert health(env) == 200  # the running stack was left alone
    finally:
        stack("stop", env)
    assert processes_of(var) == []
