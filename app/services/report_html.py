"""Printed reports as HTML: the one builder every printout goes through (pure — no Qt, no I/O).

Contract (the achievement summary and the income statement both use it):

- ``ReportMeta`` says what the report is about and when it was made: title, practice name and ODS code,
  who printed it, when, when the data was last synced, the service, QOF year and achievement date.
- A report is a list of ``Section``: a heading, then optional HTML (already escaped — build it with
  ``paragraph`` / ``escape``), an optional ``Table`` (its header row is repeated on every page the table
  runs onto), and optional ``Chart`` pictures (PNG bytes, rendered off the GUI thread).
- ``footnotes`` are numbered at the end (provisional figures, rule sources).
- ``document_html(meta, sections, footnotes)`` gives the whole document's HTML; ``footer_text(meta)``
  the line printed at the foot of every page beside the page number ("Generated <date> from data synced
  at <time>").
- ``Report`` bundles the three with the chart PNGs by name. ``app.views.print_document`` turns a
  ``Report`` into an A4 portrait QTextDocument and prints, previews or saves it as PDF; its ``make``
  functions return a ``Report`` and run on the task runner.

Readable in black and white: bands and states are words; tables have ruled borders, not shading alone.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from app.services import format as fmt


@dataclass(frozen=True)
class ReportMeta:
    title: str  # e.g. "QOF achievement summary"
    practice_name: str
    ods: str
    printed_by: str  # the signed-in person's name or email
    printed_at: datetime
    synced_at: datetime | None  # None: never synced on this PC
    service: str  # e.g. "QOF"
    year: str  # QOF year, "2026-27"
    achievement_date: date | None = None


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # cell texts, already formatted (plain text: escaped here)
    numeric: tuple[bool, ...] = ()  # per column: right-aligned and kept on one line
    caption: str = ""
    widths: tuple[int, ...] = ()  # per column: percent of the page's width (0: as the content needs)
    notes: tuple[str, ...] = ()  # per row: a line under it across every column, e.g. a description


@dataclass(frozen=True)
class Chart:
    name: str  # the resource name the HTML refers to, e.g. "thresholds-1.png"
    png: bytes
    description: str  # said in words too: the chart is never the only place a figure appears
    width_px: int = 640  # at 96 per inch: 640 fills an A4 page's width between 20 mm margins
    height_px: int = 290


@dataclass(frozen=True)
class Section:
    heading: str
    body_html: str = ""
    table: Table | None = None
    charts: tuple[Chart, ...] = ()
    new_page: bool = False  # start the section on a new page


@dataclass(frozen=True)
class Report:
    meta: ReportMeta
    sections: tuple[Section, ...]
    footnotes: tuple[str, ...] = ()
    images: dict[str, bytes] = field(default_factory=dict)  # chart name -> PNG, filled by ``report``

    @property
    def html(self) -> str:
        return document_html(self.meta, self.sections, self.footnotes)

    @property
    def footer(self) -> str:
        return footer_text(self.meta)


def report(meta: ReportMeta, sections: Sequence[Section], footnotes: Sequence[str] = ()) -> Report:
    """A ``Report`` with every section's chart pictures gathered by name."""
    images = {chart.name: chart.png for section in sections for chart in section.charts}
    return Report(meta, tuple(sections), tuple(footnotes), images)


def escape(text: str) -> str:
    # A word joiner after a minus sign: "−£1,248.41" never breaks between the sign and the amount.
    return html.escape(text, quote=True).replace("\u2212", "\u2212\u2060")


def paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def year_label(year: str) -> str:
    return year.replace("-", "/")


def footer_text(meta: ReportMeta) -> str:
    generated = f"Generated {fmt.uk_date(meta.printed_at)}"
    if meta.synced_at is None:
        return f"{generated}; this PC had not synced with CQRS yet"
    return f"{generated} from data synced at {fmt.uk_datetime(meta.synced_at)}"


