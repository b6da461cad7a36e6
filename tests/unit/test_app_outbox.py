"""app.services.outbox: queued writes survive restarts; statuses; waiting count; drafts."""

import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text, update

from app.models import database
from app.models.outbox import OutboxItem, OutboxStatus
from app.services import outbox

ODS = "A81001"
ME = "sarah.okafor@nhs.net"  # the signed-in person who queues


def queue_entry(**overrides: object) -> outbox.OutboxEntry:
    values = {"practice": ODS, "kind": "manual_entry", "method": "post",
              "path": f"/api/v1/practices/{ODS}/manual-entries", "body": {"values": {"SMOK002": 12}},
              "owner": ME}
    values.update(overrides)
    return outbox.enqueue(**values)  # type: ignore[arg-type]


def test_enqueue_survives_reopening_the_file(cache_db: Path) -> None:
    entry = queue_entry(if_match=3)
    assert uuid.UUID(entry.key).version == 4
    assert entry.status is OutboxStatus.QUEUED and entry.method == "POST" and entry.if_match == "3"
    assert entry.created_at.tzinfo is not None
    database.close_cache()
    database.open_cache()
    again = outbox.get(entry.key)
    assert again == entry
    assert outbox.waiting_count() == 1


def test_next_batch_in_order_and_marks_sending(cache_db: Path) -> None:
    first, second, third = queue_entry(), queue_entry(kind="declaration"), queue_entry(practice="B82002")
    batch = outbox.next_batch(ME, limit=2)
    assert [e.key for e in batch] == [first.key, second.key]
    assert all(e.status is OutboxStatus.SENDING and e.attempts == 1 for e in batch)
    assert [e.key for e in outbox.next_batch(ME)] == [third.key]
    assert outbox.next_batch(ME) == []
    assert outbox.waiting_count() == 3  # being sent still counts as waiting


def test_statuses_and_counts(cache_db: Path) -> None:
    sent, conflict, failed, retry = (queue_entry() for _ in range(4))
    outbox.next_batch(ME)
    outbox.mark_sent(sent.key)
    server_copy = {"version": 4, "values": {"SMOK002": 15}}
    after_conflict = outbox.mark_conflict(conflict.key, server_copy, "Changed by someone else")
    after_failed = outbox.mark_failed(failed.key, "Numerator cannot exceed denominator")
    outbox.mark_retry(retry.key, "The CQRS server could not be reached.")

    assert after_conflict.status is OutboxStatus.CONFLICT and after_conflict.server_copy == server_copy
    assert after_conflict.body == {"values": {"SMOK002": 12}}  # ours is kept too
    assert after_failed.server_message == "Numerator cannot exceed denominator"
    assert outbox.waiting_count() == 1  # only the retry
    assert outbox.attention_count() == 2
    needing_attention = outbox.items(statuses=[OutboxStatus.CONFLICT, "failed"])
    assert [e.key for e in needing_attention] == [conflict.key, failed.key]
    assert outbox.next_batch(ME)[0].attempts == 2  # the retried one, counted again

    resubmitted = outbox.resubmit(conflict.key, owner=ME, if_match=4)
    assert resubmitted.status is OutboxStatus.QUEUED and resubmitted.if_match == "4"
    assert resubmitted.server_copy is None


def test_waiting_count_per_practice(cache_db: Path) -> None:
    queue_entry()
    queue_entry(practice="B82002")
    assert outbox.waiting_count(ODS) == 1 and outbox.waiting_count() == 2


def test_interrupted_sends_are_queued_again(cache_db: Path) -> None:
    entry = queue_entry()
    outbox.next_batch(ME)
    database.close_cache()  # the app stops mid-push
    database.open_cache()
    assert outbox.recover_interrupted() == 1
    assert [e.key for e in outbox.next_batch(ME)] == [entry.key]


