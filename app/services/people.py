"""Whose cache is open: each person's data is their own, opened once they are signed in and closed when
they sign out (optionally removed from this PC). Runs on the database worker, the one thread that uses
the cache; the shell decides when.

A person is (server address — or the demo's keyring scope — , email address), as in app.paths.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from app import paths
from app.models import database
from app.services import outbox, snapshot, tasks
from app.services.profile import Profile, load_profile, save_profile

log = logging.getLogger(__name__)
T = TypeVar("T")
Person = tuple[str, str]


class PersonChanged(database.CacheClosed):
    """Work for one person's cache arrived after another's was opened: it is dropped, never applied."""

    user_message = "That was for someone who has since signed out, so it was not kept."


def person_of(scope: str, email: str) -> Person:
    return scope.strip().rstrip("/"), email.strip().lower()


def open_for(person: Person, profile: Profile) -> int:
    """Open ``person``'s cache (if it is not the one open), drop the practices whose roles changed since
    their last sign-in, and keep their profile in their folder. Returns items requeued after a crash."""
    from app.services.sync import forget_practices_with_new_roles

    recovered = 0
    if paths.person() != person:
        database.open_person(person)
        recovered = outbox.recover_interrupted()
    own_profile = paths.person_dir(*person) / paths.PROFILE_FILE
    forget_practices_with_new_roles(load_profile(own_profile), profile)
    save_profile(profile, own_profile)
    return recovered


def keep_profile(person: Person, profile: Profile) -> None:
    """A fresher profile from a sync (roles may have changed): kept in the person's folder too."""
    if paths.person() == person:
        save_profile(profile, paths.person_dir(*person) / paths.PROFILE_FILE)


def waiting() -> int:
    """Items of the open cache not sent yet (0 when nobody's cache is open)."""
    try:
        return outbox.waiting_count()
    except database.CacheClosed:
        return 0


def sign_out(person: Person | None, profile: Profile | None, remove: bool) -> int:
    """After every write already handed to the database worker: close (or ``remove``) the person's cache,
    forget that they signed in last, and return how many of their items were not sent."""
    left = waiting()
    saved = load_profile()
    if saved is not None and profile is not None and (saved.server_url, saved.email) == (
            profile.server_url, profile.email):
        paths.profile_path().unlink(missing_ok=True)
    if person is not None:
        snapshot.clear(paths.person_dir(*person) / paths.SNAPSHOT_FILE)  # their window goes with them
    database.close_person()
    if person is not None and remove:
        database.remove_person(person)
    return left


def forget_profile(profile: Profile | None) -> None:
    """A sign-in that was cancelled or signed out before it arrived: forget that it signed in last
    (unless someone else has signed in since and the saved profile is theirs)."""
    saved = load_profile()
    if saved is not None and profile is not None and (saved.server_url, saved.email) == (
            profile.server_url, profile.email):
        paths.profile_path().unlink(missing_ok=True)


def close() -> None:
    """Nobody counts as signed in any more: close whichever cache is open."""
    database.close_person()


def bound_call(person: Person) -> Callable[[Callable[[], T]], T]:
    """A ``call_db`` for ``person``'s work only (the sync engine's): refused once their cache is closed."""

    def call(op: Callable[[], T]) -> T:
        def guarded() -> T:
            if paths.person() != person:
                raise PersonChanged()
            return op()

        return tasks.call_db(guarded)

    return call
