"""The Debian package, tested without installing it (no systemd as PID 1 here, and the build
machine stays as it is): build it with `scripts/deb.sh` (what `make deb` runs), lintian, the
systemd units verified, then the package extracted into a temporary root and run from there
with its installed config layout: `linehook-api setup` against a private MariaDB, the API
behind a private Apache that includes the installed site (HTTP and HTTPS) and a private
lighttpd that includes the installed snippet (HTTP, and HTTPS with its example uncommented),
and one event delivered by the installed worker to a loopback receiver.

The installed files are used as shipped; only what ties them to this machine's fixed places
is rewritten for the private servers: ports, /usr/share/linehook, /run/linehook/api.sock
and the snakeoil certificate (a throwaway one made here). The installed config is used with
WH_<KEY> overrides for the socket and paths, which is also how an admin overrides it.

Prints one "ok"/"FAIL" line per case and a total, like tests/e2e/run.py."""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import lib  # noqa: E402  (Receiver, wait_for, free_port)

MODS = "/usr/lib/apache2/modules"


def run(cmd, check=True, timeout=300, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (cmd, p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


class Package:
    """Shared state of the cases, in order: each case uses what the ones before left."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="linehook-package.")
        os.chmod(self.tmp, 0o755)  # Apache's and lighttpd's children (www-data) read the docroot
        self.deb = None
        self.root = os.path.join(self.tmp, "root")
        self.sock = os.path.join(self.tmp, "mysql.sock")
        self.api_sock = os.path.join(self.tmp, "run", "api.sock")
        self.procs = []  # (name, Popen) stopped by close()
        self.conf = os.path.join(self.root, "etc", "linehook", "webhooks.conf")

    def path(self, installed):
        """Where an installed absolute path is in the extracted root."""
        return os.path.join(self.root, installed.lstrip("/"))

    def env(self, **extra):
        """The environment of the installed binaries: none of the test stack's WH_ variables,
        the installed config's machine paths pointed into the temporary root."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("WH_") and k != "ASAN_OPTIONS"}
        env.update(WH_DB_SOCKET=self.sock, WH_SQL_DIR=self.path("/usr/share/linehook/sql"),
                   WH_MASTER_KEY_FILE=self.path("/var/lib/linehook/master.key"),
                   # the receiver is on loopback over http://
                   WH_ALLOW_PRIVATE_TARGETS="true", WH_ALLOW_HTTP_TARGETS="true",
                   WH_WORKER_POLL_MS="20", WH_RETRY_SCHEDULE="1,1")
        env.update(extra)
        return env

    def api(self, *args, check=True):
        return run([self.path("/usr/bin/linehook-api"), "--config", self.conf] + list(args), check=check,
                   env=self.env(), timeout=60)

    def start(self, name, cmd, **kw):
        log = open(os.path.join(self.tmp, name + ".log"), "ab")
        p = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True, **kw)
        log.close()
        self.procs.append((name, p))
        return p

    def log(self, name):
        try:
            with open(os.path.join(self.tmp, name + ".log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def close(self, keep):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=20)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    p.wait()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def http(url, method="GET", body=None, key=None, tls=False, timeout=20):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("apikey", key)
    ctx = ssl._create_unverified_context() if tls else None  # the throwaway certificate
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def wait_healthy(pk, base, server):
    """Waits until the API answers its liveness probe (/v2/live) through the web server named
    server (/v2/health also needs a worker's heartbeat)."""
    last = [None]

    def up():
        try:
            last[0] = http(base + "/v2/live", timeout=10)
            return last[0][0] == 200
        except OSError as e:
            last[0] = e
            return False
    assert lib.wait_for(up, timeout=120, interval=0.2), (last[0], pk.log(server), pk.log("api"), pk.log("worker"))


# ---- the cases, in order ----

def test_make_deb_builds_the_package(pk):
    out = run([os.path.join(ROOT, "scripts", "deb.sh"), os.path.join(pk.tmp, "build")], timeout=600)
    pk.deb = out.stdout.strip().splitlines()[-1]
    with open(os.path.join(ROOT, "common", "version.h")) as f:
        version = re.search(r'LINEHOOK_VERSION "([^"]+)"', f.read()).group(1)
    arch = run(["dpkg-architecture", "-qDEB_HOST_ARCH"]).stdout.strip()
    assert os.path.basename(pk.deb) == "linehook_%s_%s.deb" % (version, arch), pk.deb
    assert run(["dpkg-deb", "-f", pk.deb, "Package"]).stdout.strip() == "linehook"


def test_lintian_finds_no_errors(pk):
    p = run(["lintian", "--fail-on", "error", pk.deb], check=False)
    errors = [line for line in p.stdout.splitlines() if line.startswith("E:")]
    assert p.returncode == 0 and not errors, p.stdout + p.stderr


def test_package_holds_the_installed_layout(pk):
    listing = run(["dpkg-deb", "-c", pk.deb]).stdout
    files = {}
    for line in listing.splitlines():
        parts = line.split()
        files[parts[5].lstrip(".")] = parts[0]
    for path in ["/usr/bin/linehook-api", "/usr/bin/linehook-worker", "/usr/share/linehook/www/index.html",
                 "/usr/share/linehook/www/app.js", "/usr/share/linehook/sql/001_init.sql",
                 "/usr/share/linehook/openapi.json", "/usr/share/linehook/README.md",
                 "/etc/linehook/webhooks.conf", "/etc/apache2/sites-available/linehook.conf",
                 "/etc/lighttpd/conf-available/50-linehook.conf", "/lib/systemd/system/linehook-api.socket",
                 "/lib/systemd/system/linehook-api.service", "/lib/systemd/system/linehook-worker.service",
                 "/var/lib/linehook/", "/usr/share/man/man8/linehook-api.8.gz",
                 "/usr/share/man/man8/linehook-worker.8.gz"]:
        assert path in files, "%s missing from the package:\n%s" % (path, listing)
    assert files["/etc/linehook/webhooks.conf"] == "-rw-r-----", files["/etc/linehook/webhooks.conf"]
    assert files["/usr/bin/linehook-api"] == "-rwxr-xr-x"
    ctl = os.path.join(pk.tmp, "control")
    run(["dpkg-deb", "-e", pk.deb, ctl])
    with open(os.path.join(ctl, "conffiles")) as f:
        conffiles = f.read().split()
    assert "/etc/linehook/webhooks.conf" in conffiles, conffiles
    with open(os.path.join(ctl, "postinst")) as f:
        postinst = f.read()
    assert "adduser --system --group" in postinst and " linehook" in postinst
    assert "chown root:linehook /etc/linehook/webhooks.conf" in postinst and "chmod 0640" in postinst
    assert "chown linehook:linehook /var/lib/linehook" in postinst
    # units are not enabled on install (only re-enabled when they were), so deb-systemd-invoke
    # does not start them before setup ran; removal stops them
    lines = postinst.splitlines()
    enables = [i for i, line in enumerate(lines) if "deb-systemd-helper enable" in line]
    assert enables and all(any("was-enabled" in lines[j] for j in range(i - 3, i)) for i in enables), postinst
    with open(os.path.join(ctl, "prerm")) as f:
        assert "deb-systemd-invoke stop 'linehook-api.service' 'linehook-api.socket' 'linehook-worker.service'" \
            in f.read()
    sections = ["%s: %s" % (k, run(["dpkg-deb", "-f", pk.deb, k]).stdout.strip()) for k in ("Depends",)]
    assert "adduser" in sections[0] and "libfcgi" in sections[0], sections
    with open(os.path.join(ROOT, "sql", "001_init.sql")) as f:
        assert f.read()  # the migrations shipped are the project's
    n_sql = len([n for n in os.listdir(os.path.join(ROOT, "sql")) if n.endswith(".sql")])
    assert len([p for p in files if p.startswith("/usr/share/linehook/sql/") and p.endswith(".sql")]) == n_sql


def test_systemd_units_verify(pk):
    run(["dpkg-deb", "-x", pk.deb, pk.root])
    units = os.path.join(pk.root, "lib", "systemd", "system")
    # systemd-analyze resolves the units' targets and ExecStart= binaries in --root: give it
    # this machine's units beside the package's files
    vroot = os.path.join(pk.tmp, "verify-root")
    shutil.copytree("/lib/systemd/system", os.path.join(vroot, "lib", "systemd", "system"), symlinks=True)
    for name in os.listdir(units):
        shutil.copy(os.path.join(units, name), os.path.join(vroot, "lib", "systemd", "system", name))
    shutil.copytree(os.path.join(pk.root, "usr", "bin"), os.path.join(vroot, "usr", "bin"))
    names = sorted(os.listdir(units))
    assert names == ["linehook-api.service", "linehook-api.socket", "linehook-worker.service"], names
    p = run(["systemd-analyze", "verify", "--root=" + vroot, "--man=no"] + names, check=False)
    assert p.returncode == 0 and not (p.stdout + p.stderr).strip(), p.stdout + p.stderr
    for name in ("linehook-api.service", "linehook-worker.service"):
        with open(os.path.join(units, name)) as f:
            unit = f.read()
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                     "ReadWritePaths=/var/lib/linehook", "User=linehook"):
            assert "\n" + line + "\n" in unit, (name, line)
    with open(os.path.join(units, "linehook-api.service")) as f:
        assert "StandardInput=socket" in f.read()


def test_installed_binaries_answer_without_a_database(pk):
    api = pk.path("/usr/bin/linehook-api")
    p = run([api, "--help"], env=pk.env())
    # built to read the installed config when no --config is given
    assert "/etc/linehook/webhooks.conf" in p.stdout and "setup" in p.stdout, p.stdout
    assert run([api, "--version"]).stdout.startswith("linehook-api ")
    assert run([pk.path("/usr/bin/linehook-worker"), "--version"]).stdout.startswith("linehook-worker ")
    assert "/etc/linehook/webhooks.conf" in run([pk.path("/usr/bin/linehook-worker"), "--help"]).stdout
    st = os.stat(pk.conf)
    assert stat.S_IMODE(st.st_mode) == 0o640, oct(st.st_mode)
    p = pk.api("print-config")
    assert "sql_dir = " + pk.path("/usr/share/linehook/sql") in p.stdout  # the override
    assert "allow_private_targets = true" in p.stdout


def start_mariadb(pk):
    data = os.path.join(pk.tmp, "mysql")
    run(["mariadb-install-db", "--no-defaults", "--datadir=" + data, "--user=" + run(["id", "-un"]).stdout.strip(),
         "--auth-root-authentication-method=socket", "--skip-test-db"], timeout=120)
    pk.start("mariadb", ["mariadbd", "--no-defaults", "--datadir=" + data, "--socket=" + pk.sock,
                         "--skip-networking", "--user=" + run(["id", "-un"]).stdout.strip(),
                         "--pid-file=" + os.path.join(pk.tmp, "mysql.pid"),
                         "--log-error=" + os.path.join(pk.tmp, "mysql.err"),
                         "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=2"])

    def up():
        return run(["mariadb-admin", "--no-defaults", "--socket=" + pk.sock, "-uroot", "ping"], check=False,
                   timeout=60).returncode == 0
    assert lib.wait_for(up, timeout=120, interval=0.2), "private MariaDB did not start"


def test_setup_prepares_the_database_idempotently(pk):
    start_mariadb(pk)
    p = pk.api("setup", "--socket", pk.sock)
    out = p.stdout
    assert "setup: database 'linehook' created" in out, out
    assert "setup: database password generated and written to " + pk.conf in out, out
    assert "setup: database user 'linehook'@'localhost' created" in out, out
    assert re.search(r"setup: \d+ migration\(s\) applied", out), out
    assert "setup: master key created at " + pk.path("/var/lib/linehook/master.key") in out, out
    assert out.rstrip().endswith("setup: done"), out
    with open(pk.conf) as f:
        text = f.read()
    pw = re.search(r"^db_password = (\S+)$", text, re.M).group(1)
    assert len(pw) >= 24 and pw not in out + p.stderr
    assert len(re.findall(r"^db_password\s*=", text, re.M)) == 1, text
    assert stat.S_IMODE(os.stat(pk.conf).st_mode) == 0o640  # kept by the rewrite
    assert "# Database: the system MariaDB" in text  # the comments survive
    assert stat.S_IMODE(os.stat(pk.path("/var/lib/linehook/master.key")).st_mode) == 0o600
    # the user really logs in with the written password, and sees only its database
    q = run(["mariadb", "--no-defaults", "--socket=" + pk.sock, "-ulinehook", "-p" + pw, "-N", "-e",
             "SELECT COUNT(*) FROM linehook.schema_migrations"])
    assert int(q.stdout.strip()) == len([n for n in os.listdir(pk.path("/usr/share/linehook/sql"))])
    # a second run changes nothing and says so
    again = pk.api("setup", "--socket", pk.sock).stdout
    for line in ("setup: database 'linehook' already present",
                 "setup: database user 'linehook'@'localhost' already present (password from the config kept)",
                 "setup: migrations already up to date",
                 "setup: master key already present at "):
        assert line in again, again
    with open(pk.conf) as f:
        assert f.read() == text
    assert pw not in pk.api("print-config").stdout  # masked


def start_fastcgi(pk):
    """What linehook-api.socket + .service do: the API with its listening socket as stdin."""
    os.makedirs(os.path.dirname(pk.api_sock), exist_ok=True)
    os.chmod(os.path.dirname(pk.api_sock), 0o755)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(pk.api_sock)
    s.listen(128)
    shutil.chown(pk.api_sock, group="www-data")
    os.chmod(pk.api_sock, 0o660)
    pk.api_proc = pk.start("api", [pk.path("/usr/bin/linehook-api"), "--config", pk.conf], stdin=s.fileno(),
                           env=pk.env())
    s.close()


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(c) for c in f.read().split()]


def installed(pk, path, subst):
    """The installed file at path with this machine's fixed places replaced (subst pairs)."""
    with open(pk.path(path)) as f:
        text = f.read()
    for a, b in subst:
        assert a in text, "%s no longer holds %r" % (path, a)
        text = text.replace(a, b)
    return text


def make_cert(pk):
    crt, key = os.path.join(pk.tmp, "snakeoil.pem"), os.path.join(pk.tmp, "snakeoil.key")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=linehook",
         "-keyout", key, "-out", crt])
    os.chmod(key, 0o644)  # Apache reads it as root here; the throwaway key guards nothing
    return crt, key


