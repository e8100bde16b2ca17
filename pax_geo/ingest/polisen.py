"""The Swedish Police public events feed (``https://polisen.se/api/events``).

The format, as it really is (see ``../shared/data/polisen``): a JSON array of events with
``id``, ``datetime`` (``"2026-08-22 9:48:12 +02:00"``: the hour is not always zero-padded; it is
when the event was published or last updated), ``name`` (``"22 augusti 17.59, Brand, Kävlinge"``:
the time of the event itself, without a year), ``summary``, ``url`` (relative), ``type`` and
``location`` (``name`` and a ``gps`` ``"lat,lon"`` that is the centre of the municipality or
county, never the place of the event). Archived copies may add ``html_title``,
``html_preamble`` and ``html_body`` with the full report text.

What the import does with it:

* keeps the events of one municipality: ``location.name`` is the municipality, or the county
  with the municipality as the last part of ``name``;
* maps types to incident kinds: Skottlossning (and ", misstänkt", stored as verification
  'suspected') -> shooting; Explosion and Detonation -> explosion; Brand -> car_fire, but only
  when the text says a car or vehicle burned;
* places an event in a district when the text names one of the municipality's districts
  (``pax_data.area`` kind 'district'): precision 'area', no point; otherwise precision
  'municipality' (area_id of the municipality area when it exists): counted, never on a map;
* stores every kept event, of any type, in ``pax_data.police_event`` as context (the public
  feed: type, texts, times, precision, district, url), and the mapped ones in
  ``pax_data.incident`` with source 'polisen', source_id = the event id, source_url = its url.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from pax_geo.clock import TZ
from pax_geo.ingest.errors import Issue

BASE_URL = "https://polisen.se"

TYPE_KIND = {
    "skottlossning": "shooting",
    "skottlossning, misstänkt": "shooting",
    "explosion": "explosion",
    "detonation": "explosion",
    "brand": "car_fire",  # only with a vehicle in the text, see is_vehicle_fire
}
SUSPECTED_TYPES = {"skottlossning, misstänkt"}

MONTHS = {
    "januari": 1,
    "februari": 2,
    "mars": 3,
    "april": 4,
    "maj": 5,
    "juni": 6,
    "juli": 7,
    "augusti": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}

DATETIME_RE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-])(\d{2}):?(\d{2})\s*$"
)
NAME_TIME_RE = re.compile(r"^\s*(\d{1,2}) ([a-zåäö]+),? (\d{1,2})[.:](\d{2})\b", re.IGNORECASE)

#: Words that say a vehicle burned: compounds with -bil- and -fordon-, buses, motorcycles …
_VEHICLE_WORD = re.compile(
    r"^(?:\w*bil(?:en|ar|arna|ens|arnas|s)?|\w*bil(?:brand|bränder)\w*"
    r"|\w*fordon(?:et|en|ets|ens|s)?|\w*fordons(?:brand|bränder)\w*"
    r"|buss(?:en|ar|arna)?|\w*motorcykel\w*|\w*moped\w*)$"
)
_NOT_VEHICLE = re.compile(r"^(?:\w*mobil\w*|\w*stabil\w*|\w*labil\w*|bild\w*|bilaga\w*|bilj\w*)$")


def is_vehicle_fire(text: str) -> bool:
    for word in re.findall(r"\w+", text.lower()):
        if _VEHICLE_WORD.match(word) and not _NOT_VEHICLE.match(word):
            return True
    return False


def parse_datetime(value: object) -> datetime | None:
    """The feed's datetime, with or without a zero-padded hour; None when it is not one."""
    if not isinstance(value, str):
        return None
    m = DATETIME_RE.match(value)
    if not m:
        return None
    y, mo, d, h, mi, s, sign, oh, om = m.groups()
    try:
        offset = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(offset if sign == "+" else -offset)
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=tz)
    except ValueError:
        return None


def event_time(name: object, published: datetime) -> datetime | None:
    """The time in the event's name (local time, no year): the year is the publication's, or
    the one before when that would put the event after its publication."""
    if not isinstance(name, str):
        return None
    m = NAME_TIME_RE.match(name)
    if not m:
        return None
    day, month, hour, minute = m.groups()
    mo = MONTHS.get(month.lower())
    if mo is None:
        return None
    local_pub = published.astimezone(TZ)
    for year in (local_pub.year, local_pub.year - 1):
        try:
            t = datetime(year, mo, int(day), int(hour), int(minute), tzinfo=TZ)
        except ValueError:
            return None
        if t <= published + timedelta(days=1):
            return t
    return None


def in_municipality(event: dict, municipality: str) -> bool:
    muni = municipality.strip().lower()
    loc = event.get("location")
    if isinstance(loc, dict) and str(loc.get("name", "")).strip().lower() == muni:
        return True
    name = event.get("name")
    if isinstance(name, str) and "," in name:
        return name.rsplit(",", 1)[1].strip().lower() == muni
    return False


def absolute_url(url: object) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    if url.startswith(("http://", "https://")):
        return url
    return BASE_URL + (url if url.startswith("/") else "/" + url)


class DistrictMatcher:
    """Finds the first district named in a text (whole words, any case, genitive -s too)."""

    def __init__(self, districts: list[tuple[int, str]]) -> None:
        self.by_name = {name.lower(): area_id for area_id, name in districts if name}
        names = sorted(self.by_name, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")s?(?!\w)", re.I)
            if names
            else None
        )

    def find(self, *texts: str | None) -> tuple[int, str] | None:
        if self.pattern is None:
            return None
        for t in texts:
            if not t:
                continue
            m = self.pattern.search(t)
            if m:
                name = m.group(1).lower()
                return self.by_name[name], m.group(1)
        return None


