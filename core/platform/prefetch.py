"""Fetch the next batches while the current one is written: a producer thread runs an iterator
(typically a query's batches) into a bounded queue, the caller's thread takes them in order.

The machine has 2 cores and both drivers release the GIL while the database works (sqlite3 during
each step, psycopg while it waits on the server), so an export's query and its file writer overlap
instead of taking turns. The queue holds at most `depth` batches, so memory stays bounded whatever
the row count. The iterator runs, and is closed, entirely in the producer thread; the caller must not
use the same session or connection until the iteration ends (returns, raises or is closed)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.1  # how soon a blocked producer notices that the consumer stopped


class _End:
    """The producer's last item: the iterator ended, or raised `error`."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class _Producer(Generic[T]):
    def __init__(self, source: Iterable[T], depth: int) -> None:
        self.source = source
        self.items: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
        self.stopped = threading.Event()

    def put(self, item: T | _End) -> bool:
        """Queue an item unless the consumer stopped first (then the producer gives up)."""
        while not self.stopped.is_set():
            try:
                self.items.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def run(self) -> None:
        iterator = iter(self.source)
        try:
            for item in iterator:
                if not self.put(item):
                    return
            self.put(_End())
        except BaseException as e:  # handed to the consumer, which raises it in its own thread
            self.put(_End(e))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:  # a generator's cleanup (its cursor) runs in the thread that used it
                close()


def prefetched(source: Iterable[T], *, depth: int = 2, name: str = "prefetch") -> Generator[T, None, None]:
    """Yield the items of `source` in order, produced by a background thread at most `depth` items
    ahead. An error in `source` is raised here; closing this generator early (or an error in the
    consumer) stops the producer after its current item and waits for it, so no thread outlives it."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    producer: _Producer[T] = _Producer(source, depth)
    thread = threading.Thread(target=producer.run, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = producer.items.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        producer.stopped.set()
        thread.join()
