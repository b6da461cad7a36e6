"""CQRS central service: FastAPI over HTTPS. ``central.start_in_thread`` runs one in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from central.server import RunningServer, start_in_thread

__all__ = ["RunningServer", "start_in_thread"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from central import server

        return getattr(server, name)
    raise AttributeError(f"module 'central' has no attribute {name!r}")