def start_apache(pk):
    pk.http_port, pk.tls_port = lib.free_port(), lib.free_port()
    pk.cert = crt, key = make_cert(pk)
    site = installed(pk, "/etc/apache2/sites-available/linehook.conf", [
        ("<VirtualHost *:80>", "<VirtualHost *:%d>" % pk.http_port),
        ("<VirtualHost *:443>", "<VirtualHost *:%d>" % pk.tls_port),
        ("/usr/share/linehook/www", pk.path("/usr/share/linehook/www")),
        ("unix:/run/linehook/api.sock|", "unix:%s|" % pk.api_sock),
        ("/etc/ssl/certs/ssl-cert-snakeoil.pem", crt), ("/etc/ssl/private/ssl-cert-snakeoil.key", key)])
    d = os.path.join(pk.tmp, "apache")
    os.makedirs(d)
    with open(os.path.join(d, "site.conf"), "w") as f:
        f.write(site)
    mods = ["mpm_event", "authz_core", "authz_host", "mime", "dir", "headers", "proxy", "proxy_fcgi", "ssl",
            "socache_shmcb"]
    conf = ["ServerRoot \"%s\"" % d, "DefaultRuntimeDir \"%s\"" % d, "PidFile \"%s/httpd.pid\"" % d,
            "ErrorLog \"%s/error.log\"" % d, "LogLevel warn", "Listen 127.0.0.1:%d" % pk.http_port,
            "Listen 127.0.0.1:%d" % pk.tls_port, "ServerName 127.0.0.1", "TypesConfig /etc/mime.types",
            "User www-data", "Group www-data", "StartServers 1", "ServerLimit 1", "ThreadsPerChild 8",
            "MaxRequestWorkers 8"]
    conf += ["LoadModule %s_module %s/mod_%s.so" % (m, MODS, m) for m in mods]
    conf += ["Include \"%s/site.conf\"" % d]
    with open(os.path.join(d, "httpd.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    run(["apache2", "-t", "-f", os.path.join(d, "httpd.conf")])
    pk.start("apache", ["apache2", "-f", os.path.join(d, "httpd.conf"), "-DFOREGROUND"])
    base = "http://127.0.0.1:%d" % pk.http_port
    wait_healthy(pk, base, "apache")
    return base


def test_api_through_the_installed_apache_site(pk):
    start_fastcgi(pk)
    pk.worker = pk.start("worker", [pk.path("/usr/bin/linehook-worker"), "--config", pk.conf], env=pk.env())
    base = start_apache(pk)
    pk.base = base
    # the database as the installed config reaches it; the status also counts the workers'
    # heartbeats, which this checks only for consistency
    status, headers, body = http(base + "/v2/health")
    health = json.loads(body)
    assert health["database"] == "ok", body
    assert (status, health["status"]) == ((200, "ok") if health["workers"]["alive"] > 0 else (503, "degraded")), body
    status, headers, body = http(base + "/")
    assert status == 200 and "<html" in body.lower()
    assert "default-src 'none'" in headers.get("Content-Security-Policy", ""), headers
    pk.account = pk.api("create-account", "Package test").stdout.strip()
    pk.key = pk.api("create-key", pk.account).stdout.strip()
    status, _, body = http(base + "/v2/webhooks", key="wrong")
    assert status == 401 and json.loads(body)["errorCode"], body
    status, _, body = http(base + "/v2/webhooks", key=pk.key)
    assert status == 200 and json.loads(body)["results"] == [], body
    # the same site over HTTPS (the TLS example, on a throwaway certificate in place of snakeoil)
    status, headers, body = http("https://127.0.0.1:%d/v2/webhooks" % pk.tls_port, key=pk.key, tls=True)
    assert status == 200 and json.loads(body)["results"] == [], body
    assert "nosniff" in headers.get("X-Content-Type-Options", "")
    # the installed config's fcgi_processes: that many processes share the socket
    assert re.search(r"^fcgi_processes = (\d+)$", pk.api("print-config").stdout, re.M).group(1) == "4"
    assert len(children(pk.api_proc.pid)) == 4, pk.log("api")


def test_api_process_restarts_when_one_dies(pk):
    """The supervisor starts a process again when one dies."""
    victim = children(pk.api_proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    assert lib.wait_for(lambda: victim not in children(pk.api_proc.pid) and len(children(pk.api_proc.pid)) == 4,
                        timeout=20), pk.log("api")
    assert http(pk.base + "/v2/webhooks", key=pk.key)[0] == 200


def test_installed_worker_delivers_an_event(pk):
    recv = lib.Receiver()
    try:
        status, _, body = http(pk.base + "/v2/webhooks", "POST", {"url": recv.url, "eventTypes": ["location.created"]},
                               key=pk.key)
        assert status in (200, 201), body
        webhook = json.loads(body)
        status, _, body = http(pk.base + "/v2/locations", "POST", {"name": "Package location"}, key=pk.key)
        assert status in (200, 201), body
        location = json.loads(body)
        got = lib.wait_for(lambda: recv.received(), timeout=30, interval=0.1)
        assert got, pk.log("worker")
        event = json.loads(got[0]["body"])
        assert event["type"] == "location.created" and event["data"]["id"] == location["id"], event
        assert got[0]["headers"].get("x-waitwhile-signature") and got[0]["headers"].get("webhook-signature")
        assert got[0]["headers"].get("user-agent", "").startswith("linehook/")
        assert webhook["secret"]  # the create answer shows it once
    finally:
        recv.close()


def test_api_through_the_installed_lighttpd_snippet(pk):
    port, tls_port = lib.free_port(), lib.free_port()
    crt, key = pk.cert
    snippet = installed(pk, "/etc/lighttpd/conf-available/50-linehook.conf", [
        ("/usr/share/linehook/www", pk.path("/usr/share/linehook/www")),
        ("/usr/share/linehook/errors/", pk.path("/usr/share/linehook/errors/")),
        ('"/run/linehook/api.sock"', '"%s"' % pk.api_sock),
        # its HTTPS example, uncommented as its comment says
        ('#server.modules += ("mod_openssl")', 'server.modules += ("mod_openssl")'),
        ('#$SERVER["socket"] == "0.0.0.0:443" {', '$SERVER["socket"] == "127.0.0.1:%d" {' % tls_port),
        ('#  ssl.engine = "enable"', '  ssl.engine = "enable"'),
        ('#  ssl.pemfile = "/etc/ssl/certs/ssl-cert-snakeoil.pem"', '  ssl.pemfile = "%s"' % crt),
        ('#  ssl.privkey = "/etc/ssl/private/ssl-cert-snakeoil.key"', '  ssl.privkey = "%s"' % key),
        ('\n#}\n', '\n}\n')])
    d = os.path.join(pk.tmp, "lighttpd")
    os.makedirs(d)
    shutil.chown(d, "www-data", "www-data")  # lighttpd opens its log after dropping to www-data
    with open(os.path.join(d, "50-linehook.conf"), "w") as f:
        f.write(snippet)
    # the shape of Debian's /etc/lighttpd/lighttpd.conf, with the snippet where conf-enabled/ is
    main = """server.modules = ("mod_indexfile", "mod_access", "mod_alias", "mod_redirect")
server.document-root = "/var/www/html"
server.errorlog = "%(d)s/error.log"
server.pid-file = "%(d)s/lighttpd.pid"
server.username = "www-data"
server.groupname = "www-data"
server.bind = "127.0.0.1"
server.port = %(port)d
index-file.names = ( "index.php", "index.html" )
url.access-deny = ( "~", ".inc" )
static-file.exclude-extensions = ( ".php", ".pl", ".fcgi" )
include_shell "/usr/share/lighttpd/create-mime.conf.pl"
include "%(d)s/50-linehook.conf"
server.modules += ( "mod_dirlisting", "mod_staticfile" )
""" % {"d": d, "port": port}
    with open(os.path.join(d, "lighttpd.conf"), "w") as f:
        f.write(main)
    run(["lighttpd", "-tt", "-f", os.path.join(d, "lighttpd.conf")])
    pk.start("lighttpd", ["lighttpd", "-D", "-f", os.path.join(d, "lighttpd.conf")])
    base = "http://127.0.0.1:%d" % port
    wait_healthy(pk, base, "lighttpd")
    status, headers, body = http(base + "/")
    assert status == 200 and "<html" in body.lower() and "default-src 'none'" in headers.get(
        "Content-Security-Policy", ""), (status, headers)
    status, _, body = http(base + "/v2/webhooks", key=pk.key)
    assert status == 200 and len(json.loads(body)["results"]) == 1, body
    status, headers, body = http("https://127.0.0.1:%d/v2/webhooks" % tls_port, key=pk.key, tls=True)
    assert status == 200 and len(json.loads(body)["results"]) == 1, body
    assert "default-src 'none'" in headers.get("Content-Security-Policy", "")


def test_worker_and_api_stop_on_sigterm(pk):
    os.killpg(pk.worker.pid, signal.SIGTERM)
    assert pk.worker.wait(timeout=30) == 0, pk.log("worker")
    procs = children(pk.api_proc.pid)
    os.kill(pk.api_proc.pid, signal.SIGTERM)
    assert pk.api_proc.wait(timeout=30) == 0, pk.log("api")
    for pid in procs:  # reaped by the supervisor before it exited
        assert not os.path.exists("/proc/%d" % pid), pid
    assert "all FastCGI processes stopped" in pk.log("api")


CASES = [test_make_deb_builds_the_package, test_lintian_finds_no_errors, test_package_holds_the_installed_layout,
         test_systemd_units_verify, test_installed_binaries_answer_without_a_database,
         test_setup_prepares_the_database_idempotently, test_api_through_the_installed_apache_site,
         test_api_process_restarts_when_one_dies, test_installed_worker_delivers_an_event,
         test_api_through_the_installed_lighttpd_snippet, test_worker_and_api_stop_on_sigterm]


def main():
    # The cases build on each other (the package, then its extracted root, then the database
    # setup prepared...), so they always run together, in order.
    pk = Package()
    passed = failed = 0
    broken = None  # once a case failed, the later ones fail too: never skipped
    try:
        for case in CASES:
            name = case.__name__
            start = time.time()
            try:
                if broken:
                    raise AssertionError("not run: %s failed before" % broken)
                case(pk)
                passed += 1
                print("ok   package/%s (%.1fs)" % (name, time.time() - start), flush=True)
            except Exception:
                failed += 1
                broken = broken or name
                print("FAIL package/%s" % name, flush=True)
                traceback.print_exc()
                sys.stdout.flush()
    finally:
        pk.close(keep=failed > 0)
        if failed:
            print("== package files kept in %s" % pk.tmp)
    print("package: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
