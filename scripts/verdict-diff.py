#!/usr/bin/env python3
"""Diff authcheck verdicts between two trees, check by check.

usage: scripts/verdict-diff.py [options] OLD NEW

OLD and NEW are git commit-ishes of this repository (exported with
`git archive` and built in a scratch directory) or paths of built trees
(a directory holding bin/authcheck and build/tests/mcp-oauth-mut). Each
tree runs its own whole scenario library with its own reference client
(`bin/mcp-oauth conformance`, authcheck's default) and with every
mutation of its mutation client (`MCP_OAUTH_MUTATION=<name>
build/tests/mcp-oauth-mut conformance`, the names its --help lists).
Then, for every (client, scenario, check), the two statuses are compared.

A check is *failing* when it is FAILURE or WARNING; a scenario when its
status is failed or error. Per client the report lists the scenarios
whose status changed and the checks that started failing ("gained") or
stopped failing ("lost"; a check absent from one side counts as not
failing there; a lost check is marked by whether its scenario still
fails). The reference client is expected to be unchanged and a mutation
to lose no failure; the exit status is 1 when the reference client's
verdicts changed or a scenario that failed under a mutation no longer
does, else 0 (2: usage or build error). Lost checks in scenarios that
still fail are listed for a person to explain (a check a scenario no
longer lists as key and that is not baseline).

options:
  -j N              scenarios at once per run (default 2)
  --mutations LIST  comma-separated mutation names (default: all that
                    both trees know)
  --scenario GLOB   passed to authcheck run (repeatable; default: all)
  --work DIR        scratch directory (default: a new one under /tmp)
  --markdown FILE   also write the report there
  --no-run          only diff the results an earlier run left in --work
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def die(msg):
    print("verdict-diff: " + msg, file=sys.stderr)
    sys.exit(2)


def prepare(tree, work, name):
    """A built tree for `tree` (a commit-ish or a directory): its path."""
    if os.path.isdir(tree):
        root = os.path.abspath(tree)
    else:
        root = os.path.join(work, name)
        os.makedirs(root, exist_ok=True)
        arch = subprocess.run(["git", "-C", REPO, "archive", tree],
                              stdout=subprocess.PIPE)
        if arch.returncode != 0:
            die("cannot export %s" % tree)
        subprocess.run(["tar", "-x", "-C", root], input=arch.stdout,
                       check=True)
    build = subprocess.run(["make", "-C", root, "-j2", "all",
                            "build/tests/mcp-oauth-mut"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if build.returncode != 0:
        die("building %s failed:\n%s" % (tree, build.stderr.decode()[-2000:]))
    return root


def mutations(root):
    """The mutation names `mcp-oauth-mut --help` lists."""
    out = subprocess.run([os.path.join(root, "build/tests/mcp-oauth-mut"),
                          "--help"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode()
    names, on = [], False
    for line in out.splitlines():
        if line.startswith("mutations"):
            on = True
        elif on and line.startswith("  ") and line.strip():
            names.append(line.split()[0])
    return names


def run(root, mutation, out, jobs, globs):
    """Run the suite of `root` with one client; the results document."""
    cmd = [os.path.join(root, "bin/authcheck"), "run", "-q", "-j", str(jobs),
           "--out", out]
    for g in globs:
        cmd += ["--scenario", g]
    if mutation is not None:
        mut = os.path.join(root, "build/tests/mcp-oauth-mut")
        cmd += ["--client-cmd", "MCP_OAUTH_MUTATION=%s %s conformance" %
                (mutation, shlex.quote(mut))]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, "results.json")) as f:
        return json.load(f)


def verdicts(doc):
    """{scenario: (status, {check: status})} of a results document."""
    v = {}
    for sc in doc.get("scenarios", []):
        v[sc["id"]] = (sc.get("status"),
                       {c["id"]: c["status"] for c in sc.get("checks", [])})
    return v


def failing(status):
    return status in ("FAILURE", "WARNING")


def diff(a, b):
    """Scenario status changes and gained / lost failing checks."""
    changed, gained, lost = [], [], []
    for sid in sorted(set(a) | set(b)):
        sa, ca = a.get(sid, ("absent", {}))
        sb, cb = b.get(sid, ("absent", {}))
        if sa != sb:
            changed.append((sid, sa, sb))
        for cid in sorted(set(ca) | set(cb)):
            xa, xb = ca.get(cid, "ABSENT"), cb.get(cid, "ABSENT")
            if failing(xb) and not failing(xa):
                gained.append((sid, cid, xa, xb))
            elif failing(xa) and not failing(xb):
                lost.append((sid, cid, xa, xb, sb))
    return changed, gained, lost


def report(rows, old, new):
    out = ["# Verdict diff: %s -> %s" % (old, new), "",
           "| client | scenarios changed | checks gained failing | "
           "checks lost failing |", "|---|---|---|---|"]
    detail = []
    for name, (changed, gained, lost) in rows:
        out.append("| %s | %d | %d | %d |" % (name, len(changed),
                                               len(gained), len(lost)))
        if changed or lost or (name == "reference" and gained):
            detail.append("## %s" % name)
            for sid, sa, sb in changed:
                detail.append("- scenario %s: %s -> %s" % (sid, sa, sb))
            for sid, cid, xa, xb in gained:
                detail.append("- gained %s / %s: %s -> %s" %
                              (sid, cid, xa, xb))
            for sid, cid, xa, xb, sb in lost:
                still = sb in ("failed", "error")
                detail.append("- lost %s / %s: %s -> %s%s" % (
                    sid, cid, xa, xb,
                    " (the scenario still fails)" if still else
                    " (the scenario is now %s)" % sb))
            detail.append("")
    return "\n".join(out + [""] + detail)


def main():
    ap = argparse.ArgumentParser(add_help=True, usage=__doc__)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--mutations")
    ap.add_argument("--scenario", action="append", default=[])
    ap.add_argument("--work")
    ap.add_argument("--markdown")
    ap.add_argument("--no-run", action="store_true")
    a = ap.parse_args()
    if a.no_run and not a.work:
        die("--no-run needs --work")
    work = a.work or tempfile.mkdtemp(prefix="verdict-diff-")
    if a.no_run:
        roots = [os.path.join(work, "old"), os.path.join(work, "new")]
    else:
        roots = [prepare(a.old, work, "old"), prepare(a.new, work, "new")]
    known = [set(mutations(r)) for r in roots]
    names = (a.mutations.split(",") if a.mutations
             else sorted(known[0] & known[1]))
    clients = [None] + names
    jobs = [(side, m) for m in clients for side in (0, 1)]

    def one(job):
        side, m = job
        out = os.path.join(work, "out", ("old", "new")[side], m or "reference")
        if a.no_run:
            with open(os.path.join(out, "results.json")) as f:
                return job, verdicts(json.load(f))
        return job, verdicts(run(roots[side], m, out, a.j, a.scenario))

    res = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for (side, m), v in pool.map(one, jobs):
            res[(side, m)] = v
            print("ran %s on %s" % (m or "reference", ("old", "new")[side]),
                  file=sys.stderr)
    rows = [(m or "reference", diff(res[(0, m)], res[(1, m)]))
            for m in clients]
    text = report(rows, a.old, a.new)
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text + "\n")
    ref = rows[0][1]
    caught_lost = any(sa in ("failed", "error") and sb not in ("failed",
                                                              "error")
                      for r in rows[1:] for _, sa, sb in r[1][0])
    bad = ref[0] or ref[1] or ref[2] or caught_lost
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
