"""A stand-in for DNS (outside the product): tests say where names point, and nothing leaves.

The webhook code resolves every endpoint's host itself (``loyalty.webhooks.targets``);
tests hand it this resolver so a name can point anywhere, and change its mind
between two lookups as a rebinding attacker's DNS would, without a packet
leaving the machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A public address for names the tests subscribe but never deliver to.
PUBLIC_ADDRESS = "93.184.216.34"


@dataclass
class FakeDns:
    records: dict[str, list[str]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return list(self.records.get(host, []))

    def point(self, host: str, *addresses: str) -> None:
        self.records[host] = list(addresses)
