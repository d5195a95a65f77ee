from pathlib import Path

import pytest

from govner.training.config import TrainConfig, load_config, save_config
from govner.errors import GovnerError

from helpers.paths import ROOT


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, overrides=()) -> str:
    with pytest.raises(GovnerError) as exc:
        load_config(path, list(overrides))
    return str(exc.value)


def test_unknown_key_names_file_key_and_suggestion(tmp_path):
    path = write(tmp_path, "training:\n  learning_rte: 3.0e-5\n")
    msg = error_of(path)
    assert str(path) in msg
    assert "training.learning_rte" in msg
    assert "did you mean 'training.learning_rate'" in msg


def test_unknown_section_and_nested_key(tmp_path):
    assert "did you mean 'training'" in error_of(write(tmp_path, "trainig:\n  seed: 1\n"))
    msg = error_of(write(tmp_path, "model:\n  arch:\n    hiden_size: 32\n"))
    assert "model.arch.hiden_size" in msg and "model.arch.hidden_size" in msg


@pytest.mark.parametrize("text, key, expected", [
    ("training:\n  batch_size: '32'\n", "training.batch_size", "an integer"),
    ("training:\n  batch_size: 3.5\n", "training.batch_size", "an integer"),
    ("training:\n  learning_rate: fast\n", "training.learning_rate", "a number"),
    ("training:\n  precision: half\n", "training.precision", "'fp16'"),
    ("data:\n  files: {a: 1}\n", "data.files", "a list of a string"),
    ("training: 5\n", "training", "a mapping"),
])
def test_wrong_type_names_key_and_file(tmp_path, text, key, expected):
    path = write(tmp_path, text)
    msg = error_of(path)
    assert str(path) in msg and f"{key}:" in msg and expected in msg


@pytest.mark.parametrize("text, key", [
    ("training:\n  learning_rate: 0\n", "training.learning_rate"),
    ("training:\n  batch_size: 0\n", "training.batch_size"),
    ("training:\n  epochs: -1\n", "training.epochs"),
    ("data:\n  max_length: 64\n  stride: 100\n", "data.stride"),
    ("model:\n  arch:\n    hidden_size: 30\n    num_attention_heads: 4\n", "model.arch.hidden_size"),
    ("model:\n  name_or_path: null\n", "model.name_or_path"),
])
def test_impossible_values(tmp_path, text, key):
    path = write(tmp_path, text)
    msg = error_of(path)
    assert str(path) in msg and key in msg


def test_yaml_floats_without_a_dot_are_numbers(tmp_path):
    cfg = load_config(write(tmp_path, "training:\n  learning_rate: 3e-5\n"))
    assert cfg.training.learning_rate == pytest.approx(3e-5)


def test_set_overrides_with_yaml_types(tmp_path):
    path = write(tmp_path, "training:\n  learning_rate: 1.0e-4\n")
    cfg = load_config(path, ["training.learning_rate=3e-5", "model.arch.hidden_size=32",
                             "data.files=[a.json, b.json]", "model.name_or_path=null", "model.init=random",
                             "output_dir=/tmp/m", "training.precision=fp32"])
    assert cfg.training.learning_rate == pytest.approx(3e-5)
    assert cfg.model.arch.hidden_size == 32
    assert cfg.data.files == ["a.json", "b.json"]
    assert cfg.model.name_or_path is None and cfg.model.init == "random"
    assert cfg.output_dir == "/tmp/m"


def test_set_errors_name_the_override(tmp_path):
    path = write(tmp_path, "")
    msg = error_of(path, ["training.lerning_rate=1e-4"])
    assert "--set training.lerning_rate=1e-4" in msg and "training.learning_rate" in msg
    msg = error_of(path, ["training.batch_size=big"])
    assert "--set training.batch_size=big" in msg and "training.batch_size" in msg
    assert "KEY=VALUE" in error_of(path, ["training.seed"])
    assert "not a section" in error_of(path, ["training.seed.x=1"])


def test_default_output_dir_is_config_stem(tmp_path):
    cfg = load_config(write(tmp_path, "", name="my-run.yaml"))
    assert Path(cfg.output_dir) == Path("outputs") / "my-run"


def test_saved_config_reloads_identically(tmp_path):
    cfg = load_config(write(tmp_path, "training:\n  learning_rate: 3e-5\n"), ["model.dropout=0.2"])
    save_config(cfg, tmp_path / "out" / "train_config.yaml")
    again = load_config(tmp_path / "out" / "train_config.yaml")
    assert again == cfg
    assert isinstance(again, TrainConfig)


@pytest.mark.parametrize("name", ["default", "bert-base-chinese", "tiny-test"])
def test_shipped_configs_are_valid(name):
    cfg = load_config(ROOT / "configs" / f"{name}.yaml")
    assert cfg.output_dir == str(Path("outputs") / name)


def test_missing_file():
    assert "not found" in error_of(Path("/nonexistent/x.yaml"))


def test_default_stride_is_half_a_window_like_the_predictor(tmp_path):
    # govner.predict.predictor.Predictor windows with stride = (max_length - 2) // 2 by default
    assert load_config(write(tmp_path, "data:\n  max_length: 100\n")).data.stride == 49
    assert load_config(write(tmp_path, ""), ["data.max_length=64"]).data.stride == 31
    assert load_config(write(tmp_path, "data:\n  stride: 10\n")).data.stride == 10
