"""`webhooks-api setup` (installed as `linehook-api setup`) against the test stack's MariaDB,
as its root over the unix socket, with a database and user of its own so the stack's are
untouched. tests/package runs it too, from the extracted Debian package."""
import os
import pwd
import re
import stat
import subprocess

import lib

NAME = "lh_setup_e2e"


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("WH_") or k == "WH_VAR"}


def write_conf(stack, password=""):
    path = os.path.join(stack.var, "setup.conf")
    with open(path, "w") as f:
        f.write("# setup test\ndb_socket = %s\ndb_name = %s\ndb_user = %s\ndb_password = %s\n"
                "sql_dir = %s\nmaster_key_file = %s\n" % (
                    os.path.join(stack.var, "mysql.sock"), NAME, NAME, password, os.path.join(lib.ROOT, "sql"),
                    os.path.join(stack.var, "setup.key")))
    os.chmod(path, 0o640)
    return path


def setup(stack, path, *extra):
    p = subprocess.run([os.path.join(stack.build, "webhooks-api"), "--config", path, "setup"] + list(extra),
                       capture_output=True, text=True, env=clean_env(), timeout=120)
    assert "Sanitizer" not in p.stderr and "runtime error:" not in p.stderr, p.stderr
    return p


def drop(stack):
    stack.sql("DROP DATABASE IF EXISTS %s" % NAME)
    stack.sql("DROP USER IF EXISTS '%s'@'localhost'" % NAME)
    key = os.path.join(stack.var, "setup.key")
    if os.path.exists(key):
        os.unlink(key)


def test_setup_creates_then_changes_nothing(stack):
    drop(stack)
    try:
        path = write_conf(stack)
        p = setup(stack, path, "--owner", "www-data")  # the package's default owner is linehook
        assert p.returncode == 0, p.stderr
        out = p.stdout
        key = os.stat(os.path.join(stack.var, "setup.key"))
        assert key.st_uid == pwd.getpwnam("www-data").pw_uid and stat.S_IMODE(key.st_mode) == 0o600
        assert "setup: master key created at %s, owned by www-data" % os.path.join(stack.var, "setup.key") in out
        assert "setup: database '%s' created" % NAME in out, out
        assert "setup: database password generated and written to " + path in out, out
        assert "setup: database user '%s'@'localhost' created" % NAME in out, out
        assert re.search(r"setup: [1-9]\d* migration\(s\) applied", out), out
        assert "setup: master key created at " in out and out.rstrip().endswith("setup: done"), out
        with open(path) as f:
            text = f.read()
        pw = re.search(r"^db_password = ([A-Za-z0-9]{32})$", text, re.M).group(1)
        assert pw not in p.stdout + p.stderr
        assert text.startswith("# setup test\n") and stat.S_IMODE(os.stat(path).st_mode) == 0o640
        n = stack.sql("SELECT COUNT(*) FROM %s.schema_migrations" % NAME)[0][0]
        assert int(n) == len([x for x in os.listdir(os.path.join(lib.ROOT, "sql")) if x.endswith(".sql")])
        again = setup(stack, path)
        assert again.returncode == 0, again.stderr
        assert "setup: database '%s' already present" % NAME in again.stdout
        assert "already present (password from the config kept)" in again.stdout
        assert "setup: migrations already up to date" in again.stdout
        assert "setup: master key already present" in again.stdout
        with open(path) as f:
            assert f.read() == text
    finally:
        drop(stack)


def test_setup_with_a_wrong_password_says_how_to_recover(stack):
    drop(stack)
    try:
        path = write_conf(stack)
        assert setup(stack, path).returncode == 0
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(re.sub(r"^db_password = .*$", "db_password = notTheRightOne", text, flags=re.M))
        p = setup(stack, path)
        assert p.returncode == 1, p.stdout + p.stderr
        assert "empty db_password in %s and run setup again" % path in p.stderr, p.stderr
        assert "notTheRightOne" not in p.stdout + p.stderr
        # emptied: a new password is generated and given to the existing user
        write_conf(stack)
        p = setup(stack, path)
        assert p.returncode == 0, p.stderr
        assert "setup: database user '%s'@'localhost' given the new password" % NAME in p.stdout, p.stdout
    finally:
        drop(stack)


def test_setup_refuses_bad_input_and_changes_nothing(stack):
    drop(stack)
    path = write_conf(stack)
    with open(path, "a") as f:
        f.write("db_name = bad-name;\n")
    p = setup(stack, path)
    assert p.returncode == 2 and "db_name and db_user must be" in p.stderr, p.stderr
    assert stack.sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'bad%'")[0][0] == "0"
    p = subprocess.run([os.path.join(stack.build, "webhooks-api"), "setup"], capture_output=True, text=True,
                       env=clean_env(), timeout=30)
    assert p.returncode == 2 and "--config FILE" in p.stderr, p.stderr
    p = setup(stack, write_conf(stack), "--sock", "x")
    assert p.returncode == 2 and "usage:" in p.stderr, p.stderr
    p = setup(stack, write_conf(stack), "--socket", os.path.join(stack.var, "no-such.sock"))
    assert p.returncode == 1 and "cannot connect to MariaDB as root over" in p.stderr, p.stderr
    assert stack.sql("SELECT COUNT(*) FROM mysql.user WHERE User = '%s'" % NAME)[0][0] == "0"
