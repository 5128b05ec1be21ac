"""The ledger facts the agents read, behind the protocols ``loyalty.agents.context`` states.

:class:`LedgerMemberContext` implements ``MemberContextSource`` (what a
proposer may look at) and :class:`LedgerCaseFacts` implements
``CaseFactsSource`` (the member, their assisted credits in the policies'
windows, today's program-wide assisted points, and for a redemption the reward
and an eligibility result). Both only call ``ledger/``; the worker builds them
once and hands them to the proposal service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from loyalty import domain
from loyalty.agents.context import (
    ActivityItem,
    BalanceSnapshot,
    CatalogItem,
    ExpiringPoints,
    MemberContext,
)
from loyalty.domain.guardrail_types import BudgetUsage, CreditHistory, MemberFacts, RewardFacts
from loyalty.domain.redemption import RedemptionRules
from loyalty.errors import NotFoundError
from loyalty.ledger import catalog, discretionary, reads, redemptions
from loyalty.ledger.operation import utc_now
from loyalty.ledger.repository import Clock, Ledger

EXPIRING_WITHIN = dt.timedelta(days=90)


class LedgerMemberContext:
    """What an agent may read about a member; every method raises NotFoundError if unknown."""

    def __init__(
        self, *, sessions: sessionmaker[Session], ledger: Ledger, clock: Clock = utc_now
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._clock = clock

    def get_member(self, member_id: str) -> MemberContext:
        with self._sessions() as session:
            member = catalog.get_member(session, member_id=member_id)
            return MemberContext(
                member_id=member.id,
                tier=member.tier,
                status=member.status,
                region=member.region,
                joined_on=member.joined_on,
                segments=list(member.segments or []),
                churn_risk_score=member.churn_risk_score,
                notes=member.notes,
            )

    def list_recent_activity(self, member_id: str, *, limit: int) -> list[ActivityItem]:
        entries = self._ledger.entries(member_id=member_id, limit=limit)
        return [
            ActivityItem(
                occurred_at=e.created_at,
                kind=e.kind,
                points=e.delta_available,
                description=e.reason,
            )
            for e in entries
        ]

    def get_balance(self, member_id: str) -> BalanceSnapshot:
        now = self._clock()
        balance = self._ledger.balance(member_id=member_id, as_of=now)
        with self._sessions() as session:
            rows = reads.expiring_points(
                session, member_id=member_id, as_of=now, within=EXPIRING_WITHIN
            )
        expiring = [ExpiringPoints(points=points, expires_at=at) for at, points in rows]
        return BalanceSnapshot(available=balance.available, held=balance.held, expiring=expiring)

    def list_rewards(self, member_id: str) -> list[CatalogItem]:
        with self._sessions() as session:
            catalog.get_member(session, member_id=member_id)
            rewards = catalog.list_active_rewards(session)
            return [
                CatalogItem(
                    reward_id=r.id,
                    name=r.name,
                    category=r.category,
                    point_cost=r.point_cost,
                    min_tier=r.min_tier,
                    active=r.active,
                    inventory=r.inventory,
                )
                for r in rewards
            ]


class LedgerCaseFacts:
    """The typed facts of one case, read at proposal time.

    Args:
        sessions: Session factory of the ledger database.
        ledger: For the member's spendable balance.
        rules: The redemption rules in force (eligibility's count limits), read per case.
        clock: Source of "now" (windows and tenure are measured from it).
    """

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ledger: Ledger,
        rules: Callable[[], RedemptionRules],
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._rules = rules
        self._clock = clock

    def member(self, member_id: str) -> MemberFacts:
        now = self._clock()
        with self._sessions() as session:
            member = catalog.get_member(session, member_id=member_id)
        available = self._ledger.balance(member_id=member_id, as_of=now).available
        return MemberFacts(
            member_id=member.id,
            tier=domain.Tier(member.tier),
            status=domain.MemberStatus(member.status),
            segments=frozenset(member.segments or ()),
            tenure_days=(now.date() - member.joined_on).days,
            available_points=available,
        )

    def history(self, member_id: str) -> CreditHistory:
        with self._sessions() as session:
            counts = discretionary.member_credit_counts(
                session, member_id=member_id, now=self._clock()
            )
        return CreditHistory(
            goodwill_credits_30d=counts.goodwill_30d, retention_offers_90d=counts.retention_90d
        )

    def budget(self) -> BudgetUsage:
        with self._sessions() as session:
            today = discretionary.points_granted_today(session, now=self._clock())
        return BudgetUsage(
            goodwill_points_today=today.goodwill, retention_points_today=today.retention
        )

    def reward(
        self, member_id: str, reward_id: str
    ) -> tuple[RewardFacts | None, domain.EligibilityResult | None]:
        """The reward and the member's eligibility for one unit; ``(None, None)`` if unknown."""
        now = self._clock()
        with self._sessions() as session:
            member = catalog.get_member(session, member_id=member_id)
            try:
                reward = catalog.get_reward(session, reward_id=reward_id)
            except NotFoundError:
                return None, None
            history = redemptions.member_history(
                session, member_id=member_id, now=now, exclude_id=""
            )
        result = domain.check_eligibility(
            domain.EligibilityInput(
                member=catalog.member_profile(member),
                reward=catalog.reward_terms(reward),
                quantity=1,
                usage=domain.RedemptionUsage(today=history.today, this_month=history.this_month),
                limits=self._rules().limits,
            )
        )
        facts = RewardFacts(reward_id=reward.id, point_cost=reward.point_cost, active=reward.active)
        return facts, result
