"""app.services.sources: a rule's sources read as publisher and document first, links kept, and third-party
transcriptions named as such (issue 12, point 14). Every source shipped in resources/rules is read."""

from __future__ import annotations

import re

import pytest

from app.services.rules import available_years, load_rules
from app.services.sources import Citation, as_html, as_text, citations

URL = re.compile(r"https?://[^\s;()]+")
NINAM = "https://github.com/ninam-q/qof-indicator-tool/blob/ec4730c0cb3fea2c35a1f7b38f58cfb935c216d9/index.html"
NHS_DIGITAL = ("https://github.com/NHSDigital/QOF/blob/9e4ebc01eb0806215e69cd214ddcd7389a103000/public_metadata/"
               "INDICATOR_REFERENCE_CONTROL.csv")
SQL = ("https://github.com/jmgillespie2011-creator/qof-optimiser/blob/20540a4381ab8a7cf60647247fb43123f4b404f3/"
       "supabase/seed/0003_seed_full.sql")


def shipped_sources() -> list[tuple[str, str]]:
    found = []
    for year in available_years():
        rules = load_rules(year)
        found += [(f"{year} {i.indicator_id}", i.source) for i in rules.indicators.values()]
        for service in rules.services.values():
            found.append((f"{year} {service.code}", service.source))
            found += [(f"{year} {service.code} {item}", limit.source)
                      for item, limit in service.limits.items()]
    return found


SHIPPED = shipped_sources()


@pytest.mark.parametrize(("where", "source"), SHIPPED, ids=[where for where, _ in SHIPPED])
def test_every_shipped_source_reads_as_publisher_and_document_with_its_links_kept(where, source) -> None:
    found = citations(source)
    assert found, where
    for citation in found:
        assert citation.publisher and citation.document, citation
        assert "http" not in citation.title and ".sql" not in citation.title.lower(), citation.title
    # Nothing is lost: every address written in the rules is linked.
    assert set(URL.findall(source)) <= {citation.url for citation in found}
    text = as_text(found)
    assert "http" not in text
    shown = as_html(found)
    for url in URL.findall(source):
        assert f'href="{url}"' in shown


def test_the_qof_guidance_transcribed_by_a_tool_says_whose_transcription_it_is() -> None:
    af006 = load_rules("2025-26").indicators["AF006"].source
    first, second = citations(af006)
    assert first == Citation("NHS England", "QOF guidance 2025/26", NINAM, "",
                             "ninam-q (QOF indicator tool, GitHub)", first.original_url)
    assert first.original_url is not None and first.original_url.startswith("https://www.england.nhs.uk/")
    assert second.publisher == "NHS England (NHS Digital)" and second.transcribed_by is None
    assert second.url == NHS_DIGITAL and second.note == "points identical in 2023/24"

    shown = as_html((first, second))
    assert shown.startswith("NHS England, <a href=")  # the publisher and document come first
    assert f'transcribed by <a href="{NINAM}">ninam-q (QOF indicator tool, GitHub)</a>' in shown
    title = "NHS England (NHS Digital), QOF indicator reference data, 2023/24"
    assert f'<a href="{NHS_DIGITAL}">{title}</a>' in shown
    assert as_text((first, second)).startswith(
        "NHS England, QOF guidance 2025/26, transcribed by ninam-q (QOF indicator tool, GitHub); ")


def test_a_sql_file_is_named_as_a_transcription_not_shown_as_a_file() -> None:
    chd015 = load_rules("2025-26").indicators["CHD015"].source
    sql = next(citation for citation in citations(chd015) if citation.url == SQL)
    assert sql.publisher == "NHS England" and sql.transcribed_by is not None
    assert "jmgillespie2011-creator" in sql.transcribed_by


def test_other_forms_a_named_document_a_plain_remark_and_an_unknown_page() -> None:
    named, remark, unknown = citations(
        "NHS England, QOF 2024-25 registers (PREVALENCE_2425.csv): https://files.digital.nhs.uk/95/X/QOF2425.zip"
        " ; single-source change <not corroborated> ; https://support.primarycareit.co.uk/portal/en-gb/kb/"
        "articles/cqrs-meningitis-b-searches (a note)")
    assert (named.publisher, named.document) == ("NHS England", "QOF 2024-25 registers (PREVALENCE_2425.csv)")
    assert remark == Citation("", "single-source change <not corroborated>", None)
    assert (unknown.publisher, unknown.document, unknown.note) == (
        "Primary Care IT", "CQRS meningitis b searches", "a note")
    shown = as_html((named, remark, unknown))
    assert "&lt;not corroborated&gt;" in shown and "<not" not in shown  # remarks are text, not markup
    assert shown.count("<br>") == 2
