"""zoo.hub.push against a local stand-in for the Hub on 127.0.0.1, and zoo.load downloading from it.

`FakeHub` speaks the few endpoints `create_repo`, `create_branch`, `upload_folder` (validate-yaml,
preupload, ndjson commit, pull requests) and `hf_hub_download` (HEAD/GET resolve) use. It answers
every preupload with "regular", so files travel base64-encoded inside the commit (no LFS or Xet
storage to emulate), and it keeps the committed bytes so the test can compare them with the preset.
"""

import base64
import hashlib
import json
import logging
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import huggingface_hub
import numpy as np
import pytest

import zoo
from zoo import hub
from zoo.manifest import IntegrityError
from zoo_testing import NAME, folder_bytes, images, make_repo, save_tiny_preset

TOKEN = "hf_ZooTestTokenThatMustNeverBeShown0123"
REPO_ID = "zoo-test/betavae-tiny"


class FakeHub:
    def __init__(self):
        self.requests = []  # (method, path, headers, body)
        self.repos = {}  # repo_id -> {"refs": {ref: commit}, "commits": {commit: {path: bytes}}}
        self.prs = {}
        self.fail_commit_with = None
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body=b"", headers=(), head=False):
                data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if isinstance(body, (dict, list))
                                 else "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                if not head:
                    self.wfile.write(data)

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                with fake.lock:
                    fake.requests.append((method, path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status, reply, headers = fake.route(method, path, body, self.headers)
                self._reply(status, reply, headers, head=(method == "HEAD"))

            def do_GET(self):
                self._handle("GET")

            def do_HEAD(self):
                self._handle("HEAD")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---------------------------------------------------------------- the hub's logic

    def _commit(self, repo_id, ref, files, message):
        repo = self.repos[repo_id]
        parent = repo["refs"].get(ref, repo["refs"]["main"])
        tree = {**repo["commits"][parent], **files}
        digest = hashlib.sha1(parent.encode() + message.encode())
        for path in sorted(tree):
            digest.update(path.encode() + hashlib.sha256(tree[path]).digest())
        sha = digest.hexdigest()
        repo["commits"][sha] = tree
        repo["refs"][ref] = sha
        return sha

    def route(self, method, path, body, headers):
        parts = path.strip("/").split("/")
        if path == "/api/validate-yaml":
            return 200, {"errors": [], "warnings": []}, ()
        if path == "/api/repos/create":
            payload = json.loads(body)
            repo_id = f"{payload['organization']}/{payload['name']}"
            if repo_id in self.repos:
                return 409, {"error": "You already created this model repo", "url": f"{self.url}/{repo_id}"}, ()
            self.repos[repo_id] = {"refs": {"main": "0" * 40}, "commits": {"0" * 40: {}}}
            return 200, {"url": f"{self.url}/{repo_id}"}, ()
        if parts[:2] == ["api", "models"]:
            repo_id, action, rest = f"{parts[2]}/{parts[3]}", parts[4], [unquote(p) for p in parts[5:]]
            if repo_id not in self.repos:
                return 404, {"error": "Repository not found"}, (("X-Error-Code", "RepoNotFound"),)
            repo = self.repos[repo_id]
            if action == "branch":
                if rest[0] in repo["refs"]:
                    return 409, {"error": "branch exists"}, ()
                repo["refs"][rest[0]] = repo["refs"]["main"]
                return 200, {}, ()
            if action == "preupload":
                files = json.loads(body)["files"]
                return 200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                       for f in files]}, ()
            if action == "commit":
                if self.fail_commit_with:
                    return self.fail_commit_with
                ref = "/".join(rest)
                if ref not in repo["refs"]:
                    return 404, {"error": f"Invalid rev id: {ref}"}, (("X-Error-Code", "RevisionNotFound"),)
                lines = [json.loads(line) for line in body.decode().splitlines() if line]
                assert lines[0]["key"] == "header"
                files = {}
                for line in lines[1:]:
                    assert line["key"] == "file", f"only regular uploads expected, got {line['key']}"
                    files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
                sha = self._commit(repo_id, ref, files, lines[0]["value"]["summary"])
                pr = ref.startswith("refs/pr/")
                return 200, {"commitUrl": f"{self.url}/{repo_id}/commit/{sha}", "commitOid": sha,
                             "pullRequestUrl": f"{self.url}/{repo_id}/discussions/{ref.split('/')[-1]}" if pr
                             else None}, ()
            if action == "discussions" and method == "POST":
                num = len(self.prs) + 1
                self.prs[num] = json.loads(body)["title"]
                repo["refs"][f"refs/pr/{num}"] = repo["refs"]["main"]
                return 200, {"num": num}, ()
            if action == "discussions":
                num = int(rest[0])
                return 200, {"title": self.prs[num], "num": num, "author": {"name": "zoo"},
                             "createdAt": "2026-11-28T00:00:00.000Z", "status": "draft",
                             "repo": {"name": repo_id, "type": "model"}, "isPullRequest": True,
                             "changes": {"base": "refs/heads/main"}, "filesWithConflicts": [], "events": [],
                             "diff": ""}, ()
        if len(parts) >= 5 and parts[2] == "resolve":
            repo_id, rev, filename = f"{parts[0]}/{parts[1]}", unquote(parts[3]), "/".join(parts[4:])
            repo = self.repos.get(repo_id)
            commit = repo and repo["refs"].get(rev, rev if rev in repo["commits"] else None)
            if not commit or filename not in repo["commits"][commit]:
                return 404, {"error": "Entry not found"}, (("X-Error-Code", "EntryNotFound"),)
            data = repo["commits"][commit][filename]
            return 200, data, (("X-Repo-Commit", commit), ("ETag", f'"{hashlib.sha256(data).hexdigest()}"'))
        return 404, {"error": f"no route {method} {path}"}, ()


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    from zoo_testing import tiny_model

    model = tiny_model()
    return save_tiny_preset(tmp_path_factory.mktemp("preset") / NAME, model), model.representation(images())


