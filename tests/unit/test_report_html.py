"""app.services.report_html: the printed report's HTML — what it says about itself, tables whose header row
repeats on each page, charts in words too, numbered footnotes and the footer line."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.services.report_html import (
    Chart,
    ReportMeta,
    Section,
    Table,
    document_html,
    footer_text,
    paragraph,
    report,
    table_html,
)

META = ReportMeta("QOF achievement summary", "Riverside <Medical> Practice", "Z99001", "Sarah Okafor",
                  datetime(2026, 12, 1, 9, 30, tzinfo=UTC), datetime(2026, 11, 30, 17, 5, tzinfo=UTC), "QOF",
                  "2026-27", date(2026, 10, 31))


def test_the_report_says_whose_it_is_when_it_was_made_and_what_it_covers() -> None:
    text = document_html(META, [])
    for expected in ("QOF achievement summary", "Riverside &lt;Medical&gt; Practice (Z99001)", "QOF, 2026/27",
                     "31 Oct 2026", "Sarah Okafor, 1 Dec 2026, 09:30", "30 Nov 2026, 17:05"):
        assert expected in text
    assert "<Medical>" not in text  # names are escaped, never read as markup


def test_the_footer_names_the_day_generated_and_the_sync_it_rests_on() -> None:
    assert footer_text(META) == "Generated 1 Dec 2026 from data synced at 30 Nov 2026, 17:05"
    never = ReportMeta(**{**META.__dict__, "synced_at": None})
    assert footer_text(never) == "Generated 1 Dec 2026; this PC had not synced with CQRS yet"


def test_a_tables_header_row_is_in_thead_so_it_repeats_on_every_page() -> None:
    table = Table(("Indicator", "Points"), (("AF006", "7.32"), ("=cmd", "1.00")), (False, True),
                  caption="Atrial fibrillation", widths=(20, 10))
    text = table_html(table)
    head, body = text.split("</thead>")
    assert "<th" in head and "Indicator" in head and "Atrial fibrillation" in head
    assert 'width="20%"' in head and 'width="10%"' in head
    assert "AF006" in body and "<th" not in body
    assert '<td class="num">7.32</td>' in body
    assert "<td>=cmd</td>" in body


def test_a_row_note_spans_every_column_under_its_row() -> None:
    table = Table(("Indicator", "Points", "Of"), (("AF006", "7.32", "12.00"),),
                  notes=("Stroke risk <CHA2DS2>",))
    text = table_html(table)
    assert '<td class="rownote" colspan="3">Stroke risk &lt;CHA2DS2&gt;</td>' in text
    assert text.index("AF006") < text.index("Stroke risk")


def test_a_section_with_only_a_table_carries_its_heading_in_the_tables_header() -> None:
    lone = document_html(META, [Section("Asthma: indicators", table=Table(("Indicator",), (("AST014",),)))])
    assert "<h2>Asthma: indicators</h2>" not in lone
    assert lone.index("Asthma: indicators") < lone.index("</thead>")
    with_text = document_html(META, [Section("Totals", paragraph("Points: 1 of 2"), Table(("A",), ()))])
    assert "<h2>Totals</h2><p>Points: 1 of 2</p>" in with_text


def test_charts_are_images_by_name_and_said_in_words() -> None:
    chart = Chart("trend.png", b"\x89PNG...", "Points by month: 138.14 at 31 Oct 2026", 640, 260)
    made = report(META, [Section("Totals", charts=(chart,))])
    assert made.images == {"trend.png": b"\x89PNG..."}
    assert '<img src="trend.png" width="640" height="260"' in made.html
    assert "Points by month: 138.14 at 31 Oct 2026</p>" in made.html
    assert made.footer == footer_text(META)


def test_footnotes_are_numbered_and_long_addresses_may_wrap() -> None:
    text = document_html(META, [], ["Provisional: upper threshold 95%.", "Source: https://example.org/a/b"])
    assert "1. Provisional: upper threshold 95%." in text
    assert "2. Source: https:/\u200b/\u200bexample.org/\u200ba/\u200bb" in text


def test_a_new_page_section_and_a_negative_amount_that_stays_together() -> None:
    text = document_html(META, [Section("Later", paragraph("Balance: \u2212£1,248.41"), new_page=True)])
    assert '<h2 style="page-break-before: always;">Later</h2>' in text
    assert "\u2212\u2060£1,248.41" in text