BREAK = "\u200b"  # a zero-width space: somewhere a line may break
STYLE = """
body { font-size: 10pt; color: #000000; }
h1 { font-size: 16pt; margin-bottom: 2pt; }
h2 { font-size: 12.5pt; margin-top: 12pt; margin-bottom: 4pt; }
p { margin-top: 2pt; margin-bottom: 4pt; }
table.data { border-collapse: collapse; margin-bottom: 6pt; font-size: 8.5pt; }
table.data th { font-weight: bold; background-color: #e8edee; border: 1px solid #000000;
  padding: 2px 4px; text-align: left; }
table.data td { border: 1px solid #4c6272; padding: 2px 4px; }
table.meta td { padding: 1px 8px 1px 0px; }
td.num, th.num { text-align: right; }
p.caption { font-size: 9pt; font-style: italic; }
td.rownote { font-size: 8pt; padding: 1px 4px 3px 12px; }
td.caption { font-size: 12pt; font-weight: bold; border: none; padding: 8px 0px 3px 0px; }
p.note { font-size: 9pt; }
"""


def _meta_table(meta: ReportMeta) -> str:
    lines = [("Practice", f"{meta.practice_name} ({meta.ods})"),
             ("Service", f"{meta.service}, {year_label(meta.year)}")]
    if meta.achievement_date is not None:
        lines.append(("Achievement date", fmt.uk_date(meta.achievement_date)))
    lines += [("Printed by", f"{meta.printed_by}, {fmt.uk_datetime(meta.printed_at)}"),
              ("Data synced at", fmt.uk_datetime(meta.synced_at) if meta.synced_at else "Not synced yet")]
    cells = "".join(f"<tr><td><b>{escape(name)}</b></td><td>{escape(value)}</td></tr>"
                    for name, value in lines)
    return f'<table class="meta" cellspacing="0">{cells}</table>'


def table_html(table: Table) -> str:
    """A ruled table whose header row (``thead``) Qt repeats at the top of every page it runs onto."""
    count = len(table.headers)
    numeric = tuple(table.numeric) + (False,) * (count - len(table.numeric))
    widths = tuple(table.widths) + (0,) * (count - len(table.widths))

    def cell(tag: str, text: str, index: int) -> str:
        kind = ' class="num"' if numeric[index] else ""
        return f"<{tag}{kind}>{escape(text)}</{tag}>"

    def head_cell(index: int, text: str) -> str:
        width = f' width="{widths[index]}%"' if widths[index] else ""
        return cell("th", text, index).replace("<th", f"<th{width}", 1)

    head = "".join(head_cell(index, text) for index, text in enumerate(table.headers))
    notes = tuple(table.notes) + ("",) * (len(table.rows) - len(table.notes))
    body = "".join("<tr>" + "".join(cell("td", text, index) for index, text in enumerate(row)) + "</tr>"
                   + (f'<tr><td class="rownote" colspan="{count}">{escape(note)}</td></tr>' if note else "")
                   for row, note in zip(table.rows, notes, strict=True))
    # The caption is a header row too: it is repeated on each page, and never left alone at a page's foot.
    caption = (f'<tr><td class="caption" colspan="{count}">{escape(table.caption)}</td></tr>'
               if table.caption else "")
    return (f'<table class="data" width="100%" border="1" cellspacing="0" cellpadding="3">'
            f"<thead>{caption}<tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def chart_html(chart: Chart) -> str:
    return (f'<p><img src="{escape(chart.name)}" width="{chart.width_px}" height="{chart.height_px}" '
            f'alt="{escape(chart.description)}"></p><p class="caption">{escape(chart.description)}</p>')


def section_html(section: Section) -> str:
    style = ' style="page-break-before: always;"' if section.new_page else ""
    table = section.table
    if table is not None and not section.body_html and not table.caption:
        # The heading goes in the table's repeated header rows, so it stays with its table.
        table = replace(table, caption=section.heading)
        parts = [f"<p{style}></p>" if style else ""]
    else:
        parts = [f"<h2{style}>{escape(section.heading)}</h2>", section.body_html]
    if table is not None:
        parts.append(table_html(table))
    parts += [chart_html(chart) for chart in section.charts]
    return "".join(parts)


def document_html(meta: ReportMeta, sections: Sequence[Section], footnotes: Sequence[str] = ()) -> str:
    """The whole report: title, what it is about, each section, then the numbered footnotes."""
    notes = ""
    if footnotes:
        # A break may follow each "/" of an address, so a long one wraps within the page.
        items = "".join(f'<p class="note">{number}. {escape(text).replace("/", "/" + BREAK)}</p>'
                        for number, text in enumerate(footnotes, start=1))
        notes = f"<h2>Notes</h2>{items}"
    body = "".join(section_html(section) for section in sections)
    return (f"<html><head><style>{STYLE}</style></head><body>"
            f"<h1>{escape(meta.title)}</h1>{_meta_table(meta)}{body}{notes}</body></html>")
