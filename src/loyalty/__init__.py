"""Loyalty Orchestration: loyalty-points redemptions as Temporal sagas."""
