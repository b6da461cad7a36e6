"""Each person's cache is their own: app.paths names one folder per server and email, the database
worker opens one person's cache at a time, and an older version's shared cache goes to its owner."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from app import paths
from app.models import database
from app.services import cache_store, outbox, people
from app.services.profile import PracticeAccess, Profile, save_profile

SERVER = "https://cqrs.example"
ANNE, BEN = (SERVER, "anne.manager@nhs.net"), (SERVER, "ben.viewer@nhs.net")


def profile(person: tuple[str, str]) -> Profile:
    access = (PracticeAccess("Z99001", "Riverside", ("View",)),)
    return Profile(person[0], person[1], "Test", "Person", access)


def an_offer(offer_id: int) -> list[dict[str, object]]:
    return [{"type": "offer", "id": str(offer_id), "deleted": False,
             "data": {"id": offer_id, "service": "WM", "status": "pending", "start_date": "2025-04-01"}}]


def test_each_person_has_a_private_folder_named_by_a_hash(app_data_dir: Path) -> None:
    folder = paths.person_dir(*ANNE)
    assert folder.parent == app_data_dir / "people"
    assert folder.name == paths.person_key(*ANNE) and len(folder.name) == 16
    assert "anne" not in folder.name
    assert paths.person_key("https://cqrs.example/", "Anne.Manager@NHS.net ") == folder.name
    assert paths.person_key(*BEN) != folder.name
    assert paths.person_key("https://other.example", ANNE[1]) != folder.name
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_opening_another_person_closes_the_first_persons_cache(app_data_dir: Path) -> None:
    people.open_for(ANNE, profile(ANNE))
    cache_store.apply_feed_page("Z99001", an_offer(1), 1)
    assert paths.cache_db_path() == paths.person_dir(*ANNE) / "cache.sqlite3"
    people.open_for(BEN, profile(BEN))
    assert paths.cache_db_path() == paths.person_dir(*BEN) / "cache.sqlite3"
    assert cache_store.records("Z99001", "offer") == []  # Ben never reads Anne's rows
    with sqlite3.connect(paths.person_dir(*BEN) / "cache.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM cached_records").fetchone()[0] == 0
    people.open_for(ANNE, profile(ANNE))
    assert len(cache_store.records("Z99001", "offer")) == 1
    database.close_person()
    with pytest.raises(database.CacheClosed):
        outbox.waiting_count()
    assert people.waiting() == 0


def test_signing_out_with_remove_deletes_only_that_persons_folder(app_data_dir: Path) -> None:
    people.open_for(BEN, profile(BEN))
    people.open_for(ANNE, profile(ANNE))
    save_profile(profile(ANNE))
    assert people.sign_out(ANNE, profile(ANNE), remove=True) == 0
    assert not (app_data_dir / "people" / paths.person_key(*ANNE)).exists()
    assert (app_data_dir / "people" / paths.person_key(*BEN) / "cache.sqlite3").exists()
    assert not paths.profile_path().exists() and paths.person() is None


def test_work_for_a_person_who_signed_out_is_refused(app_data_dir: Path, qapp) -> None:
    from app.services import tasks

    call = people.bound_call(ANNE)
    tasks.run(lambda: people.open_for(ANNE, profile(ANNE)))
    assert tasks.wait_for_idle(10)
    assert call(lambda: paths.person()) == ANNE
    tasks.run(lambda: people.open_for(BEN, profile(BEN)))
    assert tasks.wait_for_idle(10)
    with pytest.raises(people.PersonChanged):
        call(lambda: cache_store.apply_feed_page("Z99001", an_offer(2), 2))
    tasks.run(database.close_cache)
    tasks.wait_for_idle(10)
    tasks.shutdown()


def test_an_older_versions_shared_cache_goes_to_who_signed_in_last(app_data_dir: Path) -> None:
    database.open_cache()  # nobody chosen: the single shared cache of older versions
    cache_store.apply_feed_page("Z99001", an_offer(3), 1)
    database.close_cache()
    (app_data_dir / "page-snapshot.sqlite3").write_bytes(b"old picture")
    assert database.adopt_shared_cache(ANNE) == "moved"
    assert not paths.shared_cache_path().exists()
    assert (paths.person_dir(*ANNE) / "page-snapshot.sqlite3").read_bytes() == b"old picture"
    people.open_for(ANNE, profile(ANNE))
    assert len(cache_store.records("Z99001", "offer")) == 1
    database.close_person()
    assert database.adopt_shared_cache(ANNE) is None  # nothing left to move


def test_a_shared_cache_with_nobody_known_is_removed(app_data_dir: Path) -> None:
    database.open_cache()
    cache_store.apply_feed_page("Z99001", an_offer(4), 1)
    database.close_cache()
    assert database.adopt_shared_cache(None) == "removed"
    assert not paths.shared_cache_path().exists()
    assert not (app_data_dir / "page-snapshot.sqlite3").exists()
