"""``make faults``: redemptions through the API of a real stack while it is being broken.

The stack is ``loyalty up`` itself (as ``make run`` starts it) on free ports,
with a scratch database and its own data folder. While sagas run, faults are
injected one after another and overlapping (see ``plan.py``); afterwards every
saga must reach a terminal state and the ledger, the stock and the partner's
vouchers must agree with the sagas' outcomes (see ``checks.py``).
"""
