"""Run CPU-heavy work on untrusted input in a child process: bounded memory and time, killable.

Parsing and tokenising an upload in a thread of the bot's process held the GIL for seconds
(residents waited 28.8 s while staff imported a 5 MB text file), and a zip bomb grew the
process to 2.4 GB for 9 minutes. In a child process the work competes for a core, not for
the event loop; `RLIMIT_AS` caps its memory (a `MemoryError` there, not an OOM-killed bot);
a wall-clock limit, `kill()` and `kill_all_workers()` end it at once, whatever it is doing.

The child is a plain `python -m knowledge.isolated` (not multiprocessing, which would
re-import the bot's `__main__` in the child), speaking length-prefixed pickles on its stdin
and stdout. It stays up between jobs so that its warm-up (jieba's dictionary, ~1 s) is paid
once per batch of uploads, and retires after `idle_seconds` without work. It inherits no
secrets: its environment is a short allow-list.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import pickle
import resource
import sys
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

_HEADER = 8
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "VIRTUAL_ENV")
# Where `knowledge` is imported from, for the child's PYTHONPATH.
_ROOT = str(Path(__file__).resolve().parents[1])
_live: weakref.WeakSet[IsolatedWorker] = weakref.WeakSet()


class WorkerTimeoutError(Exception):
    """The job ran longer than its wall-clock limit; the child was killed."""


class WorkerMemoryError(Exception):
    """The job exceeded the child's memory cap."""


class WorkerStoppedError(Exception):
    """The child died, or was killed (`deliberate`: shutdown), before it answered."""

    def __init__(self, message: str, *, deliberate: bool = False) -> None:
        super().__init__(message)
        self.deliberate = deliberate


def peak_rss_kib() -> int:
    """This process's own peak resident memory (VmHWM), for checks run inside a worker.

    Not getrusage: its ru_maxrss survives execve, so a child started from a large parent
    reports the parent's size.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def kill_all_workers() -> None:
    """Kill every running child at once. Synchronous: safe in a signal handler."""
    for worker in list(_live):
        worker.kill()


class IsolatedWorker:
    """One child process running one job at a time; jobs queue on an asyncio lock."""

    def __init__(
        self,
        *,
        max_memory_bytes: int,
        warmup: str | None = None,
        idle_seconds: float = 300.0,
    ) -> None:
        self._max_memory = max_memory_bytes
        self._warmup = warmup  # "package.module:function", called once in each new child
        self._idle_seconds = idle_seconds
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._idle: asyncio.TimerHandle | None = None
        self._closed = False
        self._dying: list[asyncio.subprocess.Process] = []
        _live.add(self)

    async def run(self, max_seconds: float, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in the child (fn and args must pickle); its exceptions re-raised here."""
        request = await asyncio.to_thread(pickle.dumps, (fn, args), pickle.HIGHEST_PROTOCOL)
        async with self._lock:
            if self._closed:
                raise WorkerStoppedError("worker closed", deliberate=True)
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
            await self._reap()
            proc = await self._ensure_started()
            try:
                payload = await asyncio.wait_for(self._roundtrip(proc, request), max_seconds)
            except TimeoutError:
                self.kill()
                raise WorkerTimeoutError from None
            except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError) as exc:
                deliberate = proc in self._dying  # kill() or kill_all_workers()
                self.kill()
                raise WorkerStoppedError("worker stopped", deliberate=deliberate) from exc
            except BaseException:  # cancelled: the child must not keep working for no one
                self.kill()
                raise
            finally:
                if self._proc is not None and not self._closed:
                    self._idle = asyncio.get_running_loop().call_later(
                        self._idle_seconds, self.kill
                    )
        status, value = await asyncio.to_thread(pickle.loads, payload)
        if status == "ok":
            return value  # type: ignore[no-any-return]
        if status == "memory":
            self.kill()  # a child that ran out of memory is not trusted with the next job
            raise WorkerMemoryError
        raise value

    async def _roundtrip(self, proc: asyncio.subprocess.Process, request: bytes) -> bytes:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(len(request).to_bytes(_HEADER, "big") + request)
        await proc.stdin.drain()
        size = int.from_bytes(await proc.stdout.readexactly(_HEADER), "big")
        return await proc.stdout.readexactly(size)

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)
        args = [str(self._max_memory), self._warmup or ""]
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "knowledge.isolated",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            # Its own session: a Ctrl-C in the terminal reaches the bot, which then stops
            # the child itself, instead of the child dying mid-answer with a traceback.
            start_new_session=True,
        )
        return self._proc

    def kill(self) -> None:
        """Kill the child now (a new one starts with the next job)."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            # Reaped by `close`, or by the next job: kill() must stay synchronous.
            self._dying.append(proc)

    async def close(self) -> None:
        """Kill the child and refuse further jobs; returns once it is reaped."""
        self._closed = True
        self.kill()
        await self._reap()

    async def _reap(self) -> None:
        while self._dying:
            await self._dying.pop().wait()


# --- the child --------------------------------------------------------------------------


def _read(stream: Any, size: int) -> bytes:
    data: bytes = stream.read(size)
    if len(data) < size:
        raise EOFError
    return data


def _serve(max_memory: int, warmup: str) -> None:
    # The protocol owns the real stdout; anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    if warmup:
        module, _, name = warmup.partition(":")
        getattr(importlib.import_module(module), name)()
    while True:
        try:
            size = int.from_bytes(_read(inp, _HEADER), "big")
            request = _read(inp, size)
        except EOFError:
            return  # the bot closed our stdin or died
        try:
            fn, args = pickle.loads(request)
            del request
            reply: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:
            reply = ("error", exc)
        try:
            data = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("memory", None))
        except Exception as exc:  # an exception that does not pickle
            data = pickle.dumps(("error", RuntimeError(repr(exc))))
        del reply
        try:
            out.write(len(data).to_bytes(_HEADER, "big"))
            out.write(data)
            out.flush()
        except BrokenPipeError:
            return  # the bot died (or was killed) while we worked: nobody to answer


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2])