@dataclass
class FeedResult:
    events: pd.DataFrame  # rows for pax_data.police_event
    incidents: pd.DataFrame  # rows for pax_data.incident
    issues: list[Issue]
    total: int  # events in the file
    kept: int  # events of the municipality
    bad_rows: set[int] = field(default_factory=set)
    by_type: dict[str, int] = field(default_factory=dict)


def _text(v: object) -> str | None:
    if v is None:
        return None
    s = str(v).replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    return s or None


def parse_feed(
    data: list,
    municipality: str,
    districts: list[tuple[int, str]],
    municipality_area_id: int | None,
    now: datetime,
    source: str = "polisen",
) -> FeedResult:
    """Validate and map the events of one municipality. Rows are numbered from 1 in the file."""
    matcher = DistrictMatcher(districts)
    issues: list[Issue] = []
    bad: set[int] = set()
    seen: dict[str, int] = {}
    events: list[dict] = []
    incidents: list[dict] = []
    by_type: dict[str, int] = {}
    kept = 0
    limit = now + timedelta(minutes=5)

    def problem(row: int, code: str, fld: str, value: object = None, **params: object) -> None:
        bad.add(row)
        issues.append(Issue(code, row, fld, None, None if value is None else str(value), params))

    for row, ev in enumerate(data, start=1):
        if not isinstance(ev, dict):
            problem(row, "feed_not_event", "event", type(ev).__name__)
            continue
        loc = ev.get("location")
        if not in_municipality(ev, municipality):
            if isinstance(loc, dict) and loc.get("name") and isinstance(ev.get("name"), str):
                continue  # another municipality's event: not ours to validate
        kept += 1
        eid = _text(ev.get("id"))
        if eid is None:
            problem(row, "required_empty", "id")
        elif eid in seen:
            problem(row, "duplicate_id", "id", eid, first=seen[eid])
        else:
            seen[eid] = row
        etype = _text(ev.get("type"))
        if etype is None:
            problem(row, "required_empty", "type")
        location_name = _text(loc.get("name")) if isinstance(loc, dict) else None
        if location_name is None:
            problem(row, "required_empty", "location.name")
        published = parse_datetime(ev.get("datetime"))
        if ev.get("datetime") in (None, ""):
            problem(row, "required_empty", "datetime")
        elif published is None:
            problem(row, "bad_time", "datetime", ev.get("datetime"))
        elif published > limit:
            problem(row, "future_time", "datetime", ev.get("datetime"))
        if row in bad:
            continue
        assert published is not None and etype is not None and eid is not None
        occurred = event_time(ev.get("name"), published) or published
        if occurred > limit:  # pragma: no cover - event_time never returns later than published+1d
            occurred = published
        summary = _text(ev.get("summary"))
        body = _text(ev.get("html_body"))
        preamble = _text(ev.get("html_preamble"))
        found = matcher.find(summary, preamble, body)
        # The summary is often the preamble cut short: keep the full preamble with the body.
        if preamble and preamble != summary:
            body = f"{preamble}\n\n{body}" if body else preamble
        precision = "area" if found else "municipality"
        area_id = found[0] if found else municipality_area_id
        tkey = etype.lower()
        kind = TYPE_KIND.get(tkey)
        if kind == "car_fire" and not is_vehicle_fire(
            " ".join(t for t in (ev.get("name"), summary, preamble, body) if isinstance(t, str))
        ):
            kind = None
        verification = "suspected" if tkey in SUSPECTED_TYPES else "unverified"
        url = absolute_url(ev.get("url"))
        by_type[etype] = by_type.get(etype, 0) + 1
        events.append(
            {
                "event_type": etype,
                "title": _text(ev.get("name")),
                "summary": summary,
                "body": body,
                "occurred_at": occurred,
                "published_at": published,
                "location_name": location_name,
                "location_precision": precision,
                "area_id": area_id,
                "incident_kind": kind,
                "source_url": url,
                "source": source,
                "source_id": eid,
                "verification": verification,
                "_row": row,
            }
        )
        if kind:
            description = summary
            if body and body != summary:
                description = f"{summary}\n\n{body}" if summary else body
            incidents.append(
                {
                    "kind": kind,
                    "title": _text(ev.get("name")),
                    "description": description,
                    "occurred_at": occurred,
                    "reported_at": published,
                    "location_precision": precision,
                    "geom": None,
                    "area_id": area_id,
                    "source_url": url,
                    "source": source,
                    "source_id": eid,
                    "verification": verification,
                    "_row": row,
                }
            )
    return FeedResult(
        events=_frame(events),
        incidents=_frame(incidents),
        issues=issues,
        total=len(data),
        kept=kept,
        bad_rows=bad,
        by_type=by_type,
    )


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    for c in ("occurred_at", "published_at", "reported_at"):
        if c in df.columns:
            df[c] = pd.to_datetime(df[c], utc=True).astype("datetime64[us, UTC]")
    if "area_id" in df.columns:
        df["area_id"] = pd.array(
            [
                None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)
                for v in df["area_id"]
            ],
            dtype="Int64",
        )
    return df
