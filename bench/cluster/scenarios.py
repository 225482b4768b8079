"""The scenarios, each a function of the running cluster that returns its counts (a dict
with "ok" and "problems"): sends with one and two worker hosts, a worker host killed,
PostgreSQL and Redis restarted, a web host down, two clocks."""

from __future__ import annotations

import signal
import threading
import time

import sqlalchemy as sa

from bench.cluster import data
from bench.send_issue import Admin

ADMIN_PAGES = ["/admin/", "/admin/issues", "/admin/subscribers"]
#: seconds the editor works before web1 dies, and after the proxy marked it down
WEB_WINDOW = 3.0


def _send(cluster, title: str) -> int:
    issue_id = data.new_issue(cluster.app, cluster.ids["all"], title)
    status = data.send_via_api(cluster.proxy.url, cluster.ids["token"], issue_id)
    assert status == 202, status
    return issue_id


def _counts(cluster, issue_id: int, recipients: int, bound: int) -> data.Counts:
    by_address = {address: host for host, address in cluster.net.hosts.items()}
    return data.count(cluster.engine, cluster.sink, issue_id, recipients, bound, by_address)


def _result(counts: data.Counts, **extra) -> dict:
    out = counts.as_dict() | extra
    out["ok"] = not counts.problems and not extra.get("extra_problems")
    if extra.get("extra_problems"):
        out["problems"] = counts.problems + extra.pop("extra_problems")
    return out


def send(cluster, worker_hosts: int | None = None) -> dict:
    """A send to everyone; with `worker_hosts` = 1 the second worker host is stopped
    for it (and started again after). The rate is messages over the time from the
    API call to the issue's "sent"."""
    a = cluster.args
    stopped = []
    if worker_hosts == 1:
        for host in cluster.worker_hosts()[1:]:
            cluster.procs.pop(host).stop(signal.SIGTERM)
            stopped.append(host)
    hosts_now = len(cluster.worker_hosts())
    started = time.monotonic()
    issue_id = _send(cluster, f"Versand {hosts_now} Worker-Hosts")
    data.wait_sent(cluster.engine, issue_id, a.timeout)
    seconds = time.monotonic() - started
    counts = _counts(cluster, issue_id, a.subscribers, 0)
    for host in stopped:
        cluster.start_worker(host)
    return _result(
        counts,
        worker_hosts=hosts_now,
        seconds=round(seconds, 1),
        rate=round(a.subscribers / seconds, 1),
    )


