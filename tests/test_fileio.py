"""The one atomic writer: umask-respecting modes, outputs that are inputs refused, pairs never half-written."""
from __future__ import annotations

import os
import stat

import pytest

from govner.errors import GovnerError
from govner.fileio import atomic_write_many, atomic_write_text, check_output, read_jsonl
from helpers.faults import disk_full_on_second_write


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_files_of_other_libraries_are_given_the_umask_mode(tmp_path, umask_022):
    from safetensors.numpy import save_file

    import numpy as np
    from govner.fileio import follow_umask

    save_file({"w": np.zeros(2, dtype=np.float32)}, str(tmp_path / "model.safetensors"))
    (tmp_path / "notes.txt").write_text("x")
    os.chmod(tmp_path / "notes.txt", 0o600)
    follow_umask(tmp_path)
    assert mode(tmp_path / "model.safetensors") == 0o644
    assert mode(tmp_path / "notes.txt") == 0o600  # only the pattern's files are touched


def test_new_files_follow_the_umask_not_0600(tmp_path, umask_022):
    atomic_write_text(tmp_path / "a.txt", "x")
    assert mode(tmp_path / "a.txt") == 0o644
    os.umask(0o002)
    atomic_write_text(tmp_path / "b.txt", "x")
    assert mode(tmp_path / "b.txt") == 0o664


def test_a_replaced_file_keeps_its_mode(tmp_path, umask_022):
    path = tmp_path / "shared.json"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and mode(path) == 0o640


def test_an_output_that_is_an_input_is_refused(tmp_path):
    src = tmp_path / "report.txt"
    src.write_text("原文", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(src)
    for out in (src, link, tmp_path / "." / "report.txt"):
        with pytest.raises(GovnerError, match="is also an input"):
            atomic_write_text(out, "replaced", inputs=[src])
    assert src.read_text(encoding="utf-8") == "原文"


def test_check_output_refuses_a_directory_and_a_file_as_parent(tmp_path):
    with pytest.raises(GovnerError, match="is a directory"):
        check_output(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(GovnerError, match="not a directory"):
        check_output(tmp_path / "f" / "out.jsonl")
    assert check_output(tmp_path / "new" / "out.jsonl") == tmp_path / "new" / "out.jsonl"


def test_a_pair_is_never_half_written(tmp_path, monkeypatch):
    a, b = tmp_path / "s.jsonl", tmp_path / "s.docs.jsonl"
    a.write_text("old a")
    b.write_text("old b")
    disk_full_on_second_write(monkeypatch)
    with pytest.raises(OSError):
        atomic_write_many({a: "new a", b: "new b"})
    assert a.read_text() == "old a" and b.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.docs.jsonl", "s.jsonl"]  # no temp files left


def test_read_jsonl_decodes_like_every_input(tmp_path):
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes('{"text": "财政总收入"}\n'.encode("gbk"))
    assert read_jsonl(gbk) == [{"text": "财政总收入"}]
    lone = tmp_path / "lone.jsonl"
    lone.write_text('{"text": "ok"}\n{"text": "bad \\ud800"}\n', encoding="utf-8")
    with pytest.raises(GovnerError, match=r"lone.jsonl:2: lone surrogate U\+D800"):
        read_jsonl(lone)
    with pytest.raises(GovnerError, match="no such file"):
        read_jsonl(tmp_path / "missing.jsonl")
