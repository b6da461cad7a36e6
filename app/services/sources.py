"""Where a rule comes from, in words: the publisher and document first, the address as a link.

The rules files keep each row's sources as written (addresses separated by " ; " or " + ", with an
optional remark in brackets, or "Publisher, document: address"). :func:`citations` reads that text into
:class:`Citation` values; a third party's copy of a publisher's document (e.g. a tool that transcribed the
QOF guidance) is labelled as a transcription, naming who made it. Pure: no Qt.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_URL = re.compile(r"https?://\S+")
_PARTS = re.compile(r"\s+;\s+|\s+\+\s+")
QOF_GUIDANCE_2025_26 = "https://www.england.nhs.uk/publication/quality-and-outcomes-framework-guidance-for-2025-26/"
_PCIT = "https://support.primarycareit.co.uk/portal/en-gb/kb/articles/"
_CODE = re.compile(r"[a-z]{2,5}\d{3}")  # an indicator code in an address, e.g. "dm034"


@dataclass(frozen=True)
class Citation:
    publisher: str  # e.g. "NHS England"; empty when the source is only a remark
    document: str  # e.g. "QOF guidance 2025/26"
    url: str | None  # what the row cites: the document itself, or the transcription of it
    note: str = ""  # the row's remark about this source, e.g. "points identical in 2023/24"
    transcribed_by: str | None = None  # who made the copy at ``url``, when it is not the publisher's
    original_url: str | None = None  # the publisher's own page of a transcribed document, if known

    @property
    def title(self) -> str:
        return ", ".join(part for part in (self.publisher, self.document) if part)


@dataclass(frozen=True)
class _Known:
    prefix: str
    publisher: str
    document: str
    transcribed_by: str | None = None
    original_url: str | None = None


# Documents cited by the shipped rules, with the names their publishers give them (see the reference notes
# on each source's standing). Transcriptions name the publisher of what they copy.
KNOWN = (
    _Known("https://github.com/ninam-q/qof-indicator-tool/", "NHS England", "QOF guidance 2025/26",
           "ninam-q (QOF indicator tool, GitHub)", QOF_GUIDANCE_2025_26),
    _Known("https://github.com/jmgillespie2011-creator/qof-optimiser/", "NHS England",
           "QOF 2025/26 points and thresholds", "jmgillespie2011-creator (QOF optimiser, GitHub)"),
    _Known("https://github.com/NHSDigital/QOF/", "NHS England (NHS Digital)",
           "QOF indicator reference data, 2023/24"),
    _Known("https://www.england.nhs.uk/long-read/changes-to-the-gp-contract-in-2025-26", "NHS England",
           "Changes to the GP contract in 2025/26"),
    _Known("https://pulsetoday.co.uk/news/clinical-areas/infectious-diseases-immunology-allergy/large-chunk",
           "Pulse", "Large chunk of QOF retired to fund global sum and immunisation fees rise"),
    _Known(f"{_PCIT}what-is-income-protected-for-the-2024-25", "Primary Care IT",
           "What is income protected for the 2024/25 year?"),
    _Known(f"{_PCIT}quality-and-outcomes-framework-guidance-for-2024-25", "Primary Care IT",
           "Quality and Outcomes Framework guidance for 2024/25"),
    _Known(f"{_PCIT}using-emis-searches-to-identify", "Primary Care IT",
           "Using EMIS searches to identify priority QOF areas (21 Jan 2026)"),
    _Known("https://www.mypracticemanager.co.uk/advice/qof-202526-points-prevalence-and-funding",
           "My Practice Manager", "QOF 2025/26: points, prevalence and funding"),
    _Known("https://www.lmc.org.uk/resources/survey-on-qof-childhood-vaccination",
           "Londonwide LMCs", "Survey on QOF childhood vaccination and immunisations achievement"),
)

# Publishers by web address, for documents not named above (their title is read from the address).
PUBLISHERS = {
    "england.nhs.uk": "NHS England",
    "digital.nhs.uk": "NHS England (NHS Digital)",
    "files.digital.nhs.uk": "NHS England (NHS Digital)",
    "welcome.cqrs.nhs.uk": "CQRS",
    "primarycare.northeastlondon.icb.nhs.uk": "NHS North East London ICB",
    "bma.org.uk": "BMA",
    "pulsetoday.co.uk": "Pulse",
    "support.primarycareit.co.uk": "Primary Care IT",
    "lmc.org.uk": "Londonwide LMCs",
    "lincslmc.co.uk": "Lincolnshire LMC",
    "managementinpractice.com": "Management in Practice",
    "mypracticemanager.co.uk": "My Practice Manager",
    "insightsol.co.uk": "Insight Solutions",
    "gponline.com": "GPonline",
}
_CAPITALS = {"qof": "QOF", "gp": "GP", "emis": "EMIS", "cqrs": "CQRS", "ld": "LD", "rsv": "RSV", "hpv": "HPV",
             "des": "DES", "es": "ES", "nhs": "NHS", "icb": "ICB", "pcn": "PCN", "mmr": "MMR"}


def citations(source: str) -> tuple[Citation, ...]:
    """The sources of one rules row, in the order written."""
    return tuple(_citation(part) for part in _PARTS.split(source.strip()) if part.strip())


def _citation(part: str) -> Citation:
    found = _URL.search(part)
    if found is None:
        return Citation("", part.strip(), None)
    url = found.group().rstrip(".,")
    before = part[:found.start()].strip().rstrip(":").strip()
    note = part[found.end():].strip().removeprefix("(").removesuffix(")").strip()
    known = next((k for k in KNOWN if url.startswith(k.prefix)), None)
    if known is not None:
        return Citation(known.publisher, known.document, url, note, known.transcribed_by, known.original_url)
    if ", " in before:  # "Publisher, document: address"
        publisher, document = before.split(", ", 1)
        return Citation(publisher, document, url, note)
    return Citation(_publisher(url), before or _title_from_address(url), url, note)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _publisher(url: str) -> str:
    host = _host(url)
    return PUBLISHERS.get(host) or host


def _title_from_address(url: str) -> str:
    """A readable title from the address's last part: "cqrs-meningitis-b-searches" → "CQRS meningitis b
    searches"; years such as 2024-25 become 2024/25."""
    path = urlsplit(url).path.rstrip("/")
    last = path.rsplit("/", 1)[-1] if path else ""
    last = re.sub(r"\.(html?|php|aspx?)$", "", last)
    if re.fullmatch(r"/letter/[a-z]", path):  # CQRS's A to Z of services, one page per letter
        return f"Services A to Z: {last.upper()}"
    if not last or "=" in last or last.isdigit():
        return "web page"
    words = re.sub(r"\b(20\d\d)-(\d\d)\b", r"\1/\2", last).replace("-", " ").replace("_", " ").split()
    words = [word.upper() if _CODE.fullmatch(word) else _CAPITALS.get(word.lower(), word) for word in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def as_html(found: tuple[Citation, ...]) -> str:
    """Rich text for a label that opens links: one line per source, the publisher and document first.

    A link's text always names what it opens: a transcription's link names who transcribed it.
    """
    lines = []
    for citation in found:
        title = html.escape(citation.title)
        if citation.transcribed_by is not None:
            if citation.original_url:
                document = _link(citation.original_url, citation.document)
                title = f"{html.escape(citation.publisher)}, {document}"
            line = f"{title}, transcribed by {_link(citation.url, citation.transcribed_by)}"
        else:
            line = _link(citation.url, citation.title) if citation.url else title
        if citation.note:
            line += f" <i>({html.escape(citation.note)})</i>"
        lines.append(line)
    return "<br>".join(lines)


def as_text(found: tuple[Citation, ...]) -> str:
    """The same in plain words (accessible descriptions, printed reports)."""
    lines = []
    for citation in found:
        line = citation.title
        if citation.transcribed_by is not None:
            line += f", transcribed by {citation.transcribed_by}"
        if citation.note:
            line += f" ({citation.note})"
        lines.append(line)
    return "; ".join(lines)


def _link(url: str | None, text: str) -> str:
    if not url:
        return html.escape(text)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'