def _mid_send(
    cluster, title: str, fault, bound: int, *, working: str | None = None
) -> tuple[int, dict, data.Counts]:
    """Start a send, strike with `fault()` when a fifth has gone out (and the host
    `working` has sent some of it), wait for "sent"."""
    a = cluster.args
    issue_id = _send(cluster, title)
    data.wait_sent_count(cluster.engine, issue_id, max(1, a.subscribers // 5), a.timeout)
    if working is not None:
        _wait_host_sent(cluster, working, a.timeout)
    info = fault() or {}
    info["recovered_s"] = round(data.wait_sent(cluster.engine, issue_id, a.timeout), 1)
    return issue_id, info, _counts(cluster, issue_id, a.subscribers, bound)


def _wait_host_sent(cluster, host: str, timeout: float) -> None:
    """Until the sink has a message from `host`. An idle Dramatiq consumer looks at
    the queue about once a second, and a fast send can be a fifth through before the
    second host's first look: killed then, it would have held nothing."""
    address = cluster.net.hosts[host]
    deadline = time.monotonic() + timeout
    while not any(peer == address for _rcpt, _sender, peer in cluster.sink.received()):
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{host} sent nothing within {timeout} s")
        time.sleep(0.05)


def kill_worker(cluster) -> dict:
    """The last worker host dies (SIGKILL of all its processes, its link cut) mid-send;
    the sweeper hands what it held to the other host. Started again afterwards."""
    host = cluster.worker_hosts()[-1]

    def fault():
        return {"killed_host": host, "killed_processes": cluster.kill_host(host)}

    _issue, info, counts = _mid_send(
        cluster, "Worker-Host stirbt", fault, cluster.in_flight_bound(1), working=host
    )
    cluster.net.mend(host)
    cluster.start_worker(host)
    return _result(counts, **info)


def restart_postgresql(cluster) -> dict:
    """PostgreSQL stopped (fast shutdown: every connection cut) and started again."""

    def fault():
        cluster.pg.stop(signal.SIGINT)
        time.sleep(cluster.args.outage)  # the outage itself
        cluster.pg.start()
        return {"outage_s": cluster.args.outage}

    bound = cluster.in_flight_bound(len(cluster.worker_hosts()))
    _issue, info, counts = _mid_send(cluster, "PostgreSQL-Neustart", fault, bound)
    return _result(counts, **info)


def restart_broker(cluster) -> dict:
    """The broker killed (SIGKILL; Redis with its append-only file) and started again."""

    def fault():
        cluster.broker.stop(signal.SIGKILL)
        time.sleep(cluster.args.outage)
        cluster.broker.start()
        return {"outage_s": cluster.args.outage, "broker": cluster.args.broker}

    bound = cluster.in_flight_bound(len(cluster.worker_hosts()))
    _issue, info, counts = _mid_send(cluster, "Broker-Neustart", fault, bound)
    return _result(counts, **info)


def web_down(cluster) -> dict:
    """An editor works through the proxy while web1 dies; the health check routes
    around it. Counts the editor's requests and errors before, during and after."""
    from bench.cluster import hosts

    admin = Admin(cluster.proxy.url)
    admin.login(data.EDITOR, data.PASSWORD)
    statuses: list[tuple[float, int]] = []
    stop = threading.Event()

    def work():
        while not stop.is_set():
            for page in ADMIN_PAGES:
                try:
                    status, _ms = admin.get(page, timeout=30)
                except OSError:
                    status = 0
                statuses.append((time.monotonic(), status))

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    time.sleep(WEB_WINDOW)
    killed_at = time.monotonic()
    # its processes die first (the kernel resets their connections, as when gunicorn
    # crashes), then its link: the proxy retries on web2 what web1 held
    cluster.kill_host("web1", cut_first=False)
    deadline = time.monotonic() + 30
    while cluster.proxy.servers().get("web1") != "DOWN" and time.monotonic() < deadline:
        time.sleep(0.05)
    down_after = time.monotonic() - killed_at
    time.sleep(WEB_WINDOW)
    stop.set()
    worker.join(15)
    seen = cluster.proxy.servers()
    failed = [s for _t, s in statuses if s != 200]
    errors = len(failed)
    cluster.net.mend("web1")
    cluster.procs["web1"] = hosts.start_web(
        cluster.net, "web1", cluster.tmp, cluster.env, cluster.args.web_workers
    )
    hosts.wait_web(cluster.net, cluster.procs["web1"])
    cluster.wait_proxy_up(2)
    problems = []
    if errors:
        problems.append(f"{errors} of the editor's requests failed")
    if seen.get("web1") != "DOWN":
        problems.append(f"the proxy still sees web1 as {seen.get('web1')}")
    return {
        "requests": len(statuses),
        "during_outage": sum(1 for t, _s in statuses if killed_at <= t <= killed_at + down_after),
        "errors": errors,
        "error_statuses": sorted(set(failed)),
        "marked_down_after_s": round(down_after, 2),
        "proxy": seen,
        "web1_back": cluster.proxy.servers().get("web1"),
        "ok": not problems,
        "problems": problems,
    }


def two_clocks(cluster) -> dict:
    """Both clock hosts tick: a scheduled issue starts once, each recipient gets one
    copy. Then clock1 dies: clock2's ticks alone start the next one."""
    a = cluster.args
    first = data.new_issue(cluster.app, cluster.ids["small"], "Zwei Uhren")
    data.schedule(cluster.app, first, 2 * a.tick_seconds)
    data.wait_sent(cluster.engine, first, a.timeout)
    both = _counts(cluster, first, a.small, 0)
    cluster.kill_host("clock1")
    second = data.new_issue(cluster.app, cluster.ids["small"], "Eine Uhr")
    data.schedule(cluster.app, second, 2 * a.tick_seconds)
    took_over = data.wait_sent(cluster.engine, second, a.timeout)
    one = _counts(cluster, second, a.small, 0)
    starts = _audit_starts(cluster, (first, second))
    problems = both.problems + one.problems
    problems += [f"issue {i} started {n} times" for i, n in starts.items() if n != 1]
    return {
        "both_clocks": both.line(),
        "after_clock1_died": one.line(),
        "second_sent_after_s": round(took_over, 1),
        "starts": starts,
        "ok": not problems,
        "problems": problems,
    }


def _audit_starts(cluster, issue_ids) -> dict:
    """How often each issue was started (its "issue.send" audit entries)."""
    with cluster.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT object_id FROM audit_entry WHERE action = 'issue.send'")
        ).all()
    return {i: sum(1 for r in rows if r.object_id == i) for i in issue_ids}


ALL = {
    "send1": lambda c: send(c, worker_hosts=1),
    "send2": send,
    "kill-worker": kill_worker,
    "restart-postgresql": restart_postgresql,
    "restart-broker": restart_broker,
    "web-down": web_down,
    "two-clocks": two_clocks,
}
