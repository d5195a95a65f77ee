"""Atomic writes and backups: annotations are people's work and must never be half-written.

Every file govner writes goes through :func:`atomic_write_text` (or :func:`atomic_write_many`
for outputs that belong together): a temporary file beside the target, fsynced, then renamed
over it. The result gets the permissions any other program would give it (``0666`` less the
umask, or the mode of the file it replaces), not ``mkstemp``'s private ``0600``. A command
checks its output paths with :func:`check_output` before it starts, so ``--out`` naming one of
its own inputs, or a directory, fails at once instead of after the work (or instead of
replacing the input).
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

from govner.errors import GovnerError

PathLike = str | os.PathLike


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows (os.umask must set it to read it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_file_mode() -> int:
    """What ``open(path, "w")`` gives a new file: 0666 less the umask."""
    return 0o666 & ~current_umask()


def _new_file_mode(path: Path) -> int:
    """The replaced file's mode, else :func:`default_file_mode`."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return default_file_mode()


def follow_umask(directory: PathLike, pattern: str = "*.safetensors") -> None:
    """Give files another library wrote into ``directory`` the mode ``open(path, "w")`` would:
    safetensors writes its files 0600 whatever the umask, so a model directory on a shared disk
    (a Ray cluster's workers, a colleague) could not be read by anyone else."""
    want = default_file_mode()
    for path in Path(directory).glob(pattern):
        if path.is_file() and not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) != want:
            os.chmod(path, want)


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name one file (hard links and symlinks included); never raises."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def check_output(path: PathLike, inputs: Iterable[PathLike] = (), what: str = "--out") -> Path:
    """Refuse an output path that is a directory or one of the command's inputs, before any work."""
    path = Path(path)
    if path.is_dir():
        raise GovnerError(f"{what} {path}: is a directory; expected a file path")
    for src in inputs:
        if str(src) != "-" and same_file(path, src):
            raise GovnerError(f"{what} {path}: is also an input ({src}); refusing to overwrite it")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise GovnerError(f"{what} {path}: {parent} is not a directory")
    return path


def _write_temp(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _new_file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def atomic_write_many(files: Mapping[PathLike, str], inputs: Iterable[PathLike] = ()) -> None:
    """Write several files that belong together: all are fully written before any is replaced.

    A failure while writing (disk full, a directory in the way) leaves every target as it was,
    so an output pair (sentences and their documents) is never half new, half old.
    """
    inputs = list(inputs)
    targets = [check_output(p, inputs, "output") for p in files]
    temps: list[str] = []
    try:
        for path, text in zip(targets, files.values()):
            temps.append(_write_temp(path, text))
        for tmp, path in zip(temps, targets):
            os.replace(tmp, path)
    except BaseException:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


def atomic_write_text(path: PathLike, text: str, inputs: Iterable[PathLike] = ()) -> None:
    atomic_write_many({path: text}, inputs)


def atomic_write_json(path: PathLike, obj: Any, indent: int | None = 1, inputs: Iterable[PathLike] = ()) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=indent) + "\n", inputs)


def jsonl_text(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def atomic_write_jsonl(path: PathLike, rows: Iterable[dict], inputs: Iterable[PathLike] = ()) -> None:
    atomic_write_text(path, jsonl_text(rows), inputs)


def backup(path: PathLike) -> Path | None:
    """Copy an existing file to PATH.YYYYmmdd-HHMMSS.bak before it is replaced."""
    path = Path(path)
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while dest.exists():
        dest = path.with_name(f"{path.name}.{stamp}-{n}.bak")
        n += 1
    shutil.copy2(path, dest)
    return dest


def read_jsonl(path: PathLike) -> list[dict]:
    """JSON lines of a file decoded like every other input (:func:`govner.text.read.read_text_file`)."""
    from govner.text.read import read_text_file

    return parse_jsonl(read_text_file(path, allow_empty=True), str(path))


def parse_jsonl(content: str, name: str) -> list[Any]:
    """Every non-blank line as JSON; errors name ``name`` and the line."""
    return [row for _, row in numbered_jsonl(content, name)]


def parse_json_document(content: str, where: str, what: str) -> Any:
    """A whole JSON file's text, parsed; errors name ``where`` and the line (``file:line``), and
    ``what`` the file should have been. The one parser of whole JSON files read from users
    (annotation exports, model configs)."""
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        raise GovnerError(f"{where}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise GovnerError(f"{where}: JSON nested too deeply to be {what}") from None


def parse_json_line(line: str, where: str) -> Any:
    """One JSONL line, parsed; errors name ``where`` (``file:line``). A lone surrogate from a
    ``"\\ud800"`` escape is refused like one in the bytes. The one line parser of every JSONL reader."""
    from govner.text.read import check_json_text

    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GovnerError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise GovnerError(f"{where}: JSON nested too deeply") from None
    if "\\u" in line:  # only an escape can put a lone surrogate into a row of decoded text
        check_json_text(row, where)
    return row


def numbered_jsonl(content: str, name: str) -> list[tuple[int, Any]]:
    """(line number, parsed row) for every non-blank line (:func:`parse_json_line`)."""
    return [(lineno, parse_json_line(line, f"{name}:{lineno}"))
            for lineno, line in enumerate(content.split("\n"), 1) if line.strip()]
