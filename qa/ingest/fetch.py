"""Fetching pages and feeds over HTTP(S): bounded in time, size and redirects, and SSRF-guarded.

Only http and https are fetched. Unless `allow_private` is set, a URL whose host resolves to a
loopback, private, link-local, reserved or otherwise non-public address is refused, and so is
every redirect target; the connection then goes to the address that was checked (so a DNS
answer that changes between the check and the connect cannot point it elsewhere).
Environment proxies are not used.

robots.txt (RFC 9309) is honoured for our user agent unless `respect_robots` is off: it is read
once per scheme, host and port (and per Fetcher, that is per ingestion run), before the first
fetch from that site and before every redirect hop to a new one. A robots.txt that is missing
(any 4xx) allows everything. One that cannot be read (5xx, timeout, connection error) disallows
the whole site, as RFC 9309 asks for an unreachable robots.txt: a site that is down or refusing
us is not one to fetch from, and the failure says how to override it. Crawl-delay is not used
(newsqa fetches what a user asked for, a few pages per site at a time).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from qa.ingest.decode import UnreadableInput, decode_bytes

USER_AGENT = "newsqa/0.1 (news question answering; fetches articles a user asked for)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
     "text/xml", "application/x-rss+xml"}
)  # fmt: skip
# robots.txt is text/plain, but servers label it many ways; what it says is all that matters
ROBOTS_TYPES = frozenset({"text/plain", "text/html", "application/octet-stream", ""})
_REDIRECTS = (301, 302, 303, 307, 308)
_READ_SIZE = 64 * 1024
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309: crawlers must read at least 500 KiB
ROBOTS_TIMEOUT_S = 10.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A URL that could not be fetched; the message is the one-line reason for the user."""


