"""The lexical form of a text: the words BM25 ranks on, stemmed.

Chunks are stored with this form in a payload field that Qdrant indexes for
BM25, and questions are put in the same form before a text query, so
"credits", "credited" and "crediting" all meet "credit". Stemming happens
here rather than in Qdrant because local (embedded) Qdrant only scores BM25
on its default word tokenizer; doing it on our side gives the same ranking
against a server and in local mode. The stemmer is Snowball's English one
(``snowballstemmer``, pure Python, maintained by the Snowball project).
"""

from __future__ import annotations

import re
import threading

import snowballstemmer

# The same split as Qdrant's default word tokenizer: runs of letters and digits.
_WORD = re.compile(r"[^\W_]+")
_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    # A Snowball stemmer keeps state between calls; one per thread is safe.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


def lexical_terms(text: str) -> str:
    """``text`` as lower-case stemmed words joined by spaces (empty if it has no words)."""
    words = [word.lower() for word in _WORD.findall(text)]
    return " ".join(_stemmer().stemWords(words))
