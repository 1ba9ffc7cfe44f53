"""The license-gated downloader against a local server serving ../shared's model files."""

import io
import sys

import pytest

from cyclnf.models import ModelDownloadError, ModelsNotInstalledError, download, manifest, store
from cyclnf.models.store import original_path, sha256_of
from modelserver import ModelServer

PDM = "lib/local/LandmarkDetector/model/pdms/In-the-wild_aligned_PDM_68.txt"
CCNF = "lib/local/LandmarkDetector/model/patch_experts/ccnf_patches_0.25_general.txt"
TRIS = "lib/local/LandmarkDetector/model/tris_68_full.txt"


@pytest.fixture
def server(models_root):
    with ModelServer(models_root / "originals") as srv:
        yield srv


@pytest.fixture
def target(tmp_path, monkeypatch):
    """An empty models folder; the license is not accepted by the environment."""
    monkeypatch.delenv(store.ENV_ACCEPT_LICENSE, raising=False)
    monkeypatch.delenv(download.ENV_MIRROR, raising=False)
    return tmp_path / "models"


def installed_ok(root, path):
    entry = manifest().file(path)
    local = original_path(root, path)
    return local.is_file() and sha256_of(local) == entry.sha256


def test_nothing_is_downloaded_without_consent(server, target):
    with pytest.raises(ModelsNotInstalledError) as err:
        download.ensure_models(cache_dir=target, mirror=server.url, paths=[PDM, CCNF])
    assert isinstance(err.value, FileNotFoundError)
    assert PDM in str(err.value) and "cyclnf-download-models" in str(err.value)
    assert server.requests == []
    assert not target.exists()


def test_environment_variable_accepts_the_license(server, target, monkeypatch):
    monkeypatch.setenv(store.ENV_ACCEPT_LICENSE, "1")
    root = download.ensure_models(cache_dir=target, mirror=server.url, paths=[PDM, TRIS])
    assert root == target / "2.2.0"
    assert installed_ok(root, PDM) and installed_ok(root, TRIS)


def test_downloads_every_file_once_and_checks_it(server, target):
    progress = []
    root = download.ensure_models(True, cache_dir=target, mirror=server.url,
                                  progress=lambda done, total, name: progress.append((done, total)))
    assert all(installed_ok(root, p) for p in manifest().files)
    total = sum(e.size for e in manifest().files.values())
    assert progress[-1] == (total, total)
    assert not list(root.rglob("*.part"))
    assert len(server.requests) == len(manifest().files)
    # Everything present: a second call asks the server nothing.
    server.requests.clear()
    download.ensure_models(True, cache_dir=target, mirror=server.url)
    assert server.requests == []


def test_wrong_bytes_are_refused_and_never_put_in_place(server, target):
    server.corrupt.add(CCNF)
    with pytest.raises(ModelDownloadError) as err:
        download.ensure_models(True, cache_dir=target, mirror=server.url, paths=[CCNF],
                               retry_wait=0)
    assert CCNF in str(err.value) and "sha256" in str(err.value)
    local = original_path(target / "2.2.0", CCNF)
    assert not local.exists()
    assert not local.with_name(local.name + ".part").exists()
    # Each attempt started the file again instead of resuming bad bytes.
    assert server.gets()[CCNF] == [None] * download.ATTEMPTS_PER_URL


def test_interrupted_transfer_resumes_with_a_range_request(server, target):
    server.cut_once.add(CCNF)
    root = download.ensure_models(True, cache_dir=target, mirror=server.url, paths=[CCNF],
                                  retry_wait=0)
    assert installed_ok(root, CCNF)
    size = manifest().file(CCNF).size
    ranges = server.gets()[CCNF]
    assert ranges == [None, f"bytes={int(size * server.cut_fraction)}-"]


