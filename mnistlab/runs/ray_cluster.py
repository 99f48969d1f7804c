"""What a Ray cluster offers mnistlab: its nodes, their CPUs and ``mnistlab_job`` slots, how many CPUs one
training asks for, and whether such a request can be placed at all. Plain data; Ray is imported only by
``connect`` and ``read_nodes`` (an optional extra).

Sizing rule: ``MNISTLAB_RAY_CPUS_PER_JOB`` when set; otherwise each slot's share of its node's CPUs, the
smallest share over the nodes that declare slots (so a training fits on every one of them), and never more
than the largest such node has. A request that no live node can hold is "unplaceable": Ray would keep it
pending forever, so the executor fails it after a short wait with ``unplaceable_message``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

CPUS_ENV = "MNISTLAB_RAY_CPUS_PER_JOB"
SLOT = "mnistlab_job"
LOOPBACK = ("127.", "localhost", "::1")
DRIVER_OPTIONS = {"log_to_driver": False, "logging_level": logging.WARNING, "namespace": "mnistlab"}


class ClusterUnreachable(ConnectionError):
    """The Ray cluster named by the address cannot be reached (not started, wrong address, the head is down)."""


@dataclass(frozen=True)
class Node:
    """One Ray node as mnistlab sees it."""

    node_id: str
    address: str  # the node's IP
    alive: bool
    cpus: float
    slots: float  # units of the mnistlab_job resource
    head: bool = False

    @property
    def share(self) -> float:
        """CPUs per slot on this node (all its CPUs when it declares no slots)."""
        return self.cpus / self.slots if self.slots else self.cpus


def nodes_from_ray(raw: list[dict]) -> list[Node]:
    """``ray.nodes()`` -> ``Node`` list (dead nodes included, marked ``alive=False``)."""
    nodes = []
    for entry in raw:
        resources = entry.get("Resources") or {}
        nodes.append(
            Node(
                node_id=entry.get("NodeID", ""),
                address=entry.get("NodeManagerAddress", ""),
                alive=bool(entry.get("Alive")),
                cpus=float(resources.get("CPU", 0.0)),
                slots=float(resources.get(SLOT, 0.0)),
                head="node:__internal_head__" in resources,
            )
        )
    return nodes


def job_nodes(nodes: list[Node]) -> list[Node]:
    """The live nodes that can take a training: those with slots, or every live node with CPUs if none has."""
    alive = [node for node in nodes if node.alive and node.cpus > 0]
    with_slots = [node for node in alive if node.slots >= 1]
    return with_slots if any(node.slots for node in alive) else alive


def size_cpus_per_job(nodes: list[Node], requested: float | None = None) -> float:
    """CPUs one training asks for: ``requested`` as is, else the smallest per-slot share of the job nodes
    (whole CPUs when a share has at least one; 1.0 for an empty cluster), capped at the largest node's CPUs."""
    if requested:
        return float(requested)
    candidates = job_nodes(nodes)
    if not candidates:
        return 1.0
    share = min(node.share for node in candidates)
    share = float(math.floor(share)) if share >= 1 else round(share, 2)
    return min(share, max(node.cpus for node in candidates))


def requested_cpus() -> float | None:
    """``$MNISTLAB_RAY_CPUS_PER_JOB`` as a positive number, or None when unset."""
    raw = os.environ.get(CPUS_ENV, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{CPUS_ENV}={raw!r} is not a number; set it to e.g. 1 or 2, or unset it") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{CPUS_ENV}={raw!r} must be a positive number of CPUs, e.g. 1")
    return value


def fits(nodes: list[Node], cpus: float, slot: bool = True) -> list[Node]:
    """The live nodes that could ever run one training asking for ``cpus`` CPUs (and a slot)."""
    return [n for n in nodes if n.alive and n.cpus >= cpus and (n.slots >= 1 or not slot)]


