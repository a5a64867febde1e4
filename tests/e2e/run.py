"""Runs the end-to-end suites: every test_* function of tests/e2e/test_*.py, against the
stack that scripts/test.sh started. Prints one line per case and a total."""
import importlib.util
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    only = sys.argv[1:]  # optional: file or file::case filters
    stack = lib.Stack()
    passed = failed = 0
    for name in sorted(os.listdir(here)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        if only and not any(o.split("::")[0] in name for o in only):
            continue
        spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(here, name))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        cases = [c for c in dir(mod) if c.startswith("test_") and callable(getattr(mod, c))]
        cases.sort(key=lambda c: getattr(mod, c).__code__.co_firstlineno)
        for case in cases:
            if only and not any(("::" not in o) or o.split("::")[1] == case for o in only if o.split("::")[0] in name):
                continue
            start = time.time()
            try:
                getattr(mod, case)(stack)
                passed += 1
                print("ok   e2e/%s::%s (%.1fs)" % (name[:-3], case, time.time() - start), flush=True)
            except Exception:
                failed += 1
                print("FAIL e2e/%s::%s" % (name[:-3], case), flush=True)
                traceback.print_exc()
                sys.stdout.flush()
    print("e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
