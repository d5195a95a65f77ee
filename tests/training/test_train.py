"""Training on the tiny config: outputs, determinism, resume after a kill, DDP on 2 CPU processes.

Everything runs with one torch thread per process: on a shared 2-core machine that is ~20x
faster than oversubscribed threads, and it is what torchrun sets anyway.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govner.cli import main as cli
from govner.schema import ID2TAG, LABEL_CODES

from helpers.paths import ROOT
TINY = str(ROOT / "configs" / "tiny-test.yaml")
BIN = Path(sys.executable).parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.chdir(ROOT)  # configs use repo-relative paths
    yield
    torch.set_num_threads(before)


def last_state(out: Path) -> dict:
    ckpts = sorted((out / "checkpoints").glob("checkpoint-*/trainer_state.json"),
                   key=lambda p: int(p.parent.name.split("-")[1]))
    return json.loads(ckpts[-1].read_text("utf-8"))


def steps_per_epoch(state: dict) -> int:
    return next(h["step"] for h in state["log_history"] if "eval_loss" in h and h["epoch"] == 1.0)


def train(out: Path, *sets: str) -> dict:
    assert cli(["train", "--config", TINY, "--set", f"output_dir={out}", *sum((["--set", s] for s in sets), [])]) == 0
    return json.loads((out / "metrics.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    os.chdir(ROOT)
    base = tmp_path_factory.mktemp("train")
    return [(base / name, train(base / name, "training.epochs=3")) for name in ("a", "b")]


def test_output_directory(two_runs):
    out, metrics = two_runs[0]
    for name in ("model.safetensors", "config.json", "tokenizer.json", "vocab.txt", "train_config.yaml",
                 "metrics.json", "report.md", "loss.png", "dev_f1.png"):
        assert (out / name).is_file(), name
    from govner.fileio import current_umask

    # the weights follow the umask like every other output (safetensors alone writes 0600)
    assert (out / "model.safetensors").stat().st_mode & 0o777 == 0o666 & ~current_umask()
    config = json.loads((out / "config.json").read_text("utf-8"))
    assert {int(k): v for k, v in config["id2label"].items()} == ID2TAG
    for split in ("dev", "test"):
        scores = metrics[split]["scores"]
        assert set(scores) == set(LABEL_CODES) | {"micro", "macro"}
        assert scores["micro"]["support"] == sum(scores[c]["support"] for c in LABEL_CODES) > 0
    assert [e["epoch"] for e in metrics["epochs"]] == [1.0, 2.0, 3.0]
    assert metrics["n_sentences"] == {"train": 31, "dev": 10, "test": 9}
    report = (out / "report.md").read_text("utf-8")
    assert "rules F1" in report and "| LEAD_OFFICE |" in report and "![loss.png](loss.png)" in report
    # the rule baseline is scored on the same sentences: its support equals the model's
    assert metrics["rules"]["test"]["scores"]["micro"]["support"] == metrics["test"]["scores"]["micro"]["support"]
    assert metrics["rules"]["test"]["scores"]["micro"]["f1"] > 0.5
    saved = (out / "train_config.yaml").read_text("utf-8")
    assert f"output_dir: {out}" in saved and "epochs: 3.0" in saved


def test_deterministic_on_cpu(two_runs):
    (_, a), (_, b) = two_runs
    assert a["epochs"] == b["epochs"]  # dev loss and every dev F1, per epoch, to the last bit
    assert a["dev"]["scores"] == b["dev"]["scores"]
    assert all(e["dev_loss"] is not None for e in a["epochs"])


def test_evaluate_cli_on_trained_model(two_runs, tmp_path, capsys):
    out, _ = two_runs[0]
    report = tmp_path / "eval.json"
    assert cli(["evaluate", "--model", str(out), "--data", "tests/fixtures/mini_annotations.json",
                "--splits", "tests/fixtures/mini_splits.yaml", "--split", "test", "--out", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "micro avg" in printed and "missed" in printed and "entity-level errors" in printed
    result = json.loads(report.read_text("utf-8"))
    assert result["n_sentences"] == 9
    assert set(result["errors"]["counts"]) == {"wrong_label", "boundary", "missed", "spurious"}


def test_fine_tunes_a_local_pretrained_directory(two_runs, tmp_path):
    """``model.init: pretrained`` from a local dir (here: a model trained above)."""
    pretrained, _ = two_runs[0]
    metrics = train(tmp_path / "ft", "model.init=pretrained", f"model.name_or_path={pretrained}",
                    "training.epochs=1", "training.learning_rate=1e-5")
    assert [e["epoch"] for e in metrics["epochs"]] == [1.0]
    from safetensors.numpy import load_file

    before = load_file(str(pretrained / "model.safetensors"))
    after = load_file(str(tmp_path / "ft" / "model.safetensors"))
    key = "bert.embeddings.word_embeddings.weight"
    assert before[key].shape == after[key].shape
    # started from the saved weights (a fresh init would differ by ~0.02 on average), then moved
    assert 0 < abs(before[key] - after[key]).mean() < 1e-3


def test_random_init_of_a_named_architecture(two_runs):
    """``model.init: random`` + a model dir: same shape, fresh weights (the no-pretraining baseline)."""
    from govner.training.config import load_config
    from govner.training.train import build_model, build_tokenizer_for

    trained, _ = two_runs[0]
    cfg = load_config(TINY, ["model.init=random", f"model.name_or_path={trained}"])
    fresh = build_model(cfg, build_tokenizer_for(cfg)).state_dict()
    cfg.model.init = "pretrained"
    loaded = build_model(cfg, build_tokenizer_for(cfg)).state_dict()
    key = "bert.encoder.layer.0.attention.self.query.weight"
    assert fresh[key].shape == loaded[key].shape
    assert not fresh[key].allclose(loaded[key])


def test_resume_after_kill(tmp_path):
    out = tmp_path / "run"
    cmd = [str(BIN / "govner"), "train", "--config", TINY, "--set", f"output_dir={out}",
           "--set", "training.epochs=30", "--set", "training.save_total_limit=30"]
    first = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    deadline = time.time() + 120
    while not list((out / "checkpoints").glob("checkpoint-*/trainer_state.json")):
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        assert time.time() < deadline, "no checkpoint within 120 s"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    first.stderr.close()
    assert not (out / "metrics.json").exists(), "killed too late: the run had finished"
    killed_at = last_state(out)["global_step"]
    per_epoch = steps_per_epoch(last_state(out))
    assert killed_at < per_epoch * 30

    second = subprocess.run(cmd + ["--resume"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming from" in second.stderr
    metrics = json.loads((out / "metrics.json").read_text("utf-8"))
    assert [e["epoch"] for e in metrics["epochs"]] == [float(i) for i in range(1, 31)]  # history kept
    state = last_state(out)
    assert state["global_step"] == per_epoch * 30 and state["epoch"] == 30.0


@pytest.mark.slow
def test_ddp_two_cpu_processes(tmp_path, two_runs):
    out = tmp_path / "ddp"
    import socket

    with socket.socket() as sock:  # a free port, so parallel CI jobs do not collide
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [str(BIN / "torchrun"), "--nproc_per_node", "2", "--master_port", str(port), "-m", "govner.cli",
           "train", "--config", TINY, "--set", f"output_dir={out}", "--set", "training.epochs=2"]
    proc = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text("utf-8"))
    # each process sees half the windows: about half the optimizer steps of a single process
    single = steps_per_epoch(last_state(two_runs[0][0]))
    state = last_state(out)
    assert state["epoch"] == 2.0
    assert steps_per_epoch(state) == -(-single // 2)  # ceil(windows / 16) either way
    assert [e["epoch"] for e in metrics["epochs"]] == [1.0, 2.0]
    assert (out / "model.safetensors").is_file()