def test_partial_file_from_an_earlier_run_is_resumed(server, target, models_root):
    local = original_path(target / "2.2.0", CCNF)
    local.parent.mkdir(parents=True)
    data = original_path(models_root, CCNF).read_bytes()
    local.with_name(local.name + ".part").write_bytes(data[:1000])
    root = download.ensure_models(True, cache_dir=target, mirror=server.url, paths=[CCNF])
    assert installed_ok(root, CCNF)
    assert server.gets()[CCNF] == ["bytes=1000-"]


def test_partial_file_with_wrong_bytes_is_started_again(server, target):
    local = original_path(target / "2.2.0", CCNF)
    local.parent.mkdir(parents=True)
    local.with_name(local.name + ".part").write_bytes(b"\0" * 5000)
    root = download.ensure_models(True, cache_dir=target, mirror=server.url, paths=[CCNF],
                                  retry_wait=0)
    assert installed_ok(root, CCNF)
    assert server.gets()[CCNF] == ["bytes=5000-", None]


def test_installed_file_with_wrong_content_is_replaced(server, target, models_root):
    local = original_path(target / "2.2.0", PDM)
    local.parent.mkdir(parents=True)
    local.write_bytes(b"not a pdm")
    download.ensure_models(True, cache_dir=target, mirror=server.url, paths=[PDM])
    assert installed_ok(target / "2.2.0", PDM)


def test_web_page_instead_of_file_fails_without_retrying(server, target):
    server.html.add(TRIS)
    with pytest.raises(ModelDownloadError, match="web page"):
        download.ensure_models(True, cache_dir=target, mirror=server.url, paths=[TRIS],
                               retry_wait=0)
    assert len(server.gets()[TRIS]) == 1


def test_unreachable_server_is_a_download_error(target):
    with pytest.raises(ModelDownloadError, match="could not download"):
        download.ensure_models(True, cache_dir=target, mirror="http://127.0.0.1:9",
                               paths=[TRIS], retry_wait=0)


# ------------------------------------------------------------------ command line

class FakeStdin(io.StringIO):
    def __init__(self, text, tty):
        super().__init__(text)
        self.tty = tty

    def isatty(self):
        return self.tty


def cli(args, monkeypatch, stdin_text="", tty=False):
    monkeypatch.setattr(sys, "stdin", FakeStdin(stdin_text, tty))
    return download.main(args)


def test_cli_without_consent_in_a_script_downloads_nothing(server, target, monkeypatch, capsys):
    code = cli(["--dir", str(target), "--mirror", server.url], monkeypatch)
    assert code == 2
    assert server.requests == []
    out = capsys.readouterr()
    assert "NON-COMMERCIAL RESEARCH USE ONLY" in out.out and "--accept-license" in out.err


def test_cli_prompt_declined_downloads_nothing(server, target, monkeypatch):
    assert cli(["--dir", str(target), "--mirror", server.url], monkeypatch, "no\n", tty=True) == 2
    assert server.requests == []


def test_cli_prompt_accepted_downloads(server, target, monkeypatch):
    assert cli(["--dir", str(target), "--mirror", server.url], monkeypatch, "YES\n", tty=True) == 0
    assert all(installed_ok(target / "2.2.0", p) for p in manifest().files)
    assert cli(["--dir", str(target), "--check"], monkeypatch) == 0


def test_cli_accept_flag_and_check(server, target, monkeypatch, capsys):
    assert cli(["--dir", str(target), "--check"], monkeypatch) == 1
    assert cli(["--dir", str(target), "--mirror", server.url, "--accept-license"],
               monkeypatch) == 0
    capsys.readouterr()
    assert cli(["--dir", str(target), "--check"], monkeypatch) == 0
    assert f"{len(manifest().files)} of {len(manifest().files)} files" in capsys.readouterr().out


def test_cli_reports_failure_with_exit_status_1(server, target, monkeypatch):
    server.corrupt.add(PDM)
    monkeypatch.setattr(download, "ATTEMPTS_PER_URL", 1)
    assert cli(["--dir", str(target), "--mirror", server.url, "--accept-license"],
               monkeypatch) == 1
