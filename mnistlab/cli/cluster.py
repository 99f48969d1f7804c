"""``mnistlab cluster``: what the dashboard would see of the Ray cluster in ``MNISTLAB_RAY_ADDRESS``.

    MNISTLAB_RAY_ADDRESS=auto RAY_AUTH_MODE=token uv run --extra ray mnistlab cluster

Prints the nodes (CPUs, ``mnistlab_job`` slots, alive or not), the CPUs each training asks for and whether such
a training fits on a live node. Exit 0 when it fits, 1 when it does not (the line says what to change), 2 with
one line when there is no cluster to look at: the variable unset, Ray not installed, the head unreachable.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import TextIO

from mnistlab.cli.args import EXIT_FAILED, EXIT_OK, CliError
from mnistlab.cli.terminal import table
from mnistlab.runs.executors import RAY_ENV


def register(commands) -> None:
    """Add ``cluster`` to the subparsers."""
    cluster = commands.add_parser(
        "cluster",
        help="check the Ray cluster the dashboard would train on: nodes, slots, CPUs per job",
        description=f"Join the Ray cluster at ${RAY_ENV} (auto, HOST:PORT or ray://HOST:PORT) for a moment and "
        "print its nodes, mnistlab_job slots, the CPUs each training asks for and whether a training fits. "
        "A cluster with token authentication needs RAY_AUTH_MODE=token and the head's token "
        "(~/.ray/auth_token); see docs/SCALING.md.",
    )
    cluster.add_argument("--json", action="store_true", help="print what was found as JSON")
    cluster.set_defaults(handler=cmd_cluster)


def cmd_cluster(args, out: TextIO, err: TextIO) -> int:
    address = os.environ.get(RAY_ENV, "").strip()
    if not address:
        raise CliError(
            f"{RAY_ENV} is not set: the dashboard trains in worker processes on this machine "
            "(set it to auto, HOST:PORT or ray://HOST:PORT to train on a Ray cluster; see docs/SCALING.md)"
        )
    if importlib.util.find_spec("ray") is None:
        raise CliError(
            "Ray is not installed here: uv sync --extra ray (then uv run --extra ray mnistlab ...)"
        )
    if address == "local":
        out.write(
            f"{RAY_ENV}=local: every process starts its own private Ray instance on this machine, "
            "with this machine's cores and one slot per training; there is no cluster to check.\n"
        )
        return EXIT_OK
    from mnistlab.runs import ray_cluster

    try:
        requested = ray_cluster.requested_cpus()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    with ray_cluster.ray_env(ray_cluster.is_loopback(address)) as ray:
        joined = not ray.is_initialized()  # a process already connected (the tests) keeps its connection
        gcs = ray_cluster.join(ray, address, **ray_cluster.DRIVER_OPTIONS) if joined else address
    try:
        seen = ray_cluster.view(gcs, ray.nodes(), requested)
    finally:
        if joined:
            ray.shutdown()
    report = seen.to_dict()
    if args.json:
        out.write(json.dumps(report, indent=2) + "\n")
    else:
        out.write(_text(seen, report))
    return EXIT_OK if report["fits"] else EXIT_FAILED


def _text(seen, report: dict) -> str:
    rows = [
        [
            node.address + (" (head)" if node.head else ""),
            node.node_id[:8],
            f"{node.cpus:g}",
            f"{node.slots:g}",
            "alive" if node.alive else "dead",
        ]
        for node in seen.nodes
    ]
    alive = sum(node.alive for node in seen.nodes)
    how = "MNISTLAB_RAY_CPUS_PER_JOB" if seen.cpus_source == "env" else "sized from the nodes"
    lines = [
        f"Ray cluster at {seen.address}",
        table(["node", "id", "CPUs", "slots", "state"], rows, right={2, 3}),
        f"{alive} live node(s), {report['slots']} mnistlab_job slot(s): at most that many trainings at once",
        f"each training asks for {seen.cpus_per_job:g} CPU ({how}) and one mnistlab_job slot",
        f"a training fits: yes, on {len(report['fits_on'])} node(s)"
        if report["fits"]
        else f"a training fits: no. {report['why_not']}",
    ]
    if not report["slots"]:
        lines.insert(-1, "no node declares mnistlab_job: more trainings than CPUs may run at once")
    return "\n".join(lines) + "\n"
