"""The proposal both proposers return, and what a proposer run carries with it.

``RewardProposal`` checks *types* only (an action it knows, integer points, a
list of citation ids); whether the values are acceptable is for the
guardrails to say, so a bad value is logged with a verdict rather than lost
as a parse error. An answer that is not even this shape is a
:class:`ProposalFormatError`.

Light on purpose (pydantic and the domain only, no Qdrant or Semantic Kernel)
so activity and workflow payload types can import it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from pydantic import ValidationError as PydanticError

from loyalty.domain.guardrail_types import CasePurpose, ProposalCandidate, RetrievedRef
from loyalty.errors import ValidationError

RULES_PROPOSER = "rules"
_FENCE = re.compile(r"^```(?:json)?\s*(?P<body>.*?)\s*```$", re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrievedChunk:
    """One retrieved policy section."""

    chunk_id: str
    policy_id: str
    version: int
    title: str
    section: str
    text: str
    score: float

    def as_ref(self) -> RetrievedRef:
        """The part of the chunk the citation guardrail needs."""
        return RetrievedRef(chunk_id=self.chunk_id, policy_id=self.policy_id, version=self.version)


class ProposalFormatError(ValidationError):
    """A proposer's answer is not a valid proposal (not JSON, wrong fields or types)."""

    code = "proposal_malformed"

    def __init__(self, message: str, *, raw_output: str) -> None:
        super().__init__(message)
        self.raw_output = raw_output
        # Filled in by the proposer, so a refused answer is still logged with
        # what the model was shown and which tools it called.
        self.retrieved: list[RetrievedChunk] = []
        self.tool_calls: list[str] = []


class Severity(StrEnum):
    """How badly the member was let down, as the support agent judged it."""

    MINOR = "minor"
    MODERATE = "moderate"
    MAJOR = "major"


class ProposalRequest(BaseModel):
    """One case for a proposer. ``summary`` is untrusted text: evidence, never instruction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str = Field(min_length=1, max_length=128)
    member_id: str = Field(min_length=1, max_length=64)
    purpose: CasePurpose
    summary: str = Field(default="", max_length=4000)
    severity: Severity | None = None
    reward_id: str | None = None
    requested_by: str = Field(min_length=1, max_length=128)


class RewardProposal(BaseModel):
    """A drafted reward or points credit with its rationale and cited policy chunks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["reward_redemption", "points_credit"]
    reward_id: str | None = None
    points: StrictInt | None = None
    rationale: str = Field(min_length=1, max_length=4000)
    citations: list[str] = Field(default_factory=list, max_length=20)
    proposer: str = Field(min_length=1, max_length=128)

    def to_candidate(self) -> ProposalCandidate:
        return ProposalCandidate(
            action=self.action,
            points=self.points,
            reward_id=self.reward_id,
            citations=tuple(self.citations),
        )


class ProposalRun(BaseModel):
    """A proposal plus the evidence of how it was made, for guardrails and the log.

    Attributes:
        retrieved: Every chunk retrieved for this case; citations must be among them.
        raw_output: The proposer's answer as produced (JSON text).
        tool_calls: Fully qualified names of the kernel functions invoked, in order.
    """

    proposal: RewardProposal
    retrieved: list[RetrievedChunk]
    raw_output: str
    tool_calls: list[str] = Field(default_factory=list)

    def retrieved_refs(self) -> tuple[RetrievedRef, ...]:
        return tuple(chunk.as_ref() for chunk in self.retrieved)


def parse_proposal(raw_output: str, *, proposer: str) -> RewardProposal:
    """Parse a model's final answer; ``proposer`` is ours to set, never the model's.

    Raises:
        ProposalFormatError: Not a JSON object of the proposal's shape.
    """
    text = raw_output.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced["body"]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProposalFormatError(f"answer is not JSON: {exc}", raw_output=raw_output) from exc
    if not isinstance(data, dict):
        raise ProposalFormatError("answer is not a JSON object", raw_output=raw_output)
    data["proposer"] = proposer
    try:
        return RewardProposal.model_validate(data)
    except PydanticError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ProposalFormatError(
            f"answer is not a proposal: {errors}", raw_output=raw_output
        ) from exc
