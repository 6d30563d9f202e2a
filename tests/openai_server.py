"""A real HTTP server on 127.0.0.1 that speaks OpenAI chat completions with scripted replies.

Use the `openai_server` fixture; script replies with strings, callables(request_json) -> str,
or faults (`http_error`, `hang`, `garbage`, `drop_stream`).
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# conftest.py star-imports this module: export the fixture and the scripting helpers only
__all__ = [
    "Fault",
    "OpenAIServer",
    "drop_stream",
    "garbage",
    "hang",
    "http_error",
    "openai_server",
    "split_deltas",
    "unused_base_url",
]

Responder = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Fault:
    """A scripted misbehaviour of the server, answered instead of a reply."""

    kind: str  # "http_error" | "hang" | "garbage" | "drop_stream"
    status: int = 500
    seconds: float = 0.0
    text: str = ""


def http_error(status: int = 500) -> Fault:
    """Answer with this HTTP status and an OpenAI-style error body."""
    return Fault("http_error", status=status)


def hang(seconds: float = 30.0) -> Fault:
    """Say nothing for `seconds` (ended early when the server stops), then close."""
    return Fault("hang", seconds=seconds)


def garbage() -> Fault:
    """Answer 200 with a body (or an SSE event) that is not JSON."""
    return Fault("garbage")


def drop_stream(text: str = "Half an ans") -> Fault:
    """Stream `text` as deltas, then close the connection without finishing the body."""
    return Fault("drop_stream", text=text)


Reply = str | Responder | Fault


def split_deltas(text: str) -> list[str]:
    """Split text into word-sized stream deltas that join back to it exactly."""
    return re.findall(r"\s*\S+|\s+", text) or [""]


class OpenAIServer:
    """Scripted OpenAI-protocol server; `requests` holds every JSON body received."""

    def __init__(self, model: str = "scripted") -> None:
        self.model = model
        self.report_usage = True  # False: like servers that send no `usage` at all
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: deque[Reply] = deque()
        self._default: Responder | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def script(self, *replies: Reply) -> OpenAIServer:
        """Queue replies, each answered once, in order."""
        with self._lock:
            self._queue.extend(replies)
        return self

    def respond_with(self, responder: Responder) -> OpenAIServer:
        """Answer with responder(request_json) whenever the queue is empty."""
        self._default = responder
        return self

    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            if self._queue:
                return self._queue.popleft()
        if self._default is not None:
            return self._default
        return Fault("http_error", status=418, text="openai_server: no scripted reply left")


def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion = len(text.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


class _QuietServer(ThreadingHTTPServer):
    """Clients hanging up mid-reply (timeouts, dropped streams) are expected, not errors."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _make_handler(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, like real servers

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/v1/models":
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            model = {"id": server.model, "object": "model", "created": 0, "owned_by": "tests"}
            self._send_json(200, {"object": "list", "data": [model]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send_json(400, {"error": {"message": "request body is not JSON"}})
                return
            reply = server._next_reply(body, dict(self.headers.items()))
            if isinstance(reply, Fault):
                self._send_fault(reply, body)
                return
            text = reply if isinstance(reply, str) else reply(body)
            if body.get("stream"):
                self._send_stream(body, split_deltas(text), finish=True)
            else:
                self._send_json(200, self._completion(body, text))

        def _completion(self, body: dict[str, Any], text: str) -> dict[str, Any]:
            return {
                "id": f"chatcmpl-{next(server._ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", server.model),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                **({"usage": _usage(body, text)} if server.report_usage else {}),
            }

        def _chunk(self, body: dict[str, Any], delta: dict[str, Any], finish: str | None) -> bytes:
            chunk = {
                "id": "chatcmpl-stream",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body.get("model", server.model),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(chunk)}\n\n".encode()

        def _send_stream(self, body: dict[str, Any], deltas: list[str], finish: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._write_chunk(self._chunk(body, {"role": "assistant", "content": ""}, None))
            for delta in deltas:
                self._write_chunk(self._chunk(body, {"content": delta}, None))
            if not finish:
                # End the connection without the terminating chunk: the body is incomplete.
                self.close_connection = True
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._write_chunk(self._chunk(body, {}, "stop"))
            if server.report_usage and (body.get("stream_options") or {}).get("include_usage"):
                usage = {"choices": [], "usage": _usage(body, "".join(deltas))}
                self._write_chunk(f"data: {json.dumps(usage)}\n\n".encode())
            self._write_chunk(b"data: [DONE]\n\n")
            self._write_chunk(b"")

        def _write_chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _send_fault(self, fault: Fault, body: dict[str, Any]) -> None:
            if fault.kind == "http_error":
                message = fault.text or f"scripted HTTP {fault.status}"
                self._send_json(fault.status, {"error": {"message": message, "type": "server"}})
            elif fault.kind == "hang":
                server._stopping.wait(fault.seconds)
                self.close_connection = True
            elif fault.kind == "garbage":
                if body.get("stream"):
                    self._send_raw(200, "text/event-stream", b"data: {this is not json\n\n")
                else:
                    self._send_raw(200, "application/json", b"<html>this is not json{")
            elif fault.kind == "drop_stream":
                self._send_stream(body, split_deltas(fault.text), finish=False)
            else:
                raise ValueError(f"unknown fault kind {fault.kind!r}")

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            self._send_raw(status, "application/json", json.dumps(payload).encode())

        def _send_raw(self, status: int, content_type: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

    return Handler


def unused_base_url() -> str:
    """A /v1 URL on 127.0.0.1 where nothing listens (the port was bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A started OpenAIServer, stopped after the test."""
    with OpenAIServer() as server:
        yield server
