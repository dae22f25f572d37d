"""Download logic of sources._download, offline: a local HTTP server on 127.0.0.1 in a thread."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from enforcement_crime.sources import _download
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import (
    ChecksumMismatch,
    LoginRequired,
    NotADataFile,
    fetch_file,
    login_required,
    sha256_of,
)

PAYLOAD = bytes(range(256)) * 1600  # 409,600 bytes: several 64 KiB chunks
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _State:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_first = 0  # answer 503 to this many requests
        self.cut_first = 0  # on this many requests, send only half the body then close
        self.ignore_range = False
        self.status = 200
        self.body = PAYLOAD
        self.content_type = "application/octet-stream"


def _handler(state: _State):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):  # noqa: N802 (http.server API)
            state.requests.append({"path": self.path, "range": self.headers.get("Range")})
            if state.status != 200:
                self.send_error(state.status)
                return
            if state.fail_first > 0:
                state.fail_first -= 1
                self.send_error(503)
                return
            start = 0
            rng = self.headers.get("Range")
            if rng and not state.ignore_range:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                self.send_response(206)
                self.send_header(
                    "Content-Range", f"bytes {start}-{len(state.body) - 1}/{len(state.body)}"
                )
            else:
                self.send_response(200)
            body = state.body[start:]
            self.send_header("Content-Type", state.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if state.cut_first > 0:
                state.cut_first -= 1
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture()
def server():
    state = _State()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/co-est-test.csv"
    yield url, state
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_then_uses_cache(server, tmp_path):
    url, state = server
    path = fetch_file(url, tmp_path, SHA, progress=False)
    assert path == tmp_path / "co-est-test.csv"
    assert path.read_bytes() == PAYLOAD
    assert not (tmp_path / "co-est-test.csv.part").exists()
    n = len(state.requests)
    # second call: the file is there with the right hash -> no request at all
    assert fetch_file(url, tmp_path, SHA, progress=False) == path
    assert len(state.requests) == n


def test_wrong_cached_file_is_downloaded_again(server, tmp_path):
    url, state = server
    (tmp_path / "co-est-test.csv").write_bytes(b"stale")
    path = fetch_file(url, tmp_path / "co-est-test.csv", SHA, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert len(state.requests) == 1


def test_checksum_mismatch_names_file_expected_and_got(server, tmp_path):
    url, _ = server
    wrong = "0" * 64
    with pytest.raises(ChecksumMismatch) as err:
        fetch_file(url, tmp_path / "x.csv", wrong, progress=False)
    msg = str(err.value)
    assert "x.csv" in msg and wrong in msg and SHA in msg
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.part").exists()


def test_retries_server_errors_with_backoff(server, tmp_path):
    url, state = server
    state.fail_first = 2
    path = fetch_file(url, tmp_path / "r.csv", SHA, progress=False, retries=3, backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert len(state.requests) == 3


def test_gives_up_after_retries(server, tmp_path):
    url, state = server
    state.fail_first = 10
    with pytest.raises(requests.HTTPError):
        fetch_file(url, tmp_path / "r.csv", SHA, progress=False, retries=2, backoff=0)
    assert len(state.requests) == 3  # first attempt + 2 retries


def test_client_error_is_not_retried(server, tmp_path):
    url, state = server
    state.status = 404
    with pytest.raises(requests.HTTPError):
        fetch_file(url, tmp_path / "r.csv", progress=False, retries=3, backoff=0)
    assert len(state.requests) == 1


def test_resumes_a_partial_file_with_range(server, tmp_path):
    url, state = server
    half = len(PAYLOAD) // 3
    (tmp_path / "p.csv.part").write_bytes(PAYLOAD[:half])
    path = fetch_file(url, tmp_path / "p.csv", SHA, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert state.requests[0]["range"] == f"bytes={half}-"


def test_interrupted_transfer_resumes_on_retry(server, tmp_path):
    url, state = server
    state.cut_first = 1
    path = fetch_file(url, tmp_path / "c.csv", SHA, progress=False, retries=2, backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert len(state.requests) == 2
    assert state.requests[0]["range"] is None
    # the first answer stopped half-way; what arrived (whole chunks) was kept and resumed
    resumed_at = int(state.requests[1]["range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= len(PAYLOAD) // 2


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    url, state = server
    state.ignore_range = True
    (tmp_path / "i.csv.part").write_bytes(b"garbage that is not the start")
    path = fetch_file(url, tmp_path / "i.csv", SHA, progress=False)
    assert path.read_bytes() == PAYLOAD


def test_sha256_of(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(PAYLOAD)
    assert sha256_of(p) == SHA


def test_login_required_says_what_where_and_where_to_put_it(tmp_path):
    with pytest.raises(LoginRequired) as err:
        login_required(
            "ucr_kaplan",
            "ucr_return_a_1960_2022.parquet",
            "https://www.openicpsr.org/openicpsr/project/100707",
            tmp_path / "ucr_kaplan",
        )
    msg = str(err.value)
    assert "ucr_return_a_1960_2022.parquet" in msg
    assert "openicpsr.org/openicpsr/project/100707" in msg
    assert str(tmp_path / "ucr_kaplan") in msg
    assert not isinstance(err.value, ValueError)  # not mistaken for bad input


def test_source_error_names_file_row_and_column():
    err = SourceError(
        Path("data/raw/x.csv"),
        "expected an integer, got 'abc'",
        row=[5, 9],
        column="POPESTIMATE2001",
    )
    msg = str(err)
    assert msg.startswith(str(Path("data/raw/x.csv")))
    assert "rows 5, 9" in msg and "'POPESTIMATE2001'" in msg and "'abc'" in msg
    assert isinstance(err, ValueError)
    assert "row 3:" in str(SourceError("f.csv", "bad", row=3))


def test_module_fetch_uses_registry_and_default_dest(monkeypatch, tmp_path):
    from enforcement_crime.sources import census_population, g287, secure_communities

    monkeypatch.setenv("ENFORCEMENT_CRIME_RAW", str(tmp_path))
    calls = []

    def fake_fetch_all(files, dest, progress=True):
        calls.append((files, Path(dest)))
        return []

    for mod in (census_population, secure_communities, g287):
        monkeypatch.setattr(mod, "fetch_all", fake_fetch_all)
        mod.fetch(progress=False)
    names = ["census_population", "secure_communities", "g287"]
    for (files, dest), name in zip(calls, names, strict=True):
        assert dest == tmp_path / name
        assert files, name
    census_files = calls[0][0]
    assert (
        census_files["co-est2009-alldata.csv"][1]
        == census_population.SHA256["co-est2009-alldata.csv"]
    )
    assert set(census_files) == set(census_population.URLS)


def test_nc_sbi_fetch_explains_manual_export(monkeypatch, tmp_path):
    from enforcement_crime.sources import nc_sbi

    monkeypatch.setenv("ENFORCEMENT_CRIME_RAW", str(tmp_path))
    with pytest.raises(LoginRequired) as err:
        nc_sbi.fetch()
    assert "crimereporting.ncsbi.gov" in str(err.value) and str(tmp_path / "nc_sbi") in str(
        err.value
    )


def test_every_module_declares_citation_url_licence():
    from enforcement_crime.sources import census_population, g287, nc_sbi, secure_communities

    for mod in (census_population, secure_communities, g287, nc_sbi):
        for const in ("CITATION", "URL", "LICENSE"):
            assert isinstance(getattr(mod, const), str) and len(getattr(mod, const)) > 10, (
                mod.__name__,
                const,
            )
        assert callable(mod.fetch) and callable(mod.load)


def test_progress_bar_does_not_break_download(server, tmp_path, capsys):
    url, _ = server
    assert fetch_file(url, tmp_path / "bar.csv", SHA, progress=True).read_bytes() == PAYLOAD
    assert _download.sha256_of(tmp_path / "bar.csv") == SHA


# ---------------------------------------------------------------- nothing is ever lost

OLD = b"fips,year\n01001,2000\n"  # the user's only copy, whatever its checksum


def _listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/co-est-test.csv"  # nothing listens there any more


def test_downloads_go_through_pooch_with_the_registered_sha256(server, tmp_path, monkeypatch):
    url, _ = server
    calls = []
    real = _download.pooch.retrieve

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(_download.pooch, "retrieve", spy)
    path = fetch_file(url, tmp_path / "s.csv", SHA.upper(), progress=False)
    assert path.read_bytes() == PAYLOAD
    assert calls[0]["known_hash"] == f"sha256:{SHA}"
    assert calls[0]["fname"] == "s.csv" and Path(calls[0]["path"]) == tmp_path
    assert isinstance(calls[0]["downloader"], _download.ResumingDownloader)
    assert _listing(tmp_path) == ["s.csv"]  # no .part, no pooch temporary file left


def test_checksum_mismatch_keeps_the_old_file(server, tmp_path):
    url, state = server
    dest = tmp_path / "co-est-test.csv"
    dest.write_bytes(OLD)
    wrong = hashlib.sha256(b"another version").hexdigest()
    with pytest.raises(ChecksumMismatch) as err:
        fetch_file(url, dest, wrong, progress=False)
    assert dest.read_bytes() == OLD
    assert "kept unchanged" in str(err.value) and wrong in str(err.value) and SHA in str(err.value)
    assert _listing(tmp_path) == ["co-est-test.csv"]
    assert len(state.requests) == 1  # a wrong file is not fetched again and again


def test_server_down_keeps_the_old_file(tmp_path):
    dest = tmp_path / "co-est-test.csv"
    dest.write_bytes(OLD)
    with pytest.raises(requests.ConnectionError) as err:
        fetch_file(_closed_port_url(), dest, SHA, progress=False, retries=2, backoff=0)
    assert dest.read_bytes() == OLD
    msg = str(err.value)
    assert "after 3 attempt(s)" in msg and "kept unchanged" in msg and str(dest) in msg
    assert _listing(tmp_path) == ["co-est-test.csv"]


def test_server_errors_keep_the_old_file(server, tmp_path):
    url, state = server
    state.fail_first = 10
    dest = tmp_path / "co-est-test.csv"
    dest.write_bytes(OLD)
    with pytest.raises(requests.HTTPError, match="kept unchanged"):
        fetch_file(url, dest, SHA, progress=False, retries=1, backoff=0)
    assert dest.read_bytes() == OLD and len(state.requests) == 2


def test_cut_download_keeps_old_file_and_partial_then_resumes(server, tmp_path):
    url, state = server
    dest = tmp_path / "co-est-test.csv"
    dest.write_bytes(OLD)
    state.cut_first = 1
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="resumed next time"):
        fetch_file(url, dest, SHA, progress=False, retries=0)
    assert dest.read_bytes() == OLD
    part = tmp_path / "co-est-test.csv.part"
    assert 0 < part.stat().st_size <= len(PAYLOAD) // 2
    assert PAYLOAD.startswith(part.read_bytes())
    have = part.stat().st_size
    assert fetch_file(url, dest, SHA, progress=False, retries=0).read_bytes() == PAYLOAD
    assert state.requests[-1]["range"] == f"bytes={have}-"
    assert _listing(tmp_path) == ["co-est-test.csv"]


def test_stale_partial_is_retried_once_from_zero(server, tmp_path):
    url, state = server
    (tmp_path / "p.csv.part").write_bytes(b"x" * 1000)  # not a prefix of the file
    path = fetch_file(url, tmp_path / "p.csv", SHA, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert [r["range"] for r in state.requests] == ["bytes=1000-", None]


LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in | openICPSR</title></head>"
    b"<body><form>...</form></body></html>"
)


def test_html_login_page_is_refused_without_checksum(server, tmp_path):
    url, state = server
    state.body, state.content_type = LOGIN_PAGE, "text/html; charset=utf-8"
    with pytest.raises(NotADataFile) as err:
        fetch_file(url, tmp_path / "co-est-test.csv", progress=False)
    msg = str(err.value)
    assert isinstance(err.value, SourceError)
    assert "HTML page titled 'Sign in | openICPSR'" in msg and "text/html" in msg
    assert "login" in msg and "nothing was written" in msg
    # what to fetch, from where, where to put it
    assert "Download: co-est-test.csv" in msg and f"From:     {url}" in msg
    assert f"Put in:   {tmp_path}/" in msg
    assert _listing(tmp_path) == []
    assert len(state.requests) == 1  # an HTML answer is not retried


def test_html_page_keeps_the_old_file_even_with_a_checksum(server, tmp_path):
    url, state = server
    state.body, state.content_type = LOGIN_PAGE, "text/html"
    dest = tmp_path / "co-est-test.csv"
    dest.write_bytes(OLD)
    with pytest.raises(NotADataFile, match="kept unchanged"):
        fetch_file(url, dest, SHA, progress=False)
    assert dest.read_bytes() == OLD and _listing(tmp_path) == ["co-est-test.csv"]


def test_html_is_recognised_by_its_first_bytes_whatever_the_content_type(server, tmp_path):
    url, state = server
    state.body = b"\xef\xbb\xbf\n  <!-- portal -->\n<html><body>Please log in</body></html>"
    state.content_type = "application/vnd.ms-excel"
    with pytest.raises(NotADataFile, match="an HTML page"):
        fetch_file(url, tmp_path / "table.xls", progress=False)
    assert _listing(tmp_path) == []


def test_data_file_labelled_text_html_is_accepted(server, tmp_path):
    url, state = server
    state.body, state.content_type = OLD, "text/html"  # a misconfigured server
    path = fetch_file(url, tmp_path / "c.csv", progress=False)
    assert path.read_bytes() == OLD


def test_cached_html_page_without_checksum_is_refused_and_left_in_place(server, tmp_path):
    url, state = server
    dest = tmp_path / "co-est-test.csv"
    dest.write_bytes(LOGIN_PAGE)
    with pytest.raises(NotADataFile, match="not a data file") as err:
        fetch_file(url, dest, progress=False)
    assert "openICPSR" in str(err.value) and "left in place" in str(err.value)
    assert dest.read_bytes() == LOGIN_PAGE and state.requests == []


def test_cached_file_without_checksum_is_used_offline(tmp_path):
    dest = tmp_path / "co-est-test.csv"
    dest.write_bytes(OLD)
    assert fetch_file(_closed_port_url(), dest, progress=False) == dest
    assert dest.read_bytes() == OLD


def test_data_fetch_offline_keeps_every_raw_file(tmp_path, monkeypatch):
    """`data fetch` with the network down: exit 1, every existing raw file byte-identical."""
    from enforcement_crime.panels import commands
    from enforcement_crime.sources import census_population

    dead = _closed_port_url().rsplit("/", 1)[0]
    monkeypatch.setattr(
        census_population, "URLS", {n: f"{dead}/{n}" for n in census_population.URLS}
    )
    monkeypatch.setattr(
        _download.time, "sleep", lambda s: None
    )  # the back-off, not under test here
    folder = tmp_path / "census_population"
    folder.mkdir()
    before = {}
    for k, name in enumerate(census_population.URLS):
        (folder / name).write_bytes(OLD + str(k).encode())  # none has the registered checksum
        before[name] = (folder / name).read_bytes()
    lines: list[str] = []
    rc = commands.fetch(["census_population"], raw=tmp_path, out=lines.append)
    assert rc == 1
    assert {n: (folder / n).read_bytes() for n in before} == before
    assert _listing(folder) == sorted(before)
    assert "FAILED" in lines[-1] and "kept unchanged" in lines[-1]
