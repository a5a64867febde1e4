"""The one config validation (common/config.c) as an admin meets it: both binaries and
print-config refuse the same bad values with FILE:LINE (or the environment variable),
near-miss WH_ variables are warned about, secrets are masked, --help and --version need no
database."""
import os
import re
import subprocess

import lib


def clean_env(**extra):
    """The environment without the test stack's WH_ overrides, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WH_")}
    env.update(extra)
    return env


def run(stack, binary, args, env=None, timeout=20):
    return subprocess.run([os.path.join(stack.build, binary)] + args, capture_output=True, text=True,
                          env=env if env is not None else clean_env(), timeout=timeout)


def write(stack, name, text):
    path = os.path.join(stack.var, name)
    with open(path, "w") as f:
        f.write(text)
    return path


BAD = [
    ("retry_schedule = 5,-3,0\n", ":1: retry_schedule: "),
    ("# the allow-list\nallow_cidrs = 10.0.0.0/33, banana\n", ":2: allow_cidrs: bad CIDR '10.0.0.0/33'"),
    ("allow_cidrs = 10.0.0.0/8, banana\n", ":1: allow_cidrs: bad CIDR 'banana'"),
    ("log_level = loud\n", ":1: log_level: "),
]


def test_both_binaries_and_print_config_refuse_the_same_values(stack):
    for i, (text, msg) in enumerate(BAD):
        path = write(stack, "bad%d.conf" % i, text)
        for binary, args in (("webhooks-api", ["--config", path, "print-config"]),
                             ("webhooks-api", ["--config", path, "migrate"]),
                             ("delivery-worker", ["--config", path])):
            p = run(stack, binary, args)
            assert p.returncode == 2, (binary, args, p.returncode, p.stderr)
            assert path + msg in p.stderr, (binary, text, p.stderr)
            assert p.stdout == "", p.stdout


def test_environment_override_is_named(stack):
    for binary, args in (("webhooks-api", ["print-config"]), ("delivery-worker", [])):
        p = run(stack, binary, args, env=clean_env(WH_RETRY_SCHEDULE="5,abc"))
        assert p.returncode == 2, p.stderr
        assert "environment WH_RETRY_SCHEDULE: retry_schedule: " in p.stderr, p.stderr
        assert "'5,abc'" in p.stderr


def test_near_miss_variable_is_warned_about(stack):
    p = run(stack, "webhooks-api", ["print-config"], env=clean_env(WH_RETENTION_DAY="3"))
    assert p.returncode == 0, p.stderr
    assert "WH_RETENTION_DAY is not a config key" in p.stderr and "did you mean WH_RETENTION_DAYS?" in p.stderr
    assert "retention_days = 30\n" in p.stdout  # ignored, so the default stays
    # the stack scripts' own variables and a real key raise no warning
    p = run(stack, "webhooks-api", ["print-config"], env=clean_env(WH_VAR="x", WH_HTTP_PORT="1", WH_DB_PORT="3310"))
    assert p.returncode == 0 and "WARN" not in p.stderr, p.stderr
    assert "db_port = 3310\n" in p.stdout


def test_print_config_masks_secrets(stack):
    path = write(stack, "secret.conf", "db_password = pw-Zq8vK2nXw4\n")
    p = run(stack, "webhooks-api", ["--config", path, "print-config"])
    assert p.returncode == 0, p.stderr
    assert "pw-Zq8vK2nXw4" not in p.stdout + p.stderr
    assert "db_password = ********\n" in p.stdout
    p = run(stack, "webhooks-api", ["--config", path, "print-config", "--show-secrets"])
    assert "db_password = pw-Zq8vK2nXw4\n" in p.stdout
    # the running stack's password is masked too
    p = run(stack, "webhooks-api", ["--config", stack.conf, "print-config"])
    with open(stack.conf) as f:
        real = [line for line in f if line.startswith("db_password = ")][0]
    assert real != "db_password = \n" and real not in p.stdout


def version():
    with open(os.path.join(lib.ROOT, "common", "version.h")) as f:
        return re.search(r'#define LINEHOOK_VERSION "([^"]+)"', f.read()).group(1)


def test_help_and_version_need_no_database(stack):
    # a config whose database and master key do not exist: nothing but the answer
    path = write(stack, "nodb.conf", "db_socket = /nonexistent/mysql.sock\nmaster_key_file = /nonexistent/key\n")
    for binary, args in (("webhooks-api", ["--help"]), ("webhooks-api", ["--config", path, "--help"]),
                         ("webhooks-api", ["--version"]), ("delivery-worker", ["--help"]),
                         ("delivery-worker", ["--version"])):
        p = run(stack, binary, args, timeout=30)
        assert p.returncode == 0, (args, p.stderr)
        assert p.stderr == "", p.stderr
        if "--version" in args:
            assert p.stdout.strip() == binary + " " + version(), p.stdout
        else:
            assert p.stdout.startswith("usage: "), p.stdout
    assert "print-config" in run(stack, "webhooks-api", ["--help"]).stdout
    p = run(stack, "webhooks-api", ["--config", path, "no-such-command"])
    assert p.returncode == 2 and "usage: " in p.stderr
