"""Run a call that may hang on a dead dependency, and give up on it after a deadline."""
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable, TypeVar

T = TypeVar("T")


class DeadlineExceeded(Exception):
    """The call did not answer in time; it may still be running in its thread."""


def run_with_deadline(call: Callable[[], T], timeout: float) -> T:
    """`call()`'s result or exception, or DeadlineExceeded after `timeout` seconds.

    A dependency that accepts connections but never answers would hold a probe
    for minutes; the call runs in a thread of its own and is left behind.
    """
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deadline")
    try:
        return executor.submit(call).result(timeout=timeout)
    except FutureTimeout:
        raise DeadlineExceeded(f"no answer within {timeout:g} s") from None
    finally:
        executor.shutdown(wait=False)
