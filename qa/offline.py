"""Process-level setup so nothing tries the network: called once by each entry point."""

from __future__ import annotations

import os
from pathlib import Path


def prepare_offline_runtime() -> None:
    """Point tiktoken at LlamaIndex's bundled encodings and switch off telemetry."""
    import llama_index.core

    cache = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