@pytest.fixture
def fake_hub(monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    server = FakeHub()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _check_no_token(*texts):
    for text in texts:
        assert TOKEN not in text and TOKEN[3:] not in text


def test_push_uploads_the_preset_and_returns_the_commit(preset, fake_hub, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    folder, _ = preset
    sha = hub.push(folder, REPO_ID, endpoint=fake_hub.url)
    repo = fake_hub.repos[REPO_ID]
    assert sha == repo["refs"]["main"] and len(sha) == 40
    assert repo["commits"][sha] == folder_bytes(folder)  # every file, byte for byte
    assert {p for m, p, *_ in fake_hub.requests} >= {
        "/api/repos/create", "/api/validate-yaml", f"/api/models/{REPO_ID}/preupload/main",
        f"/api/models/{REPO_ID}/commit/main"}
    sent = [h for m, p, h, b in fake_hub.requests if p.endswith("/commit/main")][0]
    assert sent["authorization"] == f"Bearer {TOKEN}"  # the token from HF_TOKEN was used...
    out, err = capfd.readouterr()
    assert sha in out
    _check_no_token(out, err, caplog.text)  # ...and shown nowhere
    # Pushing again to an existing repository makes a second commit on top.
    assert hub.push(folder, REPO_ID, endpoint=fake_hub.url, commit_message="again") not in (None, sha)


def test_push_to_a_branch_and_as_a_pull_request(preset, fake_hub):
    folder, _ = preset
    sha = hub.push(folder, REPO_ID, revision="v1", endpoint=fake_hub.url)
    repo = fake_hub.repos[REPO_ID]
    assert repo["refs"]["v1"] == sha and repo["refs"]["main"] == "0" * 40
    pr_sha = hub.push(folder, REPO_ID, create_pr=True, endpoint=fake_hub.url)
    assert repo["refs"]["refs/pr/1"] == pr_sha and repo["refs"]["main"] == "0" * 40
    assert repo["commits"][pr_sha] == folder_bytes(folder)


def test_hub_errors_never_show_the_token(preset, fake_hub, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    fake_hub.fail_commit_with = (403, {"error": f"token {TOKEN} cannot write to {REPO_ID}"}, ())
    with pytest.raises(hub.HubError) as err:
        hub.push(preset[0], REPO_ID, endpoint=fake_hub.url)
    assert "403" in str(err.value) and REPO_ID in str(err.value)
    assert TOKEN in str(err.value.__context__)  # huggingface_hub's own error repeats the server's words...
    assert err.value.__cause__ is None and err.value.__suppress_context__  # ...so it is not chained for display
    _check_no_token(str(err.value), *capfd.readouterr(), caplog.text)


def test_dry_run_prints_and_sends_nothing(preset, fake_hub, capsys):
    folder, _ = preset
    assert hub.push(folder, REPO_ID, dry_run=True, endpoint=fake_hub.url) is None
    out = capsys.readouterr().out
    assert fake_hub.requests == []
    for name, data in folder_bytes(folder).items():
        assert name in out and hashlib.sha256(data).hexdigest() in out
    assert "Token: found" in out
    _check_no_token(out)


def test_push_preflight_refusals(preset, tmp_path, monkeypatch):
    folder = shutil.copytree(preset[0], tmp_path / NAME)
    with pytest.raises(ValueError, match="org/name"):
        hub.push(folder, "just-a-name", dry_run=True)
    with pytest.raises(ValueError, match="create_pr"):
        hub.push(folder, REPO_ID, revision="v1", create_pr=True, dry_run=True)
    with pytest.raises(hub.HubError, match="HF_HUB_OFFLINE"):  # conftest sets it
        hub.push(folder, REPO_ID)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(hub, "_find_token", lambda: None)
    with pytest.raises(hub.HubError, match="hf auth login"):
        hub.push(folder, REPO_ID)
    (folder / "model.weights.h5").write_bytes(b"not the weights")
    with pytest.raises(IntegrityError, match="model.weights.h5"):
        hub.push(folder, REPO_ID, dry_run=True)


def test_push_refuses_a_card_that_disagrees_with_metadata(preset, tmp_path):
    folder = shutil.copytree(preset[0], tmp_path / NAME)
    card = folder / "README.md"
    card.write_text(card.read_text().replace("value: 0.2125", "value: 0.9"))
    with pytest.raises(ValueError, match="mig.mig"):
        hub.push(folder, REPO_ID, dry_run=True)


def test_load_downloads_the_pinned_revision_when_online(preset, fake_hub, tmp_path, monkeypatch):
    folder, codes = preset
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    pinned = hub.push(folder, REPO_ID, endpoint=fake_hub.url)
    hub.push(folder, REPO_ID, endpoint=fake_hub.url, commit_message="a later commit on main")
    manifest = make_repo(tmp_path / "root", folder, hub={"repo_id": REPO_ID, "revision": pinned}, copy_files=False)
    model = zoo.load(NAME, manifest_path=manifest)
    np.testing.assert_allclose(model.representation(images()), codes, rtol=1e-5, atol=1e-6)
    snapshots = tmp_path / "cache" / f"models--{REPO_ID.replace('/', '--')}" / "snapshots"
    assert [p.name for p in snapshots.iterdir()] == [pinned]
    resolves = [p for m, p, *_ in fake_hub.requests if "/resolve/" in p]
    assert resolves and all(f"/resolve/{pinned}/" in p for p in resolves)
    # hf:// follows main (the later commit), and pins one commit for all its files.
    zoo.load(f"hf://{REPO_ID}")
    assert sorted(p.name for p in snapshots.iterdir()) == sorted([pinned, fake_hub.repos[REPO_ID]["refs"]["main"]])


def test_load_refuses_a_hub_copy_that_differs_from_the_manifest(preset, fake_hub, tmp_path, monkeypatch):
    folder, _ = preset
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    pinned = hub.push(folder, REPO_ID, endpoint=fake_hub.url)
    manifest = make_repo(tmp_path / "root", folder, hub={"repo_id": REPO_ID, "revision": pinned}, copy_files=False)
    tree = fake_hub.repos[REPO_ID]["commits"][pinned]
    tree["model.weights.h5"] = tree["model.weights.h5"][:-10]
    with pytest.raises(IntegrityError, match=r"downloaded from .*model\.weights\.h5 is truncated"):
        zoo.load(NAME, manifest_path=manifest)
