"""What the management commands that print recordings share."""
from collections.abc import Generator

from django.core.management.base import OutputWrapper


def pieces_written(out: OutputWrapper, pieces: Generator[bytes, None, bool | None]) -> bool | None:
    """Write the pieces of a JSON document one at a time, as they are read (a long session's events are far
    larger than a process should hold), then a newline; returns what the pieces' generator returned.

    They are UTF-8 as stored, written as bytes where the output takes them: a terminal set to another
    encoding could not take them as text. (A StringIO, given by a caller, takes text.)
    """
    binary = getattr(out._out, "buffer", None)  # (OutputWrapper's stream)
    write = binary.write if binary else lambda piece: out.write(piece.decode(), ending="")
    while True:
        try:
            piece = next(pieces)
        except StopIteration as done:
            write(b"\n")
            if binary:
                binary.flush()
            return done.value
        write(piece)