def test_bad_items_are_refused_and_unknown_keys_reported(cache_db: Path) -> None:
    with pytest.raises(ValueError, match="method"):
        queue_entry(method="GET")
    with pytest.raises(ValueError, match="path"):
        queue_entry(path="api/v1")
    with pytest.raises(outbox.UnknownItem):
        outbox.mark_sent("no-such-key")
    assert outbox.waiting_count() == 0


def test_drafts_save_load_replace_delete(cache_db: Path) -> None:
    when = date(2027, 3, 31)
    assert outbox.load_draft(ODS, "QOF", when) is None
    outbox.save_draft(ODS, "QOF", when, {"AST007": {"numerator": 10}}, "first go")
    saved = outbox.save_draft(ODS, "QOF", when, {"AST007": {"numerator": 11}})
    outbox.save_draft(ODS, "QOF", date(2026, 3, 31), {"AST007": {"numerator": 3}})
    database.close_cache()
    database.open_cache()
    loaded = outbox.load_draft(ODS, "QOF", when)
    assert loaded == saved and loaded.values == {"AST007": {"numerator": 11}} and loaded.notes == ""
    assert [d.achievement_date for d in outbox.drafts(ODS)] == [when, date(2026, 3, 31)]
    assert outbox.delete_draft(ODS, "QOF", when) is True
    assert outbox.delete_draft(ODS, "QOF", when) is False
    assert outbox.load_draft(ODS, "QOF", when) is None


LD = ("LDHC", date(2025, 10, 31))


def test_queue_draft_stores_the_item_and_deletes_the_draft_together(cache_db: Path) -> None:
    outbox.save_draft(ODS, *LD, {"LD_REG": 58}, "From the register report")
    item = outbox.queue_draft(ODS, *LD, "post", f"/practices/{ODS}/manual-entries",
                              {"values": {"LD_REG": 58}}, if_match=None, owner=ME)
    assert item.status is OutboxStatus.QUEUED and item.kind == "manual_entry" and item.method == "POST"
    assert outbox.load_draft(ODS, *LD) is None and [i.key for i in outbox.items(ODS)] == [item.key]
    with pytest.raises(ValueError, match="path must start"):  # refused whole: the draft stays
        outbox.save_draft(ODS, *LD, {"LD_REG": 59})
        outbox.queue_draft(ODS, *LD, "POST", "no-slash", {}, owner=ME)
    assert outbox.load_draft(ODS, *LD).values == {"LD_REG": 59}


def test_queue_draft_can_replace_a_refused_item_but_not_one_waiting(cache_db: Path) -> None:
    refused = queue_entry()
    with pytest.raises(outbox.NotReplaceable):
        outbox.queue_draft(ODS, *LD, "POST", "/x", {}, replaces=refused.key, owner=ME)  # still queued
    outbox.next_batch(ME)
    outbox.mark_failed(refused.key, "You need the Achievement Entry role")
    outbox.save_draft(ODS, *LD, {"LD_REG": 58})
    corrected = outbox.queue_draft(ODS, *LD, "POST", "/x", {"values": {"LD_REG": 58}}, replaces=refused.key,
                                   owner=ME)
    assert outbox.get(refused.key) is None and outbox.load_draft(ODS, *LD) is None
    assert [i.key for i in outbox.items(ODS)] == [corrected.key]
    with pytest.raises(outbox.UnknownItem):
        outbox.queue_draft(ODS, *LD, "POST", "/x", {}, replaces="no-such-key", owner=ME)
    assert [i.key for i in outbox.items(ODS)] == [corrected.key]  # nothing half-done


def test_set_aside_turns_a_conflict_back_into_the_draft(cache_db: Path) -> None:
    item = queue_entry()
    with pytest.raises(outbox.NotReplaceable):
        outbox.set_aside(item.key, *LD, {"LD_REG": 58})
    outbox.next_batch(ME)
    outbox.mark_conflict(item.key, {"version": 2}, "Changed by someone else")
    draft = outbox.set_aside(item.key, *LD, {"LD_REG": 58}, "ours")
    assert (draft.values, draft.notes) == ({"LD_REG": 58}, "ours")
    assert outbox.get(item.key) is None and outbox.load_draft(ODS, *LD) == draft
    assert outbox.attention_count() == 0


