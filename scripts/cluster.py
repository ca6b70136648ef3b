#!/usr/bin/env python3
"""Several advocate instances on one PostgreSQL behind HAProxy, under load and faults.

    scripts/cluster.py --binary target/debug/advocate

Run through scripts/cluster (which installs haproxy and python3-aiosmtpd and builds the binary).
Everything listens on 127.0.0.1; every loop is bounded in count and time. Exits non-zero when
a check fails, after printing every figure.
"""
import argparse
import collections
import concurrent.futures
import email
import email.policy
import http.client
import json
import os
import pathlib
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from aiosmtpd.controller import Controller

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SLUG = "end-qualified-immunity"
# Recorded Census answers (tests/fixtures/civic/census) the stand-in serves by name: each
# simulated supporter lives in one of these states.
PLACES = ["ma_named", "mo_match", "nh", "wy_at_large", "ne"]
LOOKUPS_PER_MINUTE = 30
OFFICE_PER_HOUR = 6
PURGE_INTERVAL_SECS = 10
REQUEST_TIMEOUT = 15
SERVERS = ["s1", "s2", "s3"]
KILLED = "s2"  # SIGKILL at 1/3 of the load, started again at 2/3
CUT = "s3"  # its PostgreSQL connections terminated once, half way


def log(*args):
    print(*args, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Figures:
    """Every request the load made: when, what, status, which server answered, how long."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []

    def add(self, **row):
        with self.lock:
            self.requests.append(row)


class Sink:
    """The SMTP sink: aiosmtpd keeps every mail it is given, with the time it arrived."""

    def __init__(self):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.mails = []
        self.confirm_links = {}

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        with self.cond:
            self.mails.append(
                {
                    "at": time.time(),
                    "rcpt": [r.lower() for r in envelope.rcpt_tos],
                    "message_id": (msg.get("Message-ID") or "").strip(),
                }
            )
            link = re.search(r"/confirm/([A-Za-z0-9_\-]+)", text)
            if link:
                for rcpt in envelope.rcpt_tos:
                    self.confirm_links[rcpt.lower()] = link.group(1)
            self.cond.notify_all()
        return "250 OK"

    def wait_for_link(self, address, within):
        deadline = time.time() + within
        with self.cond:
            while address not in self.confirm_links:
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.confirm_links[address]


class Cluster:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.procs = {}
        self.ports = {name: free_port() for name in SERVERS}
        self.lb_port = free_port()
        self.admin = os.environ.get(
            "ADVOCATE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
        )
        self.db = f"adv_test_cluster_{os.getpid()}"
        parts = urllib.parse.urlsplit(self.admin)
        self.db_url = urllib.parse.urlunsplit(parts._replace(path="/" + self.db, query=""))
        self.sink = Sink()
        self.smtp = None

    # --- processes -------------------------------------------------------------------------

    def psql(self, sql, db=None):
        url = self.admin if db is None else self.db_url
        out = subprocess.run(
            ["psql", url, "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr.strip()}")
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def env(self, name):
        census = f"http://127.0.0.1:{self.census_port}/geocoder"
        env = dict(os.environ)
        env.update(
            {
                "ADVOCATE__SERVER__BIND": f"127.0.0.1:{self.ports.get(name, free_port())}",
                "ADVOCATE__SERVER__PUBLIC_URL": f"http://127.0.0.1:{self.lb_port}",
                "ADVOCATE__SERVER__TRUSTED_PROXIES": "127.0.0.1/32",
                "ADVOCATE__DATABASE__URL": f"{self.db_url}?application_name=adv-{name}",
                "ADVOCATE__DATABASE__MAX_CONNECTIONS": "8",
                "ADVOCATE__CIVIC__PROVIDERS": "census",
                "ADVOCATE__CIVIC__CENSUS_URL": census,
                "ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE": str(LOOKUPS_PER_MINUTE),
                "ADVOCATE__LIMITS__OFFICE_PER_HOUR": str(OFFICE_PER_HOUR),
                "ADVOCATE__SMTP__URL": f"smtp://127.0.0.1:{self.smtp_port}",
                "ADVOCATE__SMTP__FROM_ADDRESS": "advocate@example.org",
                "ADVOCATE__OUTBOX__WORKER": "false",
                "ADVOCATE__OUTBOX__POLL_INTERVAL_MS": "200",
                "ADVOCATE__OUTBOX__PURGE_INTERVAL_SECS": str(PURGE_INTERVAL_SECS),
                "ADVOCATE__DIRECTORY__SYNC_ON_START": "false",
                "ADVOCATE__LOG__FORMAT": "json",
                "ADVOCATE__LOG__LEVEL": "warn",
            }
        )
        return env

    def start(self, name, args):
        logf = open(self.work / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [self.args.binary, *args],
            env=self.env(name),
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_healthy(self, name, within=60):
        deadline = time.time() + within
        while time.time() < deadline:
            if self.procs[name].poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.ports[name], timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.fail_with_log(name, f"{name} did not become healthy")

    def fail_with_log(self, name, why):
        log(f"FAILED: {why}; the end of its log:")
        path = self.work / f"{name}.log"
        if path.exists():
            log("\n".join(path.read_text(errors="replace").splitlines()[-40:]))
        raise SystemExit(1)

    def setup(self):
        self.psql(f'CREATE DATABASE "{self.db}"')
        self.smtp_port = free_port()
        self.smtp = Controller(self.sink, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()
        port_file = self.work / "census.port"
        self.procs["census"] = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts/census-standin.py"), str(port_file)],
            stdin=subprocess.DEVNULL,
        )
        for _ in range(100):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        self.census_port = int(port_file.read_text())
        # The directory from the shared datasets (this also migrates and seeds the database).
        started = time.time()
        imported = subprocess.run(
            [
                self.args.binary,
                "directory",
                "import",
                "--congress",
                str(DATA / "congress-legislators/legislators-current.json"),
                "--openstates",
                str(DATA / "openstates-people/data"),
                "--districts",
                str(DATA / "openstates-geo/configs"),
                "--zips",
                str(DATA / "us-zipcodes-congress/zccd.csv"),
            ],
            env=self.env("import"),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if imported.returncode != 0:
            log(imported.stdout, imported.stderr)
            raise SystemExit("FAILED: directory import")
        log(f"directory imported in {time.time() - started:.1f}s")
        for name in SERVERS:
            self.start(name, ["serve"])
        self.start("worker", ["worker"])
        for name in SERVERS:
            self.wait_healthy(name)
        cfg = self.work / "haproxy.cfg"
        servers = "\n".join(
            f"    server {n} 127.0.0.1:{self.ports[n]} check inter 500ms fall 2 rise 2"
            for n in SERVERS
        )
        cfg.write_text(
            f"""global
    maxconn 1024
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    option forwardfor
frontend front
    bind 127.0.0.1:{self.lb_port}
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /healthz
    http-response set-header X-Served-By %s
{servers}
"""
        )
        haproxy = "/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else "haproxy"
        self.procs["haproxy"] = subprocess.Popen(
            [haproxy, "-db", "-f", str(cfg)],
            stdout=open(self.work / "haproxy.log", "ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                status, _, _ = self.request("GET", "/healthz", "127.0.0.1")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.fail_with_log("haproxy", "HAProxy did not answer")

    def teardown(self):
        for name, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM if name != "haproxy" else signal.SIGUSR1)
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self.smtp is not None:
            self.smtp.stop()
        try:
            self.psql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            log(f"could not drop {self.db}: {err}")

    # --- requests through the balancer -----------------------------------------------------

    def request(self, method, path, client, body=None, form=None):
        headers = {"X-Forwarded-For": client, "Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.lb_port}"
        conn = http.client.HTTPConnection("127.0.0.1", self.lb_port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=data, headers=headers)
            res = conn.getresponse()
            raw = res.read()
            return res.status, res.getheader("X-Served-By"), raw
        finally:
            conn.close()


class Load:
    def __init__(self, cluster, seconds, rate, seed):
        self.c = cluster
        self.seconds = seconds
        self.rate = rate
        self.rng = random.Random(seed)
        self.figures = Figures()
        self.t0 = None
        self.run_id = f"{os.getpid()}"
        self.journeys = collections.Counter()
        self.confirmed = []  # (email, submission id)
        self.problems = []
        self.lock = threading.Lock()
        self.events = {}

    def now(self):
        return time.time() - self.t0

    def call(self, kind, method, path, client, **kw):
        started = time.time()
        status, served, raw = None, None, b""
        try:
            status, served, raw = self.c.request(method, path, client, **kw)
        except (OSError, http.client.HTTPException) as err:
            status, raw = 0, str(err).encode()
        self.figures.add(
            at=started - self.t0,
            kind=kind,
            status=status,
            served=served,
            ms=(time.time() - started) * 1000,
        )
        return status, raw

    def journey(self, n, what):
        client = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        place = PLACES[n % len(PLACES)]
        address = f"{n} Main St [{place}]"
        query = urllib.parse.urlencode({"address": address})
        status, raw = self.call("lookup", "GET", f"/api/v1/campaigns/{SLUG}/targets?{query}", client)
        if status != 200:
            return self.note(what, f"lookup {status}")
        targets = json.loads(raw)["targets"]
        emailable = [t["id"] for t in targets if t.get("email")]
        if what == "lookup":
            return self.note(what, "ok")
        supporter = f"s{n}.{self.run_id}@example.org"
        body = {
            "name": f"Supporter {n}",
            "email": supporter,
            "address": address,
            "targets": [t["id"] for t in targets][:20],
            "mode": "draft",
        }
        if what == "draft" or not emailable:
            status, raw = self.call("draft", "POST", f"/api/v1/campaigns/{SLUG}/messages", client, body=body)
            if status != 200:
                return self.note("draft", f"draft {status}")
            links = [d["mailto"] or d["contact_form"] for d in json.loads(raw)["drafts"]]
            link = next((l for l in links if l), None)
            if link:
                path = urllib.parse.urlsplit(link).path
                status, _ = self.call("follow", "GET", path, client)
                if status != 303:
                    return self.note("draft", f"follow {status}")
            return self.note("draft", "ok")
        body.update({"mode": "send", "targets": emailable})
        status, raw = self.call("send", "POST", f"/api/v1/campaigns/{SLUG}/messages", client, body=body)
        if status != 202:
            return self.note("send", f"send {status}")
        submission = json.loads(raw)["id"]
        token = self.c.sink.wait_for_link(supporter, within=45)
        if token is None:
            return self.note("send", "no confirmation mail")
        status, _ = self.call("confirm", "POST", f"/confirm/{token}", client, form={})
        if status != 303:
            return self.note("send", f"confirm {status}")
        with self.lock:
            self.confirmed.append((supporter, submission))
        return self.note("send", "ok")

    def note(self, what, outcome):
        with self.lock:
            self.journeys[(what, outcome)] += 1

    def limit_probe(self):
        """One client, 40 lookups in a row through the balancer (spread over the instances)."""
        client = "10.255.255.1"
        query = urllib.parse.urlencode({"address": "1 Probe St [ma_named]"})
        statuses = collections.Counter()
        for _ in range(LOOKUPS_PER_MINUTE + 10):
            status, _ = self.call("probe", "GET", f"/api/v1/campaigns/{SLUG}/targets?{query}", client)
            statuses[status] += 1
        self.events["probe"] = statuses

    def faults(self, stop):
        third = self.seconds / 3
        if stop.wait(max(0.0, self.t0 + third - time.time())):
            return
        self.c.procs[KILLED].send_signal(signal.SIGKILL)
        self.c.procs[KILLED].wait(timeout=10)
        self.events["killed_at"] = self.now()
        log(f"{self.now():5.1f}s  SIGKILL {KILLED}")
        if stop.wait(max(0.0, self.t0 + self.seconds / 2 - time.time())):
            return
        cut = self.c.psql(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE application_name = 'adv-{CUT}' AND pid <> pg_backend_pid()"
        )
        self.events["cut_at"] = self.now()
        log(f"{self.now():5.1f}s  terminated {cut[0][0]} PostgreSQL connections of {CUT}")
        if stop.wait(max(0.0, self.t0 + 2 * third - time.time())):
            return
        self.c.start(KILLED, ["serve"])
        self.c.wait_healthy(KILLED)
        self.events["restarted_at"] = self.now()
        log(f"{self.now():5.1f}s  {KILLED} started again")

    def run(self):
        self.t0 = time.time()
        stop = threading.Event()
        faults = threading.Thread(target=self.faults, args=(stop,), daemon=True)
        faults.start()
        kinds = ["lookup"] * 4 + ["draft"] * 3 + ["send"] * 3
        total = int(self.seconds * self.rate)
        with concurrent.futures.ThreadPoolExecutor(max_workers=128) as pool:
            probe = pool.submit(self.limit_probe)
            futures = []
            for n in range(total):
                due = self.t0 + 1 + n / self.rate
                delay = due - time.time()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(self.journey, n + 1, self.rng.choice(kinds)))
            self.events["load_ended"] = self.now()
            for f in futures + [probe]:
                try:
                    f.result(timeout=120)
                except Exception as err:  # a bug in the load itself: report, do not hide
                    self.problems.append(f"journey raised {err!r}")
        stop.set()
        faults.join(timeout=60)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def check(cluster, load, drained_in):
    failures = []
    reqs = load.figures.requests
    ok = lambda cond, what: None if cond else failures.append(what)

    # Throughput and latency through the balancer.
    span = max(r["at"] for r in reqs) - min(r["at"] for r in reqs)
    lat = [r["ms"] for r in reqs if r["status"] and r["status"] < 500]
    log(
        f"requests: {len(reqs)} in {span:.1f}s ({len(reqs) / span:.1f}/s); "
        f"latency p50 {percentile(lat, 50):.1f} ms, p99 {percentile(lat, 99):.1f} ms"
    )
    by_kind = collections.Counter((r["kind"], r["status"]) for r in reqs)
    log("by kind and status: " + ", ".join(f"{k}={s}:{n}" for (k, s), n in sorted(by_kind.items(), key=str)))
    log("journeys: " + ", ".join(f"{w} {o}: {n}" for (w, o), n in sorted(load.journeys.items())))
    for p in load.problems:
        failures.append(p)

    # No 5xx from the instances that stayed up; the killed one's (and the balancer's own
    # answers while it noticed) excepted only around the kill.
    killed_at = load.events.get("killed_at", 0)
    bad = []
    for r in reqs:
        if r["status"] and r["status"] < 500:
            continue
        near_kill = killed_at - 1 <= r["at"] <= killed_at + 5
        if r["served"] in (None, KILLED) and near_kill:
            continue
        bad.append(r)
    log(f"5xx or failed requests outside the killed instance's window: {len(bad)}")
    for r in bad[:10]:
        log(f"   {r}")
    ok(not bad, f"{len(bad)} requests failed on instances that stayed up")
    failed_journeys = {k: n for k, n in load.journeys.items() if k[1] != "ok"}
    # Journeys that met the kill may fail; others may not.
    near = sum(1 for r in reqs if (r["status"] == 0 or r["status"] >= 500))
    ok(sum(failed_journeys.values()) <= near, f"journeys failed beyond the kill: {failed_journeys}")

    # The per-client limit across instances.
    probe = load.events.get("probe", collections.Counter())
    log(f"one client's {LOOKUPS_PER_MINUTE + 10} lookups through the balancer: {dict(probe)}")
    ok(
        probe.get(200) == LOOKUPS_PER_MINUTE and probe.get(429) == 10,
        f"per-client limit: expected {LOOKUPS_PER_MINUTE} x 200 and 10 x 429, got {dict(probe)}",
    )

    # Every confirmed message delivered, or waiting on its office's cap; none lost.
    rows = cluster.psql(
        "SELECT o.id, o.message_id, o.legislator_id, o.status, o.to_address IS NULL, "
        "COALESCE(o.next_attempt_at, 0) FROM outbox o JOIN submissions s ON s.id = o.submission_id "
        "WHERE o.kind = 'message' AND s.status = 'confirmed'",
        db=True,
    )
    confirmed_ids = {sub for _, sub in load.confirmed}
    stored_subs = {r[0] for r in cluster.psql("SELECT id FROM submissions WHERE status = 'confirmed'", db=True)}
    lost_subs = confirmed_ids - stored_subs
    ok(not lost_subs, f"{len(lost_subs)} confirmed submissions are not confirmed in the database")
    status = collections.Counter(r[3] for r in rows)
    log(f"confirmed messages: {len(rows)} by status {dict(status)}; drained in {drained_in:.1f}s")
    delivered = collections.Counter(m["message_id"] for m in cluster.sink.mails)
    sent_ids = {r[1] for r in rows if r[3] == "sent"}
    missing = [mid for mid in sent_ids if mid not in delivered]
    ok(not missing, f"{len(missing)} messages marked sent never reached the sink")
    ok(status.get("failed", 0) == 0, f"{status.get('failed', 0)} confirmed messages failed")
    ok(status.get("sending", 0) == 0, f"{status.get('sending', 0)} messages still sending")
    now = time.time()
    due_left = [r for r in rows if r[3] == "queued" and int(r[5]) <= now]
    ok(not due_left, f"{len(due_left)} confirmed messages due but not delivered")
    waiting = [r for r in rows if r[3] == "queued"]
    dupes = sum(n - 1 for n in delivered.values() if n > 1)
    log(f"delivered {len(sent_ids)}, waiting on the office cap {len(waiting)}, duplicate deliveries {dupes}")
    all_ids = {r[0] for r in cluster.psql("SELECT message_id FROM outbox", db=True)}
    strangers = [mid for mid in delivered if mid not in all_ids]
    ok(not strangers, f"{len(strangers)} delivered mails match no outbox row")

    # The per-office cap in any hour (the run is shorter than an hour: all of it), across
    # every instance, counted at the sink by distinct Message-ID.
    per_office = collections.defaultdict(set)
    office_of = {r[1]: r[2] for r in rows}
    for m in cluster.sink.mails:
        office = office_of.get(m["message_id"])
        if office:
            per_office[office].add(m["message_id"])
    most = max((len(v) for v in per_office.values()), default=0)
    log(f"offices written to: {len(per_office)}; most delivered to one office: {most} (cap {OFFICE_PER_HOUR}/h)")
    ok(most <= OFFICE_PER_HOUR, f"an office received {most} messages in an hour (cap {OFFICE_PER_HOUR})")
    ok(waiting, "no message waited on the cap: the load did not reach it")

    # The purge: one instance at a time, once per interval.
    runs = cluster.psql(
        "SELECT to_regclass('job_runs') IS NOT NULL", db=True
    )
    if runs and runs[0][0] == "t":
        rows = cluster.psql(
            "SELECT instance, started_at FROM job_runs WHERE job = 'purge' ORDER BY started_at", db=True
        )
        starts = [float(r[1]) for r in rows]
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        instances = collections.Counter(r[0] for r in rows)
        log(f"purge runs: {len(rows)} by {dict(instances)}; shortest gap {min(gaps, default=0):.1f}s")
        ok(rows, "the purge never ran")
        ok(all(g >= PURGE_INTERVAL_SECS * 0.5 for g in gaps), f"purge ran twice within an interval: {gaps}")
    else:
        failures.append("no job_runs table: cannot tell how often the purge ran")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("CLUSTER_SECONDS", 60)))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("CLUSTER_RATE", 6)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CLUSTER_SEED", 1)))
    args = parser.parse_args()
    if not (1 <= args.seconds <= 120 and 0 < args.rate <= 50):
        raise SystemExit("seconds must be 1..120 and rate 0..50 (the load is bounded)")
    work = pathlib.Path(tempfile.mkdtemp(prefix="advocate-cluster-"))
    cluster = Cluster(args, work)
    failures = ["did not finish"]
    try:
        cluster.setup()
        log(
            f"3 instances + 1 worker on {cluster.db} behind HAProxy 127.0.0.1:{cluster.lb_port}; "
            f"{args.seconds:.0f}s at {args.rate}/s"
        )
        load = Load(cluster, args.seconds, args.rate, args.seed)
        load.run()
        # Drain: everything due is delivered (what waits on the cap stays queued).
        started = time.time()
        while time.time() - started < 60:
            due = cluster.psql(
                "SELECT count(*) FROM outbox WHERE status = 'sending' OR "
                f"(status = 'queued' AND next_attempt_at <= {int(time.time())})",
                db=True,
            )
            if int(due[0][0]) == 0:
                break
            time.sleep(0.5)
        failures = check(cluster, load, time.time() - started)
    finally:
        cluster.teardown()
        for name in [*SERVERS, "worker"]:
            path = work / f"{name}.log"
            errors = [l for l in path.read_text(errors="replace").splitlines() if '"ERROR"' in l] if path.exists() else []
            if errors:
                log(f"{name} logged {len(errors)} errors, e.g. {errors[0][:300]}")
    if failures:
        log("FAILED:\n  " + "\n  ".join(failures))
        log(f"logs kept in {work}")
        raise SystemExit(1)
    log("cluster: all checks passed")
    subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
