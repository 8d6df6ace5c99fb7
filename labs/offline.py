"""Make every dependency run with no network, before anything imports it.

This is the one place that knows the traps:

* ``import textattack`` raises ``LookupError`` without NLTK's ``stopwords`` corpus, and on its
  first import calls ``nltk.download`` and ``stanza.download`` unless the marker file
  ``$TA_CACHE_DIR/post_install_check_3`` exists.
* transformers / huggingface-hub try the model hub unless told they are offline.
* textattack sets ``PYTORCH_TRANSFORMERS_CACHE``, which makes transformers print a
  FutureWarning to stderr -- and nbgrader gives a test cell 0 points for any stderr output.

``labs/__init__.py`` calls :func:`prepare` on import, so ``import labs`` first is enough.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

#: Environment variables that keep Hugging Face libraries off the network.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}

# textattack checks for this file (name tied to textattack 0.3.x) to skip its download step.
TEXTATTACK_POST_INSTALL_MARKER = "post_install_check_3"


def cache_dir() -> Path:
    """A writable directory for the offline shims: ``$LABS_CACHE_DIR``, else a per-user cache.

    Falls back to the temporary directory when the home directory is read-only (a grading
    sandbox, a locked-down hub image).
    """
    configured = os.environ.get("LABS_CACHE_DIR")
    candidates = [Path(configured)] if configured else []
    candidates.append(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ai-safety-labs")
    candidates.append(Path(tempfile.gettempdir()) / f"ai-safety-labs-{os.getuid()}")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    raise RuntimeError(
        "AI Safety Labs needs one writable cache directory; set LABS_CACHE_DIR to one. Tried: "
        + ", ".join(str(c) for c in candidates)
    )


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def provide_nltk_stopwords(nltk_data: Path) -> None:
    """Write scikit-learn's English stop words in NLTK's corpus layout (no NLTK download)."""
    corpus = nltk_data / "corpora" / "stopwords" / "english"
    if corpus.exists():
        return
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    _write_atomically(corpus, "\n".join(sorted(ENGLISH_STOP_WORDS)) + "\n")


def prepare() -> Path:
    """Set the offline environment and provide local data. Idempotent; returns the cache dir."""
    root = cache_dir()
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)

    nltk_data = root / "nltk_data"
    provide_nltk_stopwords(nltk_data)
    paths = [p for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    if str(nltk_data) not in paths:
        os.environ["NLTK_DATA"] = os.pathsep.join([str(nltk_data), *paths])

    textattack_cache = root / "textattack"
    os.environ.setdefault("TA_CACHE_DIR", str(textattack_cache))
    marker = Path(os.environ["TA_CACHE_DIR"]) / TEXTATTACK_POST_INSTALL_MARKER
    if not marker.exists():
        _write_atomically(marker, "")

    warnings.filterwarnings(
        "ignore", message=".*PYTORCH_TRANSFORMERS_CACHE.*", category=FutureWarning
    )
    return root