def unplaceable_message(nodes: list[Node], cpus: float, slot: bool = True) -> str:
    """Why no node can take a training, and what to change."""
    alive = [node for node in nodes if node.alive]
    if not alive:
        return (
            "Ray has no live node to train on: start one with `ray start --address ...` (see docs/SCALING.md)"
        )
    offer = ", ".join(f"{n.address} {n.cpus:g} CPU/{n.slots:g} slot" for n in alive)
    need = f"{cpus:g} CPU" + (f" and 1 {SLOT} slot" if slot else "")
    return (
        f"Ray cannot place this training: it asks for {need}, and no live node has that ({offer}). "
        f"Set {CPUS_ENV} to at most the CPUs of a node with a slot, or start nodes with "
        f"`ray start --resources '{{\"{SLOT}\": 1}}'`"
    )


@dataclass(frozen=True)
class ClusterView:
    """What the dashboard would see: the nodes, the per-training request and whether it fits."""

    address: str
    nodes: list[Node]
    cpus_per_job: float
    cpus_source: str  # "env" or "nodes"

    @property
    def slots(self) -> int:
        return int(sum(node.slots for node in self.nodes if node.alive))

    @property
    def placeable_on(self) -> list[Node]:
        return fits(self.nodes, self.cpus_per_job, slot=self.slots > 0)

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "slots": self.slots,
            "fits": bool(self.placeable_on),
            "fits_on": [node.node_id for node in self.placeable_on],
            "why_not": None
            if self.placeable_on
            else unplaceable_message(self.nodes, self.cpus_per_job, self.slots > 0),
        }


def view(address: str, raw_nodes: list[dict], requested: float | None = None) -> ClusterView:
    nodes = nodes_from_ray(raw_nodes)
    return ClusterView(address, nodes, size_cpus_per_job(nodes, requested), "env" if requested else "nodes")


def is_loopback(address: str) -> bool:
    host = address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]")
    return host.startswith(LOOPBACK)


def check_reachable(host_port: str, timeout: float = 3.0) -> None:
    """Raise ``ClusterUnreachable`` unless a TCP connection to ``HOST:PORT`` opens within ``timeout``."""
    host, _, port = host_port.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as exc:
        reason = exc.strerror or type(exc).__name__ if isinstance(exc, OSError) else "not HOST:PORT"
        raise ClusterUnreachable(
            f"the Ray cluster at {host_port} is unreachable ({reason}): is its head running "
            "(`ray start --head`), and is MNISTLAB_RAY_ADDRESS right?"
        ) from None


def resolve(address: str) -> str:
    """``auto`` -> the HOST:PORT of the cluster last started on this machine (Ray's own lookup); others as is.
    Needs Ray imported."""
    if address != "auto":
        return address
    from ray._private import services

    try:
        found = services.canonicalize_bootstrap_address(address)
    except ConnectionError:
        found = None
    if not found:
        raise ClusterUnreachable(
            "MNISTLAB_RAY_ADDRESS=auto found no Ray cluster on this machine: start the head first "
            "(`ray start --head`, see docs/SCALING.md) or give HOST:PORT"
        )
    return found


def join(ray, address: str, **init_options) -> str:
    """Connect this process to the cluster at ``address`` as a driver; returns the head's HOST:PORT.
    ``ray.init`` waits without end for a head that is not there, so look first (``ClusterUnreachable``)."""
    gcs = resolve(address)
    check_reachable(gcs)
    no_token = os.environ.get("RAY_AUTH_MODE", "").lower() != "token"
    if no_token and _refuses_strangers(gcs):  # ray.init would retry for about 20 s before saying so
        raise _needs_token(gcs)
    try:
        ray.init(address=gcs, **init_options)
    except Exception as exc:
        if not _about_authentication(exc) and not no_token:
            raise
        with contextlib.suppress(Exception):
            ray.shutdown()
        raise _needs_token(gcs) from None
    return gcs


