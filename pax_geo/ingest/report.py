"""The result of an import: what was read, written, skipped and why (JSON, CSV and text)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from pax_geo import i18n
from pax_geo.ingest.errors import Issue, _lang
from pax_geo.ingest.geo import crs_label


@dataclass
class ImportReport:
    file: str
    layer: str
    source: str
    status: str = "imported"  # imported | dry_run | rejected
    unit: str = "row"
    rows_read: int = 0
    rows_valid: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    issues: list[Issue] = field(default_factory=list)
    crs: int | None = None
    crs_note: str = ""
    repaired: int = 0
    bulk: bool = False
    mapping: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    started_at: str = ""
    seconds: float = 0.0
    file_sha256: str = ""

    @property
    def skipped_rows(self) -> int:
        return len({i.row for i in self.issues if i.row is not None})

    @property
    def rows_per_second(self) -> float:
        return self.rows_valid / self.seconds if self.seconds else 0.0

    def to_dict(self, lang: str | None = None) -> dict:
        return {
            "file": self.file,
            "layer": self.layer,
            "source": self.source,
            "status": self.status,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped_rows,
            "crs": crs_label(self.crs) if self.crs else None,
            "crs_note": self.crs_note,
            "repaired_geometries": self.repaired,
            "bulk": self.bulk,
            "mapping": self.mapping,
            "options": self.options,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "file_sha256": self.file_sha256,
            "extra": self.extra,
            "issues": [
                {**i.as_dict(lang), "where": i.where(self.file, self.unit, lang)}
                for i in self.issues
            ],
        }

    def to_json(self, lang: str | None = None) -> str:
        return json.dumps(self.to_dict(lang), ensure_ascii=False, indent=1, default=str)

    def issues_csv(self, lang: str | None = None) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["file", self.unit, "field", "column", "value", "code", "message"])
        for i in self.issues:
            w.writerow([self.file, i.row, i.field, i.column, i.value, i.code, i.message(lang)])
        return buf.getvalue()

    def summary(self, lang: str | None = None, limit: int = 20) -> str:
        lang = _lang(lang)
        key = "ingest_report_dry_run" if self.status == "dry_run" else "ingest_report_done"
        lines = [
            i18n.t(
                key,
                lang,
                file=self.file,
                layer=self.layer,
                source=self.source,
                read=self.rows_read,
                inserted=self.inserted,
                updated=self.updated,
                unchanged=self.unchanged,
                skipped=self.skipped_rows,
                seconds=f"{self.seconds:.1f}",
            )
        ]
        if self.crs:
            lines.append(
                f"CRS: {crs_label(self.crs)}" + (f" ({self.crs_note})" if self.crs_note else "")
            )
        if self.repaired:
            lines.append(i18n.t("ingest_report_repaired", lang, n=self.repaired))
        for k, v in self.extra.items():
            if k == "events_by_type":
                continue
            lines.append(f"{k}: {json.dumps(v, ensure_ascii=False, default=str)}")
        for i in self.issues[:limit]:
            lines.append("  " + i.text(self.file, self.unit, lang))
        if len(self.issues) > limit:
            lines.append("  " + i18n.t("ingest_more_issues", lang, n=len(self.issues) - limit))
        return "\n".join(lines)
