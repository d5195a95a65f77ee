"""Injected failures for the no-data-loss tests."""
from __future__ import annotations

from govner import fileio


def disk_full_on_second_write(monkeypatch) -> list:
    """Make the second temporary file :mod:`govner.fileio` writes fail as a full disk would
    (ENOSPC); returns the list of paths written, for the test to inspect."""
    real, calls = fileio._write_temp, []

    def second_fails(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, text)

    monkeypatch.setattr(fileio, "_write_temp", second_fails)
    return calls
