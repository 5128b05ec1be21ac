"""The policy corpus: markdown files with YAML front matter, and the numbers they set.

``corpus`` parses the files; ``parameters`` reads the guardrails' numbers from
the versions in force; ``book`` is what the rest of the product holds: the
policy folder, re-read when a file changes. The agents retrieve the same
documents' text, so what a proposal cites and what the engine enforces come
from one source. No database, no vector store: only files.
"""
