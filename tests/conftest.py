"""Shared fixtures. Add new fixtures below; do not rewrite others'."""
from __future__ import annotations

import pytest

from helpers.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random BERT token classifier (schema labels) saved like a trained model."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))


# --- Label Studio: one real server per test session ------------------------------------

LS_USER = "annotator@example.com"
LS_PASSWORD = "govner-annotator-pw-1"
LS_TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    """A real Label Studio (from .venv-ls) on a free port with a preset user and token.

    Never skips: if the server cannot start, the tests that need it fail with its log.
    Yields a dict with url, token, username, password and log path.
    """
    import os
    from pathlib import Path

    from helpers.servers import free_port, running_server

    exe = Path(__file__).resolve().parents[1] / ".venv-ls" / "bin" / "label-studio"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make install-ls`")
    port = free_port()
    data = tmp_path_factory.mktemp("label_studio")
    log_path = data / "server.log"
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data), "LABEL_STUDIO_USERNAME": LS_USER,
           "LABEL_STUDIO_PASSWORD": LS_PASSWORD, "LABEL_STUDIO_USER_TOKEN": LS_TOKEN,
           "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true", "LATEST_VERSION_CHECK": "false",
           "COLLECT_ANALYTICS": "false", "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
           # the ML backend under test listens on 127.0.0.1; LS 1.23 also creates a webhook to it,
           # which only SSRF_PROTECTION_ENABLED=false lets through (see docs/model-assisted-labelling.md)
           "ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false"}
    url = f"http://127.0.0.1:{port}"
    cmd = [str(exe), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port)]
    # 180 s: start-up alone took ~75 s on a busy 2-core machine
    with running_server(cmd, url, log_path, 180, "Label Studio", env=env, cwd=data) as proc:
        yield {"url": url, "token": LS_TOKEN, "username": LS_USER, "password": LS_PASSWORD, "log": log_path,
               "proc": proc}
