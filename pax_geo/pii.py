"""Swedish personal data in short free-text notes: personal identity numbers and phone numbers.

Field workers type notes such as "Grupp ungdomar vid torget, ca 10 pers". A note that contains a
personnummer, a samordningsnummer or a phone number is refused: :func:`find_personal_data` gives
the form a clear message (with a masked copy of what it found), and :data:`PLPGSQL` creates
``pax_data.personal_data_kind(text)``, the same rules in PL/pgSQL, so the database refuses too.
Both implementations follow the algorithm below step by step; tests/db/test_pii_sql.py checks that
they agree on fixed and random strings.

Algorithm
---------
1. **Normalise** (one character for one, so positions are kept): no-break, figure, thin and
   narrow no-break spaces become ``' '``; the hyphen, no-break hyphen, figure dash, en dash, em
   dash and minus sign become ``'-'``.
2. **Runs**: maximal pieces matching ``\\+?[0-9]+([-+. ][0-9]+)*``: ASCII digit groups joined by
   exactly one separator (space, ``-``, ``.`` or ``+``), optionally led by a ``+``. Letters,
   ``/``, ``:``, ``,``, two spaces in a row, ... end a run. Letters may touch a run
   ("pnr850709-1234" is still found).
3. **Candidates**: inside a run, every span of 1–6 consecutive whole groups, tried from the
   leftmost start and, for each start, longest first. A span glued to a neighbouring group of
   its run by anything but a space is skipped ("2026-12-08 12 34 56" has no phone "08 12 34 56").
   The first span that classifies is a finding; the search goes on after it. Identity numbers are
   tried before phone numbers. ``personal_data_kind`` returns the kind of the first finding.
4. **Personnummer / samordningsnummer**: the span is one group of 10 (``YYMMDDNNNN``) or 12
   (``YYYYMMDDNNNN``) digits, or two groups 6 + 4 joined by ``-``, ``+`` or a space
   (``YYMMDD-NNNN``) or 8 + 4 joined by ``-`` or a space (``YYYYMMDD-NNNN``). A 12-digit form
   must start with century 18, 19 or 20. The month is 01–12; the day is valid for the month,
   leap years from the full year of a 12-digit form and from either century for a 10-digit one
   (29 February whenever YY is divisible by 4). A day of 61–91 (day + 60) is a
   samordningsnummer. The Luhn check digit over the 10-digit form ``YYMMDDNNN`` (weights
   2,1,2,...; digit sums of the products) must equal the last digit. A wrong check digit is not a
   finding.
5. **Phone numbers** (separators inside the span: space, ``-`` or ``.`` only). An international
   prefix ``+46`` (the run's leading ``+``) or ``0046`` is removed, as is the separator after it
   when it stands alone; a ``0`` is put in front of the rest unless it already starts with one
   ("+46 70 123 45 67" → "070 123 45 67", "+46 070-..." is also accepted). The national number:

   * starts with ``0`` followed by a non-zero digit, 8–10 digits in all;
   * written as one group: nothing more is asked ("0701234567", "081234567");
   * written in several groups: the first group is the area code (``08`` or ``0`` + 2–3 digits,
     e.g. ``016``, ``070``, ``0155``), the subscriber number after it has 5–8 digits and does not
     start with ``0``, and is either one group ("070-1234567") or groups of 2–3 digits all joined
     by the same separator ("08-123 456 78", "016-12 34 56", "070.123.45.67").

   Mobile numbers (07X + 7 digits) are the 10-digit case of this rule.

Not findings (by the rules above): dates and times ("2026-12-03", "3/12 21:30",
"kl 21.30–23.00", "08.12.2026"), counts ("ca 10 pers"), car registrations ("ABC 123",
"ABC 12A"), years ("sedan 2019"), postcodes ("151 73 Södertälje"), amounts ("1 500 kr"), and
identity numbers with an impossible date or a wrong check digit.

Known limits
------------
* A number that merely looks like one is refused: an order or case number such as
  "0123-45678" is a phone number by shape, and 1 in 10 ten-digit numbers with a date-like
  start passes the Luhn check (also timestamps like "202603122130").
* Not found: numbers split in other ways ("850709 - 1234" with spaces around the dash,
  "+46 (0)70 ...", "070/123 45 67"), numbers written with words or letters for digits
  ("noll sju noll ..."), digits other than ASCII 0–9, foreign numbers other than +46, and
  numbers run together with other digits ("1208507091234" is one 13-digit group).
* Identity numbers: the check digit and the date are checked, not whether the number was ever
  issued; the 10-digit form is accepted for any century, and a 10-digit number starting with
  ``07``/``08`` can be both a date and a phone number (it is reported as an identity number).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["personnummer", "samordningsnummer", "phone"]

#: One character for one, so that offsets in the normalised text are offsets in the original.
_NORMALISE = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u2009": " ",  # thin space
        "\u202f": " ",  # narrow no-break space
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # no-break hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus sign
    }
)
_RUN = re.compile(r"\+?[0-9]+(?:[-+. ][0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
#: The longest candidate span in groups ("+46 8 12 34 56 78").
MAX_GROUPS = 6


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind, where it is (``text[start:end]``) and a masked copy
    safe to show back ("850709-****", "070-*** ** **")."""

    kind: Kind
    start: int
    end: int
    masked: str


