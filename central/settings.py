"""Run-time settings of one central service instance, and the clock it reads the time from."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

Clock = Callable[[], datetime]  # returns an aware UTC datetime

MAX_BODY_BYTES = 5 * 1024 * 1024
DEFAULT_DATA_DIR = Path("cqrs-central-data")  # when no --data-dir is given


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str | None = None  # default: SQLite file central.db in data_dir
    allow_networks: Sequence[str] = ()  # CIDRs; empty allows every address
    clock: Clock = system_clock
    max_body_bytes: int = MAX_BODY_BYTES
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=30)
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "networks", parse_networks(self.allow_networks))

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'central.db'}"


def parse_networks(cidrs: Sequence[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse CIDRs such as ``10.0.0.0/8``; a bad one raises ValueError naming it."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"Not a network address range (CIDR): {cidr!r}") from exc
    return tuple(networks)
