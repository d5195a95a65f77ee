"""A thin, error-translating wrapper over label-studio-sdk 2.x.

Every server call goes through :func:`_call`, so a wrong token, a server that is down
or an unknown project reaches the user as one GovnerError line naming the URL/project,
never as an SDK or httpx traceback.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, TypeVar

import httpx
from tqdm import tqdm

from govner.errors import GovnerError
from govner.labelstudio.config import is_our_config, label_config

T = TypeVar("T")


def task_key(data: dict) -> str:
    """Identity of a sentence task: re-pushing the same sentence must not duplicate it."""
    digest = hashlib.sha1(str(data.get("text", "")).encode("utf-8")).hexdigest()[:16]
    return f"{data.get('doc_id')}\t{data.get('sent_idx')}\t{digest}"


class Client:
    """One Label Studio server with one token."""

    def __init__(self, url: str, token: str | None, timeout: float = 60.0):
        from label_studio_sdk import LabelStudio

        if not token:
            raise GovnerError("no Label Studio API token: pass --token or set LABEL_STUDIO_API_KEY "
                              "(Label Studio > Account & Settings > Access Token)")
        self.url = url.rstrip("/")
        self.ls = LabelStudio(base_url=self.url, api_key=token, timeout=timeout)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        from label_studio_sdk.core.api_error import ApiError

        try:
            return fn()
        except ApiError as exc:
            if exc.status_code in (401, 403):
                raise GovnerError(f"Label Studio at {self.url} rejected the API token while trying to {what} "
                                  f"(HTTP {exc.status_code}); check --token / LABEL_STUDIO_API_KEY") from None
            body = exc.body if isinstance(exc.body, str) else json.dumps(exc.body, ensure_ascii=False)
            raise GovnerError(f"Label Studio at {self.url} failed to {what}: HTTP {exc.status_code}: "
                              f"{body[:500]}") from None
        except httpx.TransportError as exc:
            raise GovnerError(f"cannot reach Label Studio at {self.url} to {what} ({type(exc).__name__}: {exc}); "
                              "is the server running? check --url / LABEL_STUDIO_URL") from None

    def check(self) -> str:
        """Fail early, with a clear message, on a wrong URL or token; returns the user name."""
        me = self._call("identify the user", self.ls.users.whoami)
        return str(getattr(me, "email", None) or getattr(me, "username", None) or me.id)

    def user_names(self) -> dict[str, str]:
        """User id (as text) -> e-mail, to name annotators in reports."""
        users = self._call("list users", lambda: list(self.ls.users.list()))
        return {str(u.id): str(getattr(u, "email", None) or getattr(u, "username", None) or u.id) for u in users}

    # --- projects ----------------------------------------------------------------------

    def find_project(self, title: str) -> Any | None:
        hits = [p for p in self._call("list projects", lambda: list(self.ls.projects.list(title=title)))
                if p.title == title]
        if len(hits) > 1:
            raise GovnerError(f"{len(hits)} Label Studio projects are titled {title!r} "
                              f"(ids {', '.join(str(p.id) for p in hits)}); rename all but one")
        return hits[0] if hits else None

    def project(self, title: str) -> Any:
        """An existing project; its absence is an error (pull never creates one)."""
        p = self.find_project(title)
        if p is None:
            titles = [p.title for p in self._call("list projects", lambda: list(self.ls.projects.list()))]
            raise GovnerError(f"no Label Studio project titled {title!r} at {self.url}; "
                              f"existing: {', '.join(map(repr, titles)) or 'none'}")
        return p

    def get_or_create_project(self, title: str) -> tuple[Any, bool]:
        """Reuse the project titled ``title`` if its config is ours, else create it."""
        config = label_config()
        p = self.find_project(title)
        if p is None:
            p = self._call(f"create project {title!r}",
                           lambda: self.ls.projects.create(title=title, label_config=config))
            return p, True
        full = self._call(f"read project {title!r}", lambda: self.ls.projects.get(id=p.id))
        if not is_our_config(full.label_config or ""):
            raise GovnerError(f"Label Studio project {title!r} (id {p.id}) has a labeling config that differs "
                              "from `govner ls config`; update it in Settings > Labeling Interface or use "
                              "another --project")
        return full, False

    # --- tasks -------------------------------------------------------------------------

    def task_keys(self, project_id: int) -> set[str]:
        def fetch() -> set[str]:
            pager = self.ls.tasks.list(project=project_id, fields="task_only", page_size=500)
            return {task_key(t.data or {}) for t in pager}

        return self._call(f"list tasks of project {project_id}", fetch)

    def import_tasks(self, project_id: int, tasks: list[dict], batch_size: int = 200) -> int:
        """Import tasks (dicts with ``data`` and optional ``predictions``) in batches."""
        done = 0
        with tqdm(total=len(tasks), desc="import", unit="task", disable=len(tasks) < batch_size) as bar:
            for i in range(0, len(tasks), batch_size):
                batch = tasks[i:i + batch_size]
                self._call(f"import tasks into project {project_id}",
                           lambda: self.ls.projects.import_tasks(id=project_id, request=batch,
                                                                 commit_to_project=True))
                done += len(batch)
                bar.update(len(batch))
        return done

    def export(self, project_id: int) -> list[dict]:
        """All tasks (annotated or not) with annotations and predictions, as exported JSON."""
        def fetch() -> bytes:
            return b"".join(self.ls.projects.exports.download_sync(
                id=project_id, export_type="JSON", download_all_tasks=True))

        raw = self._call(f"export project {project_id}", fetch)
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise GovnerError(f"Label Studio at {self.url} sent an export that is not JSON ({exc.msg})") from None