def find_personal_data(text: str) -> list[Finding]:
    """Every personnummer, samordningsnummer and phone number in ``text``, left to right."""
    findings: list[Finding] = []
    for run in _RUN.finditer(text.translate(_NORMALISE)):
        findings.extend(_scan_run(text, run.start(), run.group()))
    return findings


def _scan_run(text: str, offset: int, run: str) -> list[Finding]:
    plus = run.startswith("+")
    matches = list(_GROUP.finditer(run))
    groups = [m.group() for m in matches]
    # seps[k] joins groups[k] and groups[k + 1].
    seps = [run[m.start() - 1] for m in matches[1:]]
    n = len(groups)
    found: list[Finding] = []
    i = 0
    while i < n:
        hit: tuple[int, Kind] | None = None
        if i == 0 or seps[i - 1] == " ":
            for j in range(min(n, i + MAX_GROUPS) - 1, i - 1, -1):
                if j < n - 1 and seps[j] != " ":
                    continue
                kind = _classify(groups[i : j + 1], seps[i:j], plus and i == 0)
                if kind is not None:
                    hit = (j, kind)
                    break
        if hit is None:
            i += 1
            continue
        j, kind = hit
        start = offset + matches[i].start()
        if kind == "phone" and plus and i == 0:
            start = offset  # the '+' of +46
        end = offset + matches[j].end()
        found.append(Finding(kind, start, end, _mask(kind, text[start:end])))
        i = j + 1
    return found


def _classify(groups: list[str], seps: list[str], plus: bool) -> Kind | None:
    kind = _identity_kind(groups, seps)
    if kind is not None:
        return kind
    return "phone" if _is_phone(groups, seps, plus) else None


def _identity_kind(groups: list[str], seps: list[str]) -> Kind | None:
    """personnummer / samordningsnummer if the groups are one in a valid form, else None."""
    if len(groups) == 1 and len(groups[0]) in (10, 12):
        digits = groups[0]
    elif (
        len(groups) == 2
        and len(groups[1]) == 4
        and (
            (len(groups[0]) == 6 and seps[0] in ("-", "+", " "))
            or (len(groups[0]) == 8 and seps[0] in ("-", " "))
        )
    ):
        digits = groups[0] + groups[1]
    else:
        return None
    if len(digits) == 12:
        if int(digits[:2]) not in (18, 19, 20):
            return None
        leap = calendar.isleap(int(digits[:4]))
        digits = digits[2:]
    else:
        yy = int(digits[:2])
        leap = calendar.isleap(1900 + yy) or calendar.isleap(2000 + yy)
    month, day = int(digits[2:4]), int(digits[4:6])
    kind: Kind = "personnummer"
    if day > 60:
        kind, day = "samordningsnummer", day - 60
    if not 1 <= month <= 12:
        return None
    days = 29 if month == 2 and leap else calendar.monthrange(2001, month)[1]
    if not 1 <= day <= days:
        return None
    return kind if luhn_check_digit(digits[:9]) == int(digits[9]) else None


