"""The app and the service agree, role by role, on who may see £ (one list, in the shared rules)."""

from __future__ import annotations

import pytest

from app.services.profile import PracticeAccess
from app.services.rules import APPROVAL_MANAGEMENT, FINANCE_MANAGEMENT, FINANCE_VIEW
from central.money import may_see_money
from central.security import ALL_ROLES


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_app_hides_money_exactly_where_the_service_strips_it(role: str) -> None:
    app_shows = PracticeAccess("Z99001", "Riverside Medical Practice", (role,)).sees_money
    service_sends = may_see_money([frozenset({role})])
    assert app_shows == service_sends
    assert app_shows == (role in (FINANCE_VIEW, APPROVAL_MANAGEMENT, FINANCE_MANAGEMENT))