def test_items_are_sent_only_in_the_name_of_whoever_queued_them(cache_db: Path) -> None:
    ann = outbox.enqueue("A81001", "declaration", "POST", "/practices/A81001/declarations", {"n": 1},
                         owner="Ann.Lee@nhs.net ")
    bob = outbox.enqueue("A81001", "declaration", "POST", "/practices/A81001/declarations", {"n": 2},
                         owner="bob.khan@nhs.net")
    assert (outbox.get(ann.key).owner, outbox.get(bob.key).owner) == ("ann.lee@nhs.net", "bob.khan@nhs.net")

    sent_for_bob = {item.key for item in outbox.next_batch(owner="bob.khan@nhs.net")}
    assert sent_for_bob == {bob.key}  # never Ann's in Bob's name
    assert outbox.get(ann.key).status is OutboxStatus.QUEUED
    assert [item.key for item in outbox.next_batch(owner="ANN.LEE@nhs.net")] == [ann.key]


def test_the_owner_is_passed_never_guessed_from_the_saved_profile(cache_db: Path) -> None:
    from app.services.profile import Profile, save_profile

    save_profile(Profile("https://cqrs.example.nhs.uk", "ann.lee@nhs.net", "Ann", "Lee", ()))
    with pytest.raises(TypeError):
        outbox.enqueue(ODS, "declaration", "POST", "/practices/A81001/declarations")  # type: ignore[call-arg]
    for nobody in ("", "   "):
        with pytest.raises(ValueError, match="needs its owner"):
            outbox.enqueue(ODS, "declaration", "POST", "/practices/A81001/declarations", owner=nobody)
    assert outbox.items() == []


def test_an_item_without_an_owner_is_never_handed_out(cache_db: Path) -> None:
    legacy = queue_entry()
    with database.session_scope() as session:  # as migration 0003 left an item queued before owners
        session.execute(update(OutboxItem).where(OutboxItem.key == legacy.key).values(owner=None))
    mine = queue_entry()
    assert outbox.ownerless_count() == 1
    assert [item.key for item in outbox.next_batch(ME)] == [mine.key]
    assert outbox.next_batch(ME) == [] and outbox.get(legacy.key).status is OutboxStatus.QUEUED


def test_resubmitting_puts_the_item_in_the_name_of_who_sent_it_again(cache_db: Path) -> None:
    item = queue_entry()
    outbox.next_batch(ME)
    outbox.mark_conflict(item.key, {"version": 2}, "Changed by someone else")
    again = outbox.resubmit(item.key, owner="bob.khan@nhs.net", if_match=2)
    assert (again.owner, again.status, again.if_match) == ("bob.khan@nhs.net", OutboxStatus.QUEUED, "2")
    assert outbox.next_batch(ME) == []


def test_migrating_an_old_cache_leaves_only_unrecorded_owners_empty(app_data_dir: Path) -> None:
    from app import paths

    old = database.create_cache_engine(paths.cache_db_path())
    database.upgrade(old, "0002_outbox")  # a cache from before owners were kept
    with old.begin() as connection:
        connection.execute(text(
            "INSERT INTO outbox (key, practice, kind, method, path, status, attempts, created_at, "
            "updated_at) VALUES ('old-1', 'A81001', 'declaration', 'POST', '/practices/A81001/declarations', "
            "'queued', 0, '2026-11-01 09:00:00', '2026-11-01 09:00:00')"))
    old.dispose()

    database.open_cache()  # migrated to the newest revision
    legacy = outbox.get("old-1")
    assert legacy is not None and legacy.owner is None and legacy.status is OutboxStatus.QUEUED
    mine = queue_entry()
    assert outbox.get(mine.key).owner == ME  # items queued now always name their owner
    assert [item.key for item in outbox.next_batch(ME)] == [mine.key]  # the unrecorded one never goes
    assert outbox.ownerless_count() == 1
