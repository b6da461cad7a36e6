"""Names of the record types the central service's change feed carries, and of the client's own kinds.

Shared rules (pure: no Qt, no database, no network), imported by both halves: the service publishes
feed rows under these names (central.feed) and the desktop caches, reads and announces them under the
same names, so a renamed type cannot split the two.
"""

from __future__ import annotations

# Feed record types: ``{"type": ..., "id", "deleted", "data"}`` in GET /practices/{ods}/changes.
PRACTICE = "practice"
OFFER = "offer"
MANUAL_ENTRY = "manual_entry"
DECLARATION = "declaration"
TIMETABLE_EVENT = "timetable_event"
USER = "user"  # a user of the practice with their roles there; only User Administrators see these
ACHIEVEMENT = "achievement"  # counts per practice, service, indicator and achievement date
RESULT = "result"  # calculated points and £ per indicator and achievement date
BENCHMARK = "benchmark"
RULES = "rules"  # the indicator rules version in force
FEED_TYPES = (PRACTICE, OFFER, MANUAL_ENTRY, DECLARATION, TIMETABLE_EVENT, USER, ACHIEVEMENT, RESULT,
              BENCHMARK, RULES)
ADMIN_ONLY_TYPES = (USER,)  # left out of the feed for callers who do not administer the practice's users

# The client's outbox: kinds of queued writes (a manual entry and a declaration use their feed type's
# name), and the kind announced when what waits to be sent changes.
OFFER_RESPONSE = "offer_response"
OUTBOX = "outbox"
