"""Errors and per-row issues of an import.

Every message names the file, the row (or feature, or event) and the field. Messages are
rendered from the string catalogue (``pax_geo/i18n/ingest.toml``, keys ``ingest_err_<code>``),
so the admin page shows them in the user's language and the CLI in ``PAX_LANG``.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from pax_geo import i18n
from pax_geo.config import settings


def _lang(lang: str | None) -> str:
    return lang or settings().lang or i18n.DEFAULT_LANG


@dataclass(frozen=True)
class Issue:
    """One problem: ``row`` is 1-based (None for the whole file), ``field`` the target field."""

    code: str
    row: int | None = None
    field: str | None = None
    column: str | None = None
    value: str | None = None
    params: dict = dc_field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        lang = _lang(lang)
        fmt = {"value": _short(self.value), "field": self.field or "", "column": self.column or ""}
        plain = {k: v for k, v in self.params.items() if not k.endswith("_i18n")}
        fmt.update(plain)
        for k, v in self.params.items():
            # a parameter named x_i18n holds a catalogue key, rendered in the message's language
            # (with the other parameters as its placeholders)
            if k.endswith("_i18n"):
                fmt[k[: -len("_i18n")]] = i18n.t(str(v), lang, **fmt)
        return i18n.t(f"ingest_err_{self.code}", lang, **fmt)

    def where(self, file: str, unit: str = "row", lang: str | None = None) -> str:
        lang = _lang(lang)
        parts = [file]
        if self.row is not None:
            parts.append(f"{i18n.t(f'ingest_unit_{unit}', lang)} {self.row}")
        if self.field:
            part = f"{i18n.t('ingest_field', lang)} '{self.field}'"
            if self.column and self.column.lower() != self.field:
                part += f" ({i18n.t('ingest_column', lang)} '{self.column}')"
            parts.append(part)
        return ", ".join(parts)

    def text(self, file: str, unit: str = "row", lang: str | None = None) -> str:
        return f"{self.where(file, unit, lang)}: {self.message(lang)}"

    def as_dict(self, lang: str | None = None) -> dict:
        return {
            "row": self.row,
            "field": self.field,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message(lang),
        }


def _short(value: object, limit: int = 60) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"


class IngestError(RuntimeError):
    """An import that was refused; nothing was written.

    ``issues`` lists every problem found; ``report`` (an :class:`ImportReport`) is attached when
    the file could be read, so a caller can still show or save the full list.
    """

    def __init__(
        self,
        file: str,
        issues: list[Issue],
        unit: str = "row",
        report: object | None = None,
        lang: str | None = None,
        total_rows: int | None = None,
    ) -> None:
        self.file = file
        self.issues = issues
        self.unit = unit
        self.report = report
        self.total_rows = total_rows
        super().__init__(self.summary(lang))

    def summary(self, lang: str | None = None, limit: int = 10) -> str:
        lang = _lang(lang)
        lines: list[str] = []
        rows = {i.row for i in self.issues if i.row is not None}
        if rows:
            lines.append(
                i18n.t(
                    "ingest_rejected_rows",
                    lang,
                    file=self.file,
                    n=len(rows),
                    total=self.total_rows if self.total_rows is not None else "?",
                )
            )
        for issue in self.issues[:limit]:
            lines.append(issue.text(self.file, self.unit, lang))
        if len(self.issues) > limit:
            lines.append(i18n.t("ingest_more_issues", lang, n=len(self.issues) - limit))
        return "\n".join(lines)


def file_error(file: str, code: str, lang: str | None = None, **params: object) -> IngestError:
    """A problem with the whole file (unreadable, unknown layer, missing column …)."""
    return IngestError(file, [Issue(code, params=params)], lang=lang)
