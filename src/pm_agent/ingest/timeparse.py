"""Timestamp parsing shared by every ingester.

Parsing keeps naive and zoned times apart: a naive time is only interpreted once the whole
file is known, so a file that mixes times with and without offsets is refused instead of
silently shifted by hours.
"""

from __future__ import annotations

import datetime as dt
import re

from pm_agent.errors import echo_safe

UTC = dt.UTC
EARLIEST_YEAR = 1990
LATEST_YEAR = 2100

ZONE_ABBREVIATIONS = {
    "WET": 0,
    "WEST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "EST": -300,
    "EDT": -240,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
    "SGT": 480,
    "HKT": 480,
    "JST": 540,
    "KST": 540,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
}
"""Minutes east of UTC of the zone abbreviations incident timelines use. Ambiguous ones are left out on purpose:
CST (US Central or China), IST (India, Ireland or Israel), BST (British Summer or Bangladesh), AST."""
_IANA_AREAS = "Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc"
_IANA_NAME = rf"(?:{_IANA_AREAS})/[A-Za-z_+-]+(?:/[A-Za-z_+-]+)?"
# A named zone counts only in capitals (not "est." or "Established") and where its word ends.
_NAMED_ZONE = rf"(?-i:(?:{'|'.join(sorted(ZONE_ABBREVIATIONS, key=len, reverse=True))}|{_IANA_NAME})(?![\w/]))"
_ZONE_BODY = rf"Z|UTC|GMT|[+-]\d{{2}}:?\d{{2}}|{_NAMED_ZONE}"
_ZONE = rf"(?P<zone>{_ZONE_BODY})?"
_DATE = r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"

DATETIME_RE = re.compile(rf"{_DATE}(?:[T ]|\s+){_TIME}\s*{_ZONE}", re.IGNORECASE)
TIME_ONLY_RE = re.compile(rf"(?<![\d:.-]){_TIME}\s*{_ZONE}(?![\d:])", re.IGNORECASE)
DATE_ONLY_RE = re.compile(rf"(?<!\d){_DATE}(?!\d)")
EPOCH_RE = re.compile(r"^\d{9,10}(?:\.\d+)?$")


class TimestampError(ValueError):
    """A timestamp that cannot be read or cannot exist."""


def quoted(value: object, limit: int = 60) -> str:
    """``value`` as an error message quotes it: its repr, cut after ``limit`` characters so that a
    message about a 100,000-character field stays one short line. Secrets are redacted before the cut."""
    text = echo_safe(repr(value))
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value)):,} characters)"


def parse_timestamp(value: object, *, default_date: dt.date | None = None) -> dt.datetime:
    """Parse an ISO-8601-like string, a ``date time`` pair, epoch seconds or a time of day.

    Returns an aware datetime when the text carries a zone, else a naive one. A time of day
    needs ``default_date``.
    """
    if isinstance(value, bool) or value is None:
        raise TimestampError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = str(value).strip()
    if not text:
        raise TimestampError("empty timestamp")
    if EPOCH_RE.match(text):
        return _from_epoch(float(text))
    match = DATETIME_RE.fullmatch(text)
    if match:
        return from_match(match)
    match = TIME_ONLY_RE.fullmatch(text)
    if match:
        if default_date is None:
            raise TimestampError(f"{quoted(text)} has a time but no date")
        return from_match(match, default_date=default_date)
    match = DATE_ONLY_RE.fullmatch(text)
    if match:
        return from_match(match, time_optional=True)
    raise TimestampError(f"unreadable timestamp {quoted(text)}")


def from_match(
    match: re.Match[str], *, default_date: dt.date | None = None, time_optional: bool = False
) -> dt.datetime:
    """Build a datetime from a match of one of this module's patterns, checking it can exist."""
    parts = match.groupdict()
    try:
        if parts.get("year"):
            date = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        elif default_date is not None:
            date = default_date
        else:
            raise TimestampError(f"{match.group(0)!r} has a time but no date")
        if time_optional and not parts.get("hour"):
            time = dt.time(0, 0)
        else:
            fraction = (parts.get("fraction") or "0")[:6].ljust(6, "0")
            time = dt.time(int(parts["hour"]), int(parts["minute"]), int(parts.get("second") or 0), int(fraction))
    except ValueError as exc:
        raise TimestampError(f"impossible timestamp {match.group(0)!r} ({exc})") from None
    if not EARLIEST_YEAR <= date.year <= LATEST_YEAR:
        raise TimestampError(f"implausible year in {match.group(0)!r}")
    return dt.datetime.combine(date, time, tzinfo=_written_zone(parts.get("zone")))


def _written_zone(text: str | None) -> dt.tzinfo | None:
    """The zone a timestamp is written with: an offset, ``UTC``, an abbreviation such as ``CET`` or an IANA name."""
    if text in ZONE_ABBREVIATIONS:
        return dt.timezone(dt.timedelta(minutes=ZONE_ABBREVIATIONS[text]), text)
    if text and "/" in text:
        return _iana_zone(text)
    return _zone(text)


