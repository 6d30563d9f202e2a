"""What newsqa remembers of the feeds it read, so that reading an unchanged feed again is cheap.

Per collection, one JSON file under NEWSQA_HOME (`feeds/<collection>.json`): for each feed URL,
the validators its server sent (ETag, Last-Modified) and the links of its items. The next read
sends them (If-None-Match / If-Modified-Since); a 304 reply means every item is unchanged,
provided the store still holds them all (otherwise the feed is fetched in full). Validators are
written only after the run has stored the feed's items, and only when every item's page was
fetched: a run killed midway, or an item left with its feed summary, is read in full next time.
The file is only a cache: a missing or unreadable one means full reads, never lost articles.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FeedMemory:
    """One feed as last read in full."""

    etag: str | None
    last_modified: str | None
    links: tuple[str, ...]

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class FeedState:
    """The feeds of one collection (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._staged: dict[str, FeedMemory] = {}

    def remembered(self, url: str) -> FeedMemory | None:
        """The feed as last read in full, if its server gave validators then."""
        found = self._read().get(url)
        if not isinstance(found, dict):
            return None
        links = found.get("links")
        memory = FeedMemory(
            etag=found.get("etag") if isinstance(found.get("etag"), str) else None,
            last_modified=found.get("last_modified")
            if isinstance(found.get("last_modified"), str)
            else None,
            links=tuple(x for x in links if isinstance(x, str)) if isinstance(links, list) else (),
        )
        return memory if memory.request_headers() else None

    def stage(self, url: str, memory: FeedMemory) -> None:
        """Remember a feed once the run's articles are stored (`commit`)."""
        self._staged[url] = memory

    def commit(self) -> None:
        """Write the staged feeds (re-reading the file first: other runs may have added some)."""
        if not self._staged:
            return
        found = self._read()
        for url, memory in self._staged.items():
            found[url] = {
                "etag": memory.etag,
                "last_modified": memory.last_modified,
                "links": list(memory.links),
            }
        self._staged.clear()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(found, out, ensure_ascii=False, indent=1)
            os.replace(temporary, self.path)  # atomic: a reader never sees half a file
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _read(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # only a cache: the feeds are read in full and the file rewritten
        return loaded if isinstance(loaded, dict) else {}
