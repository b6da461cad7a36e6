"""Extract upload: a service account with the Extract Upload role sends a GPES aggregate extract.

The body is the CSV itself (``Content-Type: text/csv``), or the CSV gzipped (``Content-Encoding: gzip``,
or a ``.gz`` file sent as it is). The size limit of a request applies to the CSV once decompressed, and
inflating stops there, so a small "gzip bomb" is refused without being inflated. It is validated whole
as the CLI does:
any problem refuses the whole file (422, one message per line in ``fields``) and nothing is loaded.
Sending the same bytes again changes nothing. The uploader may load practices only beneath an
organisation where it holds Extract Upload.
"""

from __future__ import annotations

import zlib
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy import select

from app.services.rules import RulesError, current_year, load_rules
from central import audit
from central.deps import DB, CurrentCaller, Now, source_address
from central.errors import ApiError
from central.extract import ExtractError
from central.ingest import ingest_text
from central.models import Organisation, RoleGrant
from central.money import MoneyGuardedRoute
from central.security import EXTRACT_UPLOAD
from central.windows import local_day

router = APIRouter(tags=["extracts"], route_class=MoneyGuardedRoute)
GZIP_MAGIC = b"\x1f\x8b"


@router.post("/extracts")
def upload_extract(
    body: Annotated[bytes, Body(media_type="text/csv")],
    request: Request,
    caller: CurrentCaller,
    db: DB,
    now: Now,
    year: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$",
                                      description="QOF year of the rules; by default the year being "
                                                  "reported on the service's date")] = None,
) -> dict[str, Any]:
    year = year or current_year(local_day(now))
    areas = set(
        db.scalars(
            select(RoleGrant.organisation_id).where(
                RoleGrant.user_id == caller.user.id, RoleGrant.role == EXTRACT_UPLOAD
            )
        )
    )
    if not areas:
        raise ApiError(403, "forbidden", "Uploading extracts needs the Extract Upload role.")
    try:
        rules = load_rules(year)
    except RulesError:
        raise ApiError(
            422, "invalid", "Unknown year.", fields={"year": f"There are no rules for {year}."}
        ) from None
    body = _decompressed(body, request)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(422, "invalid", "The extract must be UTF-8 text.") from None

    def in_area(practice: Organisation) -> bool:
        org: Organisation | None = practice
        while org is not None and org.id not in areas:
            org = org.parent
        return org is not None

    try:
        report = ingest_text(
            db,
            text,
            rules,
            clock=request.app.state.settings.clock,
            uploaded_by_id=caller.user.id,
            may_load=in_area,
        )
    except ExtractError as exc:
        db.rollback()
        fields = {_where(p.line, p.column): p.message for p in exc.problems}
        raise ApiError(
            422, "invalid_extract", "The extract was refused and nothing was loaded.", fields=fields
        ) from None
    if not report.already_ingested:
        audit.record(
            db,
            now=now,
            actor=caller.user,
            action="extract ingested",
            target_type="extract",
            target_id=report.extract_id,
            organisation_id=None,
            source=source_address(request),
            detail={"rows": report.rows, "practices": list(report.practices), "year": year},
        )
    db.commit()
    return {
        "extract_id": report.extract_id,
        "already_ingested": report.already_ingested,
        "rows": report.rows,
        "practices": list(report.practices),
        "recalculated": report.recalculated,
    }


def _decompressed(body: bytes, request: Request) -> bytes:
    """The CSV of a gzipped body (by header or by its magic number), inflated no further than the limit."""
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise ApiError(422, "invalid", "The extract must be CSV, or CSV compressed with gzip.",
                       fields={"Content-Encoding": "Only gzip is accepted (or no encoding at all)."})
    if encoding not in ("gzip", "x-gzip") and not body.startswith(GZIP_MAGIC):
        return body
    limit = request.app.state.settings.max_body_bytes
    out, size, rest = [], 0, body
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # one gzip member; members may follow
        try:
            while not inflater.eof:
                piece = inflater.decompress(rest, limit + 1 - size)
                rest = inflater.unconsumed_tail
                size += len(piece)
                out.append(piece)
                if size > limit:
                    raise ApiError(413, "payload_too_large", f"The extract is larger than the "
                                   f"{limit / (1024 * 1024):g} MB allowed once decompressed.",
                                   headers={"Connection": "close"})
                if not piece and not rest:
                    break
        except zlib.error:
            raise ApiError(422, "invalid", "The extract is not valid gzip data.") from None
        if not inflater.eof:
            raise ApiError(422, "invalid", "The gzipped extract is cut short.")
        rest = inflater.unused_data
    return b"".join(out)


def _where(line: int | None, column: int | None) -> str:
    """The field an extract problem is reported against: its line and, when known, its column."""
    if not line:
        return "file"
    return f"line {line}, column {column}" if column else f"line {line}"