def _iana_zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimestampError(
            f"unknown time zone {quoted(name)}; use UTC, an offset like +02:00 or a name like Europe/Oslo"
        ) from None


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        raise TimestampError(f"impossible UTC offset {text!r}")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _from_epoch(seconds: float) -> dt.datetime:
    try:
        moment = dt.datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise TimestampError(f"epoch value out of range: {seconds}") from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise TimestampError(f"implausible epoch timestamp {seconds}")
    return moment


def to_utc(moments: list[dt.datetime], *, assume_tz: dt.tzinfo | None) -> list[dt.datetime]:
    """Convert parsed times of one file to UTC.

    Naive times take ``assume_tz``. Raises :class:`TimestampError` when a file mixes naive and
    zoned times and no zone was given, or when every time is naive and none was given.
    """
    naive = [m for m in moments if m.tzinfo is None]
    if naive and assume_tz is None:
        if len(naive) < len(moments):
            raise TimestampError(
                f"mixed time zones without offsets: {naive[0].isoformat(sep=' ')} has no offset while other "
                "times do; add an offset to every time or pass --timezone"
            )
        assume_tz = UTC
    return [(m if m.tzinfo else m.replace(tzinfo=assume_tz)).astimezone(UTC) for m in moments]


def parse_zone_name(name: str) -> dt.tzinfo:
    """Resolve ``UTC``, ``+02:00``, an IANA name such as ``Europe/Copenhagen`` or an abbreviation such as ``PST``."""
    try:
        zone = _zone(name)
        if zone is not None:
            return zone
    except (TimestampError, ValueError, IndexError):
        pass
    try:
        return _iana_zone(name)  # CET, EET and the like are IANA names too, with summer time
    except TimestampError:
        if name in ZONE_ABBREVIATIONS:  # PST, JST...: the fixed offset the abbreviation stands for
            return _written_zone(name)
        raise


def format_utc(moment: dt.datetime) -> str:
    """``2024-03-01 14:05 UTC`` (seconds shown only when present)."""
    moment = moment.astimezone(UTC)
    pattern = "%Y-%m-%d %H:%M:%S UTC" if moment.second else "%Y-%m-%d %H:%M UTC"
    return moment.strftime(pattern)


def format_minutes(minutes: float) -> str:
    """A duration for people, exact to the second it was measured in: ``41 s``, ``2 min 30 s``, ``45 min``,
    ``2 h 05 min``, ``4 d 1 h 20 min``."""
    seconds = round(minutes * 60)
    total, rest = divmod(seconds, 60)
    if total < 60:
        if not total:
            return f"{rest} s"
        return f"{total} min {rest} s" if rest else f"{total} min"
    hours, mins = divmod((seconds + 30) // 60, 60)  # from an hour on, seconds are not shown: the nearest minute
    if hours < 48:
        return f"{hours} h {mins:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" + (f" {mins} min" if mins else "")


DURATION_RE = re.compile(r"(?<!\d)(\d+(?:\.\d+)?)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?)\b", re.IGNORECASE)
MINUTES_PER_UNIT = {"d": 1440, "h": 60, "m": 1}


def minutes_in_text(text: str | None) -> float | None:
    """Every duration ``text`` states, summed in minutes: ``25 minutes``, ``2 hours``, ``1h 30m``, ``3 days``;
    None when it states none."""
    if not text:
        return None
    found = DURATION_RE.findall(text)
    if not found:
        return None
    return sum(float(number) * MINUTES_PER_UNIT[unit[0].lower()] for number, unit in found)


_WORD_END = r"(?![^\W_]|[:.,]\d)"
_SPACE_BEFORE_ZONE = rf"(?:\s+(?={_ZONE_BODY}))?"  # so a match never ends in blanks
_LEADING_DATETIME_RE = re.compile(rf"{_DATE}(?:[T ]|\s+){_TIME}{_SPACE_BEFORE_ZONE}{_ZONE}{_WORD_END}", re.IGNORECASE)
_LEADING_TIME_RE = re.compile(rf"{_TIME}{_SPACE_BEFORE_ZONE}{_ZONE}{_WORD_END}", re.IGNORECASE)


def match_leading_timestamp(text: str) -> re.Match[str] | None:
    """The date-time or time of day that ``text`` opens with, for :func:`from_match`; else None.

    The timestamp must end where a word ends, so ``14:05 Zookeeper down`` keeps its ``Z`` in
    the text instead of reading it as a zone, ``14:05: paged`` and ``14:05 UTC: paged`` read the
    colon as a separator, and ``14:05pm`` or ``14:051`` are not timestamps at all.
    """
    return _LEADING_DATETIME_RE.match(text) or _LEADING_TIME_RE.match(text)
