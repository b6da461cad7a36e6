"""Turn an extract in our layout into the equivalent file in NHS England's INDICATOR_VALUES layout.

For tests: each count becomes its CQRS rows (Numerator, Denominator, the registers on every indicator
row that uses them, the PCA count split over two reasons plus an exclusion, which is not a PCA), with
AUTOMATED provenance for what GPES extracts and a user id for hand-entered items, and an earlier
submission of every count marked LAST_SUBMISSION N, entered by hand, that must be set aside.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from app.services.pca_reference import register_name
from app.services.rules import QOF_SERVICE, load_rules, qof_year

HEADER = ("QUALITY_SERVICE,NAME,ORG_CODE,ACH_DATE,IND_CODE,FIELD_NAME,VALUE,DEFAULT_VALUES_USED,"
          "SUBMIT_USER_ID,SUBMIT_DATE,SUBMIT_TIME,LAST_SUBMISSION")
REASONS = ("DIAG1_DAT", "REG1_DAT3")  # two general PCA codes of NHS England's reference
EXCLUSION = "PAT_AGEU45"  # an exclusion code: read and not counted as a PCA
USER = "aaa100"


def reasons_of(pca: int) -> dict[str, int]:
    """How the helper splits a PCA count over :data:`REASONS`."""
    return {REASONS[0]: pca // 2, REASONS[1]: pca - pca // 2}


def to_indicator_values(text: str) -> str:
    """``text`` (our layout, header first) as an INDICATOR_VALUES file giving the same results."""
    rows = list(csv.DictReader(io.StringIO(text)))
    out = [HEADER]
    registers: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        if row["service"] == QOF_SERVICE and row["indicator_id"].endswith("_REG"):
            registers.setdefault((row["practice_code"], row["achievement_date"]), {})[
                row["indicator_id"][:-4]] = int(row["numerator"])
    placed: set[tuple[str, str, str]] = set()
    for row in rows:
        code, day, item, service = (row["practice_code"], row["achievement_date"], row["indicator_id"],
                                    row["service"])
        year = qof_year(date.fromisoformat(day))
        rules = load_rules(year)
        quality = f"{service}{year[2:4]}{year[5:7]}"

        where = f"{quality},Service {year},{code},{day.replace('-', '')}"

        def add(ind: str, name: str, value: object, user: str = "AUTOMATED", where: str = where,
                submitted: str = year[:4]) -> None:
            # The earlier submission first, entered by hand and superseded: it must not count.
            out.append(f"{where},{ind},{name},0,None,{USER},01/04/{submitted},09:00:00,N")
            out.append(f"{where},{ind},{name},{value},None,{user},02/04/{submitted},11:19:50,Y")

        if service != QOF_SERVICE:
            automatic = item in rules.services[service].automatic
            add(item, "Numerator", row["numerator"], "AUTOMATED" if automatic else USER)
        elif item == "LIST_SIZE":
            add(item, "Registered Patients", row["numerator"])
        elif item.endswith("_REG"):
            continue  # placed on the indicator rows below, as CQRS data repeats it
        else:
            add(item, "Numerator", row["numerator"])
            add(item, "Denominator", row["denominator"])
            for reason, count in reasons_of(int(row["pca"] or 0)).items():
                add(item, reason, count)
            add(item, EXCLUSION, 7)
            for register in rules.indicators[item].registers:
                size = registers.get((code, day), {}).get(register)
                if size is not None:
                    add(item, register_name(register), size)
                    placed.add((code, day, register))
    for (code, day), sizes in registers.items():
        year = qof_year(date.fromisoformat(day))
        for register, size in sizes.items():
            if (code, day, register) not in placed:  # a register no indicator of the file uses
                out.append(f"QOF{year[2:4]}{year[5:7]},QOF {year},{code},{day.replace('-', '')},"
                           f"{register}_REG,{register_name(register)},{size},None,AUTOMATED,"
                           f"02/04/{year[:4]},11:19:50,Y")
    return "\n".join(out) + "\n"