def luhn_check_digit(nine: str) -> int:
    """The Luhn check digit of ``YYMMDDNNN`` (weights 2, 1, 2, ...; digit sums of products)."""
    total = 0
    for k, ch in enumerate(nine):
        p = int(ch) * (2 if k % 2 == 0 else 1)
        total += p - 9 if p > 9 else p
    return (10 - total % 10) % 10


def _is_phone(groups: list[str], seps: list[str], plus: bool) -> bool:
    if any(s not in (" ", "-", ".") for s in seps):
        return False
    groups, seps = list(groups), list(seps)
    if plus or groups[0].startswith("0046"):
        if plus and not groups[0].startswith("46"):
            return False
        rest = groups[0][2:] if plus else groups[0][4:]
        if rest == "":
            if len(groups) < 2:
                return False
            groups, seps = groups[1:], seps[1:]
        else:
            groups[0] = rest
        if not groups[0].startswith("0"):
            groups[0] = "0" + groups[0]
    return _is_national(groups, seps)


def _is_national(groups: list[str], seps: list[str]) -> bool:
    area = groups[0]
    if len(area) < 2 or area[0] != "0" or area[1] == "0":
        return False
    total = sum(len(g) for g in groups)
    if not 8 <= total <= 10:
        return False
    if len(groups) == 1:
        return True
    if not 2 <= len(area) <= 4 or (len(area) == 2 and area != "08"):
        return False
    if groups[1][0] == "0" or not 5 <= total - len(area) <= 8:
        return False
    if len(groups) >= 3:
        if any(not 2 <= len(g) <= 3 for g in groups[1:]):
            return False
        if any(s != seps[1] for s in seps[1:]):
            return False
    return True


def _mask(kind: Kind, found: str) -> str:
    """Identity numbers keep the date ("850709-****"); phone numbers keep the +46/0046 prefix or
    the area code ("070-*** ** **", "+46 ** *** ** **")."""
    if kind != "phone":
        return found[:-4] + "****"
    if found.startswith("+"):
        keep = 3
    elif found.startswith("0046"):
        keep = 4
    else:
        area = re.match(r"0[0-9]{1,3}(?=[^0-9])", found)
        keep = area.end() if area else 3
    return found[:keep] + re.sub(r"[0-9]", "*", found[keep:])