@dataclass(frozen=True)
class Fetched:
    """A fetched document: where it ended up, what the server said it is, and its bytes."""

    url: str  # after redirects
    content_type: str  # media type only, lower-case ("" when the server sent none)
    charset: str | None
    data: bytes
    fetched_at: datetime
    status: int = 200  # 304: not modified since the validators sent (data is empty)
    etag: str | None = None
    last_modified: str | None = None

    def text(self) -> str:
        """The body as text: the declared charset when it decodes, else detected."""
        if self.charset:
            try:
                text = self.data.decode(self.charset)
                if text.strip():
                    return text
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong or unknown charset label: detect instead
        try:
            return decode_bytes(self.data)[0]
        except UnreadableInput as error:
            raise FetchError(str(error).replace("file", "response")) from error


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Fetcher:
    """Fetches URLs within a time budget, a size limit and a redirect limit."""

    timeout_s: float = 15.0  # the whole fetch, redirects included
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    allow_private: bool = False
    user_agent: str = USER_AGENT
    # which addresses count as public; a seam for tests that serve on 127.0.0.1
    address_allowed: Callable[[IPAddress], bool] = field(default=is_public_address)
    respect_robots: bool = True
    _robots: dict[str, RobotFileParser | str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )  # site -> its rules, or why it counts as disallowing everything
    _robots_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def fetch(
        self,
        url: str,
        *,
        accept: Collection[str] = HTML_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """GET a URL, following redirects; FetchError (one line) for anything unusable.

        `headers` go with the request (e.g. If-None-Match); a 304 reply comes back as a
        `Fetched` with status 304 and no data.
        """
        deadline = time.monotonic() + self.timeout_s
        current = url
        for _hop in range(self.max_redirects + 1):
            if self.respect_robots:
                self.check_robots(current)
            try:
                response = self._get(current, deadline, accept, headers or {})
            except FetchError:
                raise
            except TimeoutError as error:
                raise FetchError(f"timed out (limit {self.timeout_s:g}s)") from error
            except ssl.SSLError as error:
                raise FetchError(f"TLS error: {error.reason or error}") from error
            except socket.gaierror as error:
                raise FetchError(f"cannot resolve host: {error.strerror or error}") from error
            except (http.client.HTTPException, OSError) as error:
                detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
                raise FetchError(f"connection failed: {detail}") from error
            if isinstance(response, str):
                current = response  # a redirect: check and follow it
                continue
            return response
        raise FetchError(f"more than {self.max_redirects} redirects")

    def check_robots(self, url: str) -> None:
        """FetchError if the site's robots.txt disallows this URL for our user agent."""
        try:
            parts = urlsplit(url)
            site = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        except ValueError:
            return  # `check` names the bad URL
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return
        with self._robots_lock:  # one read per site, even with several fetches in flight
            rules = self._robots.get(site)
            if rules is None:
                rules = self._read_robots(site)
                self._robots[site] = rules
        robots_url = site + "/robots.txt"
        if isinstance(rules, str):
            raise FetchError(
                f"refused: {robots_url} could not be read ({rules}), which disallows the site; "
                "set NEWSQA_RESPECT_ROBOTS=false to fetch it anyway"
            )
        if not rules.can_fetch(self.user_agent, url):
            agent = self.user_agent.split("/", 1)[0]
            raise FetchError(
                f"disallowed by {robots_url} for user agent '{agent}'; "
                "set NEWSQA_RESPECT_ROBOTS=false to fetch it anyway"
            )

    def _read_robots(self, site: str) -> RobotFileParser | str:
        reader = replace(
            self,
            timeout_s=min(self.timeout_s, ROBOTS_TIMEOUT_S),
            max_bytes=ROBOTS_MAX_BYTES,
            respect_robots=False,
        )
        rules = RobotFileParser(site + "/robots.txt")
        try:
            fetched = reader.fetch(site + "/robots.txt", accept=ROBOTS_TYPES)
        except FetchError as error:
            reason = str(error)
            if reason.startswith("HTTP 4"):
                rules.parse([])  # RFC 9309: an unavailable robots.txt allows everything
                return rules
            if reason.startswith("over the size limit"):
                return f"larger than {ROBOTS_MAX_BYTES:,} bytes"
            return reason
        rules.parse(fetched.data.decode("utf-8", errors="replace").splitlines())
        return rules

    def check(self, url: str) -> tuple[str, str, int, str]:
        """Scheme, host, port and the address to connect to; FetchError if refused."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError as error:
            raise FetchError(f"not a valid URL: {error}") from error
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(f"refused: only http and https URLs are fetched, not '{scheme}:'")
        if not host:
            raise FetchError("not a valid URL: no host")
        port = port or (443 if scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise FetchError(f"cannot resolve host {host}")
        if not self.allow_private:
            for address in addresses:
                if not self.address_allowed(address):
                    raise FetchError(
                        f"refused: {host} resolves to a non-public address ({address}); "
                        "set NEWSQA_ALLOW_PRIVATE_URLS=true to fetch private or local URLs"
                    )
        return scheme, host, port, str(addresses[0])

    def _get(
        self, url: str, deadline: float, accept: Collection[str], extra: Mapping[str, str]
    ) -> Fetched | str:
        scheme, host, port, address = self.check(url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        connection = connection_class(host, port, address=address, timeout=remaining)
        try:
            parts = urlsplit(url)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", path, headers={**self._headers(accept), **extra})
            response = connection.getresponse()
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"HTTP {response.status} redirect without a Location")
                return urljoin(url, location.strip())
            if response.status == 304 and extra:
                return Fetched(url, "", None, b"", datetime.now(UTC), status=304,
                               etag=response.getheader("ETag"),
                               last_modified=response.getheader("Last-Modified"))  # fmt: skip
            if response.status != 200:
                raise FetchError(f"HTTP {response.status} {response.reason}".strip())
            content_type, charset = _media_type(response.getheader("Content-Type"))
            if content_type and content_type not in accept and content_type != "text/plain":
                wanted = ", ".join(sorted(accept))
                raise FetchError(f"unsupported content type '{content_type}' (expected {wanted})")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(
                    f"over the size limit ({int(declared):,} > {self.max_bytes:,} bytes)"
                )
            data = self._read(response, deadline)
            return Fetched(url, content_type, charset, data, datetime.now(UTC),
                           etag=response.getheader("ETag"),
                           last_modified=response.getheader("Last-Modified"))  # fmt: skip
        finally:
            connection.close()

    def _headers(self, accept: Collection[str]) -> dict[str, str]:
        return {
            "User-Agent": self.user_agent,
            "Accept": ", ".join(sorted(accept)) + ", */*;q=0.1",
            "Accept-Encoding": "gzip, deflate",
        }

    def _read(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(f"unsupported content encoding '{encoding}'")
        # wbits=47 reads gzip and zlib headers; a decompression bomb stops at max_bytes too
        inflate = zlib.decompressobj(wbits=47) if encoding != "identity" else None
        parts: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError
            piece = response.read1(_READ_SIZE)
            if not piece:
                break
            if inflate is not None:
                try:
                    piece = inflate.decompress(piece, self.max_bytes + 1 - size)
                except zlib.error as error:
                    raise FetchError(f"corrupt {encoding} response: {error}") from error
            size += len(piece)
            if size > self.max_bytes:
                raise FetchError(f"over the size limit (more than {self.max_bytes:,} bytes)")
            parts.append(piece)
        return b"".join(parts)


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media.strip().lower(), charset


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand, whatever DNS says now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address; the certificate is checked for the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
