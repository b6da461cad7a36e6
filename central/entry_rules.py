"""The manual-entry checks the central service applies: shared with the desktop, defined once in
:mod:`app.services.entry_rules`."""

from app.services.entry_rules import (
    MAX_NOTES,
    count_problems,
    entry_problems,
    entry_service,
    item_maximum,
    limit_words,
    notes_problems,
    service_problems,
    value_problems,
)

__all__ = ["MAX_NOTES", "count_problems", "entry_problems", "entry_service", "item_maximum", "limit_words",
           "notes_problems", "service_problems", "value_problems"]
