"""The one base class of every payload that crosses Temporal, and the shared field types.

Payloads are JSON objects with documented field names, so a client or worker
in another language can speak them (see ``docs/contracts/``). Add fields with
defaults; never rename or remove one: a running workflow replays the payloads
it was started with.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
Reason = Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True)]


class Contract(BaseModel):
    """Frozen and strict: an unknown field is a caller's bug, not something to drop.

    A workflow's state (its query result) subclasses this with ``frozen=False``
    because the workflow updates it in place.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")


class MutableContract(Contract):
    """A contract the workflow changes in place: its state, returned by query and as result."""

    model_config = ConfigDict(frozen=False, extra="forbid")
