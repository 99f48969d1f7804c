"""The training queue, fair between people: round-robin, so one person's first job never waits behind another
person's third.

A queued job's *round* is how many of its owner's jobs come before it: the owner's running jobs plus their
queued jobs submitted earlier. Jobs start in order of (round, turn, submission): everyone's first job goes
before anyone's second, however the jobs were submitted. Within a round, whoever's job started longest ago
(or never) goes first, so when Ada's job finishes just as Bob's waits, Bob's starts before Ada's next, as her
round had promised while she trained; then first come, first served.

    queue = FairQueue()
    queue.push("j-1", "ada"); queue.push("j-2", "ada"); queue.push("j-3", "bob")
    queue.order()            # ['j-1', 'j-3', 'j-2']
    queue.pop({"ada": 1})    # Ada already trains one: 'j-3' (Bob's first) starts before Ada's next
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping


class FairQueue:
    """Queued job ids with their owners; not thread-safe (the runner holds its lock around every call)."""

    def __init__(self):
        self._items: dict[str, tuple[str, int]] = {}  # job id -> (owner, submission number)
        self._seq = 0
        self._turns: dict[str, int] = {}  # owner -> when their last job started (a count of pops)
        self._pops = 0

    def push(self, job_id: str, owner: str) -> None:
        if job_id in self._items:
            raise ValueError(f"Job {job_id} is already queued.")
        self._seq += 1
        self._items[job_id] = (owner, self._seq)

    def remove(self, job_id: str) -> bool:
        """Take a job out of the queue (cancelled); False if it was not queued."""
        return self._items.pop(job_id, None) is not None

    def order(self, running: Mapping[str, int] | None = None) -> list[str]:
        """Queued job ids in the order they will start, given how many jobs each owner has ``running``."""
        running = running or {}
        seen: dict[str, int] = {}
        keyed = []
        for job_id, (owner, seq) in sorted(self._items.items(), key=lambda item: item[1][1]):
            rank = running.get(owner, 0) + seen.get(owner, 0)
            seen[owner] = seen.get(owner, 0) + 1
            keyed.append((rank, self._turns.get(owner, 0), seq, job_id))
        return [job_id for *_, job_id in sorted(keyed)]

    def pop(self, running: Mapping[str, int] | None = None) -> str | None:
        """The next job to start (removed from the queue), or None when the queue is empty."""
        if not self._items:
            return None
        nxt = self.order(running)[0]
        self._pops += 1
        self._turns[self._items.pop(nxt)[0]] = self._pops
        return nxt

    def position(self, job_id: str, running: Mapping[str, int] | None = None) -> int | None:
        """1-based place in line (1 = starts next); None if the job is not queued."""
        if job_id not in self._items:
            return None
        return self.order(running).index(job_id) + 1

    def owner(self, job_id: str) -> str | None:
        item = self._items.get(job_id)
        return item[0] if item else None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._items

    def __iter__(self) -> Iterator[str]:
        """Queued ids in submission order."""
        return iter(sorted(self._items, key=lambda j: self._items[j][1]))


def estimate_wait(ahead: list[float], running_left: list[float], workers: int) -> float:
    """Seconds until a queued job starts: ``ahead`` are the expected durations of the jobs before it in line,
    ``running_left`` the expected seconds left of the jobs training now, on ``workers`` parallel slots.

    Each job ahead takes the slot that frees first; the job itself starts when a slot frees after them.
    """
    workers = max(1, int(workers))
    free = sorted(max(0.0, s) for s in running_left)[:workers]
    free += [0.0] * (workers - len(free))
    heapq.heapify(free)
    for duration in ahead:
        heapq.heapreplace(free, free[0] + max(0.0, duration))
    return free[0]
