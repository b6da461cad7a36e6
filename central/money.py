"""Who may see £, and the one place every answer of the API loses its £ fields for everyone else.

Only roles in ``MONEY_ROLES`` (Finance View at the practice; Approval Management and Finance
Management at the commissioner) see money. Every route of the API is a :class:`MoneyGuardedRoute`:
after the route has answered — a record, a feed page, a replayed idempotent answer, or an error
carrying the current record — the answer keeps its £ fields only when the caller holds a money role
at every practice the request was authorised for (``central.deps.authorise`` notes them). Points,
counts and statuses are kept. Routes that touch no practice (sign-in, /me, the timetable, extract
upload) have no money in them, so they lose nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from central.errors import ApiError
from central.security import MONEY_ROLES

# Fields holding £, at any depth of a record: exact names, and name beginnings and endings.
MONEY_KEYS = frozenset({"pounds_per_point", "value_per_point", "unit_value"})
MONEY_PREFIXES = ("payment", "gbp_")
MONEY_SUFFIXES = ("_gbp",)


def is_money_key(key: object) -> bool:
    return isinstance(key, str) and (key in MONEY_KEYS or key.startswith(MONEY_PREFIXES)
                                     or key.endswith(MONEY_SUFFIXES))


def without_money(data: Any) -> Any:
    """``data`` with every £ field removed, at any depth (for callers without a money role)."""
    if isinstance(data, dict):
        return {key: without_money(value) for key, value in data.items() if not is_money_key(key)}
    if isinstance(data, list):
        return [without_money(item) for item in data]
    return data


def may_see_money(roles_per_practice: Iterable[frozenset[str]]) -> bool:
    """True when the caller holds a money role at every practice of the request (and there is one)."""
    seen = list(roles_per_practice)
    return bool(seen) and all(roles.intersection(MONEY_ROLES) for roles in seen)


class MoneyGuardedRoute(APIRoute):
    """A route whose answers, success or error, lose their £ fields unless the caller may see money."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except ApiError as error:
                if error.extra and not _money_allowed(request):
                    error.extra = without_money(error.extra)
                raise
            if not _money_allowed(request):
                _strip_body(response)
            return response

        return guarded


def _money_allowed(request: Request) -> bool:
    caller = getattr(request.state, "caller", None)
    return caller is not None and may_see_money(caller.practice_roles)


def _strip_body(response: Response) -> None:
    body = getattr(response, "body", b"")  # a streamed answer has none; no route streams JSON
    if not body or not response.headers.get("content-type", "").startswith("application/json"):
        return
    data = json.loads(body)
    stripped = without_money(data)
    if stripped == data:
        return
    response.body = json.dumps(stripped, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    response.headers["content-length"] = str(len(response.body))