def _needs_token(gcs: str) -> ClusterUnreachable:
    return ClusterUnreachable(
        f"the Ray cluster at {gcs} answers but did not let this process join: a cluster with token "
        "authentication needs RAY_AUTH_MODE=token in the environment and the head's token in "
        "~/.ray/auth_token (or RAY_AUTH_TOKEN); see docs/SCALING.md"
    )


def _about_authentication(exc: BaseException) -> bool:
    """Whether ``exc`` or what caused it speaks of a token or of authentication."""
    chain, cause = [], exc
    while cause is not None and len(chain) < 5:
        chain.append(f"{type(cause).__name__} {cause}".lower())
        cause = cause.__cause__ or cause.__context__
    return any("token" in text or "authentication" in text for text in chain)


def _refuses_strangers(gcs: str) -> bool:
    """One quick call to the head's GCS without a token: True when it asks for authentication. Anything else
    (an answer, another error, a Ray without this client) leaves the verdict to ``ray.init``."""
    try:
        from ray._raylet import GcsClient  # Ray's own client; internal, hence the broad fallback below

        GcsClient(address=gcs)
    except Exception as exc:
        return _about_authentication(exc)
    return False


def start_local_cluster(nodes: int, folder: str, attempts: int = 3):
    """A Ray cluster of ``nodes`` nodes on 127.0.0.1 (1 CPU and one slot each), for tests and benchmarks.

    The caller sets ``RAY_AUTH_MODE`` and the token first and calls ``stop_local_cluster`` at the end. On a busy
    machine a node can miss Ray's fixed 30 s start-up wait, so a failed start is cleaned up and tried again."""
    common = {"num_cpus": 1, "resources": {SLOT: 1}, "node_ip_address": "127.0.0.1", "temp_dir": folder}
    with ray_env(quiet=True):
        from ray.cluster_utils import Cluster

        for attempt in range(1, attempts + 1):
            cluster = Cluster()
            try:
                cluster.add_node(**common, include_dashboard=False)
                for _ in range(nodes - 1):
                    cluster.add_node(**common)
                return cluster
            except Exception:
                stop_local_cluster(cluster, folder)
                if attempt == attempts:
                    raise
                logging.getLogger(__name__).warning("a Ray node did not start in time; trying again")


def stop_local_cluster(cluster, folder: str) -> None:
    """Shut ``cluster`` down and end any process still running from its ``folder`` (a node that half started)."""
    with contextlib.suppress(Exception):
        cluster.shutdown()
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError):
            if folder.encode() in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), 9)


@contextlib.contextmanager
def ray_env(quiet: bool):
    """Import Ray (yielded) with the variables it reads at import, and keep them while the block starts Ray.

    Always: Ray's ``uv run`` hook off (it would package this folder and start every worker through ``uv run``,
    a sync that needs the network; workers use the installed package). ``quiet`` (Ray on this machine): bound
    to loopback, no usage statistics, no cloud-metadata probes (see ``local_env``)."""
    with _env({**(local_env() if quiet else {}), "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}):
        import ray
        from ray._private import ray_constants

        ray_constants.RAY_ENABLE_UV_RUN_RUNTIME_ENV = False  # in case Ray was imported before we set it
        if quiet:
            ray_constants.ENABLE_RAY_CLUSTER = False  # keep 127.0.0.1 as it is, even if imported before
        yield ray


def local_env() -> dict:
    """Environment for the Ray processes of a local instance: bind to loopback, no usage stats, and no cloud
    metadata probes (the always-started API server asks 169.254.169.254 and metadata.google.internal which
    cloud it is on; a dead proxy on 127.0.0.1:9 makes those requests fail at once without leaving the host)."""
    return {
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Linux too: node IP = 127.0.0.1, no 8.8.8.8 route probe
        "http_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "no_proxy": "",
        "NO_PROXY": "",
    }


class _env:
    """Set environment variables for the duration of a block (ray.init copies them into its processes)."""

    def __init__(self, values: dict):
        self.values, self.saved = values, {}

    def __enter__(self):
        for k, v in self.values.items():
            self.saved[k] = os.environ.get(k)
            os.environ[k] = v

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
