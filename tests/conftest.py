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
    import socket
    import subprocess
    import time
    from pathlib import Path

    import httpx

    exe = Path(__file__).resolve().parents[1] / ".venv-ls" / "bin" / "label-studio"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make install-ls`")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(exe), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                pytest.fail(f"Label Studio did not come up at {url} (exit {proc.poll()}); log tail:\n{tail}")
            time.sleep(1)
        yield {"url": url, "token": LS_TOKEN, "username": LS_USER, "password": LS_PASSWORD, "log": log_path,
               "proc": proc}
    finally:
        import signal

        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
