"""Custom search attributes, so operators can filter redemptions in the Temporal UI.

Registered when the dev server starts (``loyalty up``) and by the test server
fixture; in production, register them once with ``temporal operator
search-attribute create``.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

MEMBER_ID = SearchAttributeKey.for_keyword("LoyaltyMemberId")
STATUS = SearchAttributeKey.for_keyword("LoyaltyStatus")
REWARD_ID = SearchAttributeKey.for_keyword("LoyaltyRewardId")
POINTS = SearchAttributeKey.for_int("LoyaltyPoints")
CHANNEL = SearchAttributeKey.for_keyword("LoyaltyChannel")
# Who started a redemption: the member, or the support agent acting for them.
REQUESTED_BY = SearchAttributeKey.for_keyword("LoyaltyRequestedBy")

ALL = (MEMBER_ID, STATUS, REWARD_ID, POINTS, CHANNEL, REQUESTED_BY)