#: ``pax_data.personal_data_kind(text)``: the rules above in PL/pgSQL (a migration executes it).
#: The kind of the first finding, or null. No ':' names or '%' in it (SQLAlchemy's text()).
PLPGSQL = r"""
create or replace function pax_data.personal_data_kind(p_text pg_catalog.text)
returns pg_catalog.text
language plpgsql immutable parallel safe
set search_path = pg_catalog, pg_temp
as $pii$
declare
    v_chars pg_catalog.text[];
    v_len pg_catalog.int4;
    v_pos pg_catalog.int4 := 1;
    v_plus pg_catalog.bool;
    v_groups pg_catalog.text[];
    v_seps pg_catalog.text[];
    v_group pg_catalog.text;
    v_n pg_catalog.int4;
    v_m pg_catalog.int4;
    v_kind pg_catalog.text;
    v_digits pg_catalog.text;
    v_leap pg_catalog.bool;
    v_month pg_catalog.int4;
    v_day pg_catalog.int4;
    v_max pg_catalog.int4;
    v_sum pg_catalog.int4;
    v_p pg_catalog.int4;
    v_ok pg_catalog.bool;
    v_gs pg_catalog.text[];
    v_ss pg_catalog.text[];
    v_rest pg_catalog.text;
    v_total pg_catalog.int4;
    v_area pg_catalog.text;
begin
    if p_text is null then
        return null;
    end if;
    -- 1. Normalise, one character for one: spaces and dashes.
    v_chars := pg_catalog.string_to_array(pg_catalog.translate(p_text,
        pg_catalog.chr(160) || pg_catalog.chr(8199) || pg_catalog.chr(8201)
            || pg_catalog.chr(8239) || pg_catalog.chr(8208) || pg_catalog.chr(8209)
            || pg_catalog.chr(8210) || pg_catalog.chr(8211) || pg_catalog.chr(8212)
            || pg_catalog.chr(8722),
        '    ------'), null);
    v_len := pg_catalog.cardinality(v_chars);
    while v_pos <= v_len loop
        -- 2. A run starts at a digit, or at a '+' followed by a digit.
        v_plus := v_chars[v_pos] = '+' and v_pos < v_len
            and pg_catalog.strpos('0123456789', v_chars[v_pos + 1]) > 0;
        if not v_plus and pg_catalog.strpos('0123456789', v_chars[v_pos]) = 0 then
            v_pos := v_pos + 1;
            continue;
        end if;
        if v_plus then
            v_pos := v_pos + 1;
        end if;
        v_groups := '{}';
        v_seps := '{}';
        loop
            v_group := '';
            while v_pos <= v_len and pg_catalog.strpos('0123456789', v_chars[v_pos]) > 0 loop
                v_group := v_group || v_chars[v_pos];
                v_pos := v_pos + 1;
            end loop;
            v_groups := pg_catalog.array_append(v_groups, v_group);
            exit when v_pos >= v_len
                or pg_catalog.strpos(' -.+', v_chars[v_pos]) = 0
                or pg_catalog.strpos('0123456789', v_chars[v_pos + 1]) = 0;
            v_seps := pg_catalog.array_append(v_seps, v_chars[v_pos]);
            v_pos := v_pos + 1;
        end loop;
        -- 3. Candidates: whole groups, leftmost start first, longest first; glued spans skipped.
        -- v_seps[k] joins v_groups[k] and v_groups[k + 1].
        v_n := pg_catalog.cardinality(v_groups);
        for v_i in 1 .. v_n loop
            continue when v_i > 1 and v_seps[v_i - 1] <> ' ';
            for v_j in reverse case when v_n < v_i + 5 then v_n else v_i + 5 end .. v_i loop
                continue when v_j < v_n and v_seps[v_j] <> ' ';
                v_m := v_j - v_i + 1;
                -- 4. Personnummer / samordningsnummer.
                v_digits := null;
                if v_m = 1 and pg_catalog.length(v_groups[v_i]) in (10, 12) then
                    v_digits := v_groups[v_i];
                elsif v_m = 2 and pg_catalog.length(v_groups[v_j]) = 4
                    and ((pg_catalog.length(v_groups[v_i]) = 6 and v_seps[v_i] in ('-', '+', ' '))
                         or (pg_catalog.length(v_groups[v_i]) = 8 and v_seps[v_i] in ('-', ' '))) then
                    v_digits := v_groups[v_i] || v_groups[v_j];
                end if;
                if v_digits is not null and pg_catalog.length(v_digits) = 12 then
                    if pg_catalog.left(v_digits, 2) not in ('18', '19', '20') then
                        v_digits := null;
                    else
                        v_p := pg_catalog.left(v_digits, 4)::pg_catalog.int4;
                        v_leap := pg_catalog.mod(v_p, 4) = 0
                            and (pg_catalog.mod(v_p, 100) <> 0 or pg_catalog.mod(v_p, 400) = 0);
                        v_digits := pg_catalog.substr(v_digits, 3);
                    end if;
                elsif v_digits is not null then
                    v_leap := pg_catalog.mod(pg_catalog.left(v_digits, 2)::pg_catalog.int4, 4) = 0;
                end if;
                if v_digits is not null then
                    v_month := pg_catalog.substr(v_digits, 3, 2)::pg_catalog.int4;
                    v_day := pg_catalog.substr(v_digits, 5, 2)::pg_catalog.int4;
                    v_kind := 'personnummer';
                    if v_day > 60 then
                        v_kind := 'samordningsnummer';
                        v_day := v_day - 60;
                    end if;
                    v_max := case
                        when v_month in (1, 3, 5, 7, 8, 10, 12) then 31
                        when v_month in (4, 6, 9, 11) then 30
                        when v_month = 2 and v_leap then 29
                        when v_month = 2 then 28
                        else 0 end;
                    if v_day between 1 and v_max then
                        v_sum := 0;
                        for v_k in 1 .. 9 loop
                            v_p := pg_catalog.substr(v_digits, v_k, 1)::pg_catalog.int4
                                * (case when pg_catalog.mod(v_k, 2) = 1 then 2 else 1 end);
                            v_sum := v_sum + (case when v_p > 9 then v_p - 9 else v_p end);
                        end loop;
                        if pg_catalog.mod(10 - pg_catalog.mod(v_sum, 10), 10)
                            = pg_catalog.substr(v_digits, 10, 1)::pg_catalog.int4 then
                            return v_kind;
                        end if;
                    end if;
                end if;
                -- 5. Phone numbers.
                v_gs := v_groups[v_i:v_j];
                v_ss := v_seps[v_i:v_j - 1];
                v_ok := true;
                for v_k in 1 .. v_m - 1 loop
                    if v_ss[v_k] not in (' ', '-', '.') then
                        v_ok := false;
                    end if;
                end loop;
                if v_ok and ((v_plus and v_i = 1) or pg_catalog.left(v_gs[1], 4) = '0046') then
                    if v_plus and v_i = 1 and pg_catalog.left(v_gs[1], 2) <> '46' then
                        v_ok := false;
                    else
                        v_rest := pg_catalog.substr(v_gs[1], case when v_plus and v_i = 1 then 3 else 5 end);
                        if v_rest = '' then
                            if v_m < 2 then
                                v_ok := false;
                            else
                                v_gs := v_gs[2:v_m];
                                v_ss := v_ss[2:v_m - 1];
                                v_m := v_m - 1;
                            end if;
                        else
                            v_gs[1] := v_rest;
                        end if;
                        if v_ok and pg_catalog.left(v_gs[1], 1) <> '0' then
                            v_gs[1] := '0' || v_gs[1];
                        end if;
                    end if;
                end if;
                if v_ok then
                    v_area := v_gs[1];
                    v_total := 0;
                    for v_k in 1 .. v_m loop
                        v_total := v_total + pg_catalog.length(v_gs[v_k]);
                    end loop;
                    if pg_catalog.length(v_area) < 2 or pg_catalog.left(v_area, 1) <> '0'
                        or pg_catalog.substr(v_area, 2, 1) = '0'
                        or v_total not between 8 and 10 then
                        v_ok := false;
                    elsif v_m > 1 then
                        if pg_catalog.length(v_area) not between 2 and 4
                            or (pg_catalog.length(v_area) = 2 and v_area <> '08')
                            or pg_catalog.left(v_gs[2], 1) = '0'
                            or v_total - pg_catalog.length(v_area) not between 5 and 8 then
                            v_ok := false;
                        elsif v_m >= 3 then
                            for v_k in 2 .. v_m loop
                                if pg_catalog.length(v_gs[v_k]) not between 2 and 3 then
                                    v_ok := false;
                                end if;
                            end loop;
                            for v_k in 2 .. v_m - 1 loop
                                if v_ss[v_k] <> v_ss[2] then
                                    v_ok := false;
                                end if;
                            end loop;
                        end if;
                    end if;
                    if v_ok then
                        return 'phone';
                    end if;
                end if;
            end loop;
        end loop;
    end loop;
    return null;
end
$pii$;
"""
