"""The help topics in resources/help/: one per screen of the main window (named by its section key) plus
topics that cut across screens. Read on a worker, never on the GUI thread; the help desk's contact
details are filled in from the site configuration (or the standard ones). No Qt here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app import resources
from app.services import site_config

HELP_DIR = resources.path("help")

# (file name without .md, the title in the contents), in the order the contents list them.
SCREEN_TOPICS = (
    ("dashboard", "Dashboard"), ("manual-entry", "Manual entry"), ("declarations", "Declarations"),
    ("income", "Income"), ("offers", "Offers"), ("timetable", "Timetable"), ("users", "Users"),
    ("settings", "Settings"), ("help", "Help"),
)
GENERAL_TOPICS = (
    ("guide", "Using CQRS Desktop"), ("qof-points", "QOF points and pounds"),
    ("roles", "Roles: who can do what"), ("yearly-cycle", "The yearly cycle"),
    ("coding", "Wrong codes cost money"), ("contact", "Contact the help desk"),
)
TOPICS = GENERAL_TOPICS[:1] + SCREEN_TOPICS + GENERAL_TOPICS[1:]
TITLES = dict(TOPICS)
FIRST = "guide"


@dataclass(frozen=True)
class Match:
    key: str
    title: str
    snippet: str  # the line where the words were found, shortened


def topic_for(key: str) -> str:
    """The topic of a screen's section key (the guide for anything without its own)."""
    return key if key in TITLES else FIRST


def fill_contact(text: str, desk: site_config.HelpDesk) -> str:
    return (text.replace("{{telephone}}", desk.telephone).replace("{{email}}", desk.email)
            .replace("{{hours}}", desk.hours))


def read(key: str, desk: site_config.HelpDesk | None = None, folder: Path = HELP_DIR) -> str:
    """The Markdown of topic ``key``, with the help desk's details filled in."""
    text = (folder / f"{topic_for(key)}.md").read_text(encoding="utf-8")
    return fill_contact(text, desk if desk is not None else site_config.current().help_desk)


def search(words: str, desk: site_config.HelpDesk | None = None, folder: Path = HELP_DIR) -> list[Match]:
    """Topics holding every word of ``words`` (any case), in contents order, each with its first match."""
    terms = [t.lower() for t in re.findall(r"\w+", words)]
    if not terms:
        return []
    found: list[Match] = []
    for key, title in TOPICS:
        text = read(key, desk, folder)
        lowered = text.lower()
        if all(term in lowered for term in terms):
            line = next((line for line in text.splitlines() if terms[0] in line.lower()), title)
            snippet = re.sub(r"[*#|`]", "", line).strip()
            found.append(Match(key, title, snippet if len(snippet) <= 90 else snippet[:87] + "…"))
    return found
