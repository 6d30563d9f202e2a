"""NEWSQA_CHROMA_TOKEN against a real `chroma run`, behind the proxy that enforces the token.

The open-source Chroma server (chromadb 1.x, `chroma run`) has no authentication of its own:
its Rust frontend accepts every request and ignores the CHROMA_SERVER_AUTHN_* settings of the
0.x Python server (the first test shows it). A shared server is therefore put behind a
reverse proxy that checks the bearer token newsqa sends (docs/deploy.md); these tests run
that set-up for real on 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from chroma_server import ChromaServer, TokenProxy
from conftest import FIXTURES, ROOT
from pydantic import SecretStr

TRAM = "How much will the airport tram line cost?"


@pytest.fixture
def proxy(chroma_server: ChromaServer) -> Iterator[TokenProxy]:
    """`chroma run` reachable only through a proxy that requires `Bearer <proxy.token>`."""
    running = TokenProxy(chroma_server.port, token=secrets.token_urlsafe(24))
    running.start()
    try:
        yield running
    finally:
        running.stop()


def through(settings, proxy: TokenProxy, token: str | None):  # type: ignore[no-untyped-def]
    return settings.model_copy(
        update={
            "chroma_host": "127.0.0.1",
            "chroma_port": proxy.port,
            "chroma_token": SecretStr(token) if token is not None else None,
        }
    )


def test_chroma_run_itself_accepts_requests_without_a_token(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Why the proxy exists: the 0.x token settings do not make `chroma run` ask for one."""
    env = dict(os.environ)
    env.update(
        CHROMA_SERVER_AUTHN_PROVIDER="chromadb.auth.token_authn.TokenAuthenticationServerProvider",
        CHROMA_SERVER_AUTHN_CREDENTIALS="server-side-token",
    )
    server = ChromaServer(tmp_path / "open-server", env=env)
    server.start()
    try:
        reply = httpx.get(
            f"http://127.0.0.1:{server.port}/api/v2/tenants/default_tenant/databases", timeout=10
        )
    finally:
        server.stop()
    assert reply.status_code == 200, reply.text


def test_the_token_is_sent_and_ingest_and_answers_work_through_the_proxy(
    proxy, settings, embed_model
) -> None:  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    qa = NewsQA(through(settings, proxy, proxy.token), embed_model=embed_model)
    assert qa.ingest([FIXTURES / "articles.jsonl"]).added == 6
    answer = NewsQA(through(settings, proxy, proxy.token), embed_model=embed_model).ask(TRAM)
    assert "420 million euros" in answer.text and answer.citations
    assert proxy.allowed > 0 and proxy.refused == []


@pytest.mark.parametrize("token", [None, "a-wrong-token"], ids=["missing", "wrong"])
def test_missing_or_wrong_token_is_a_clear_authentication_error(
    proxy, settings, embed_model, token
) -> None:  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA
    from qa.store import StoreError

    with pytest.raises(StoreError) as caught:
        NewsQA(through(settings, proxy, token), embed_model=embed_model)
    message = str(caught.value)
    assert f"127.0.0.1:{proxy.port}" in message and "authentication" in message
    assert "NEWSQA_CHROMA_TOKEN" in message
    assert proxy.token not in message and (token is None or token not in message)
    assert proxy.refused and proxy.allowed == 0


@pytest.mark.slow
def test_cli_with_a_wrong_token_prints_one_line_naming_the_server(proxy, isolated_home) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update(
        NEWSQA_HOME=str(isolated_home),
        NEWSQA_CHROMA_HOST="127.0.0.1",
        NEWSQA_CHROMA_PORT=str(proxy.port),
        NEWSQA_CHROMA_TOKEN="not-the-token",
    )
    result = subprocess.run(
        [sys.executable, "-m", "qa.cli", "articles"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("newsqa: ")]
    assert f"127.0.0.1:{proxy.port}" in line and "refused authentication" in line
    assert "not-the-token" not in result.stderr + result.stdout


def test_a_full_url_as_chroma_host_is_used_as_given(proxy, settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    """NEWSQA_CHROMA_HOST=http(s)://host:port (how a TLS proxy is named); the port setting is unused."""
    from qa.pipeline import NewsQA
    from qa.store import StoreError

    url = settings.model_copy(
        update={
            "chroma_host": f"http://127.0.0.1:{proxy.port}/",
            "chroma_port": 1,
            "chroma_token": SecretStr(proxy.token),
        }
    )
    assert NewsQA(url, embed_model=embed_model).store.count_chunks() == 0
    wrong = url.model_copy(update={"chroma_token": SecretStr("not-it")})
    with pytest.raises(StoreError, match="refused authentication") as caught:
        NewsQA(wrong, embed_model=embed_model)
    assert f"127.0.0.1:{proxy.port}" in str(caught.value)
