"""Screen-share mode, held once for the whole app: whether it is on, whether £ are shown anyway, and the
support reference of this sharing session. Turning it on or off (or showing £) is announced on the hub's
``screen_share_changed``; views re-render from :func:`state` and mask with :func:`shown`.

Only the GUI thread changes the mode; workers preparing rows may read it (a plain frozen value).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.services import masking
from app.signals import hub
from app.version import app_version


@dataclass(frozen=True)
class ScreenShare:
    on: bool = False
    show_money: bool = False  # the user chose "Show £" (only ever honoured for users with Finance View)
    reference: str = ""  # practice code · app version · random code, new each time the mode turns on


_state = ScreenShare()


def state() -> ScreenShare:
    return _state


def active() -> bool:
    return _state.on


def shown(text: str) -> str:
    """``text`` as it may be shown now: emails and phone numbers masked while sharing."""
    return masking.mask_text(text) if _state.on and text else text


def turn_on(ods: str | None) -> ScreenShare:
    """Start sharing (a new support reference for practice ``ods``); £ hidden until "Show £" is chosen."""
    reference = masking.support_reference(ods, app_version(), masking.reference_code())
    return _set(ScreenShare(True, False, reference))


def turn_off() -> ScreenShare:
    return _set(ScreenShare())


def toggle(ods: str | None) -> ScreenShare:
    return turn_off() if _state.on else turn_on(ods)


def show_money(show: bool) -> ScreenShare:
    """Show (or hide again) £ while sharing."""
    return _set(replace(_state, show_money=show)) if _state.on else _state


def hides_money() -> bool:
    return _state.on and not _state.show_money


def reset() -> None:
    """Back to not sharing, without telling anyone (tests)."""
    global _state
    _state = ScreenShare()


def _set(new: ScreenShare) -> ScreenShare:
    global _state
    if new != _state:
        _state = new
        hub().screen_share_changed.emit(new)
    return new
