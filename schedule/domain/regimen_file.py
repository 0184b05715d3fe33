"""Reading regimen files: TOML validated once into the frozen values of `regimen.py`. Every
complaint names the file, the dotted field and the problem.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from decimal import Decimal
from importlib import resources
from pathlib import Path

from schedule.domain.codes import codes_of
from schedule.domain.dates import WEEKDAYS
from schedule.domain.errors import RegimenFileError
from schedule.domain.model import Kind
from schedule.domain.regimen import (
    SITE,
    AfterCourse,
    Audience,
    Catalog,
    CompanionSSA,
    DoseKind,
    DoseSpec,
    Regimen,
    Related,
    Window,
)
from schedule.domain.regimen_extras import interval_of, modifications_of, pregnancy_source_of
from schedule.domain.settings import BOOL_SETTINGS
from schedule.domain.toml_table import TomlTable
from schedule.domain.units import Quantity

FORMAT_VERSION = 1


def _quantity(table: TomlTable, name: str) -> tuple[Quantity, str]:
    sub = table.need(name)
    sub.unknown(("value", "unit", "source"))
    unit = sub.text("unit")
    try:
        quantity = Quantity.parse(f"{sub.number('value')} {unit}")
    except Exception:
        raise sub.fail("unit", f"must be GBq, MBq, mCi or mg, not {unit!r}") from None
    return quantity, sub.source()


def _window(table: TomlTable, name: str) -> Window:
    sub = table.need(name)
    sub.unknown(("before", "after", "source"))
    before = None if sub.data.get("before") == SITE else sub.integer("before", low=0)
    after = None if sub.data.get("after") == SITE else sub.integer("after", low=0)
    return Window(before, after, sub.source())


def _max_delay(table: TomlTable) -> tuple[int | None, str, bool]:
    """The days a dose may wait past its planned date, their source, and whether the label
    only asks to consider stopping then (None, "", False: no limit)."""
    if not table.has("max_delay"):
        return None, "", False
    delay = table.need("max_delay")
    delay.unknown(("days", "consider", "source"))
    source = delay.source()
    return delay.integer("days", low=1), source, _flag(delay, "consider")


def _visit_hours(table: TomlTable) -> Decimal | None:
    """The hours an infusion visit takes (a chair's), if the regimen says."""
    if not table.has("visit"):
        return None
    visit = table.need("visit")
    visit.unknown(("hours", "source"))
    visit.source()
    return visit.number("hours")


def _dose(table: TomlTable) -> DoseSpec:
    table.unknown(
        (
            "series", "kind", "drug", "title", "description", "amount", "reduced", "count",
            "interval", "window", "max_gap", "max_delay", "visit", "patient_title",
            "patient_description", "loading",
        )
    )  # fmt: skip
    if table.has("max_gap"):
        raise table.fail(
            "max_gap",
            "is now max_delay: the days a dose may wait past its planned date (not since the "
            "previous dose)",
        )
    amount, amount_source = _quantity(table, "amount")
    reduced, reduced_source = _quantity(table, "reduced") if table.has("reduced") else (None, "")
    if reduced is not None and (not reduced.comparable(amount) or reduced.base >= amount.base):
        raise table.fail("reduced.value", "must be a smaller amount of the same kind as amount")
    loading, loading_source = _quantity(table, "loading") if table.has("loading") else (None, "")
    if loading is not None and not loading.comparable(amount):
        raise table.fail("loading.unit", "must be an amount of the same kind as amount")
    count = None
    if table.has("count"):
        count_table = table.need("count")
        count_table.unknown(("value", "source"))
        count_table.source()
        count = count_table.integer("value", low=1)
    days, months, choices, calendar_month, interval_source = interval_of(table.need("interval"))
    max_delay, max_delay_source, consider = _max_delay(table)
    visit = _visit_hours(table)
    return DoseSpec(
        series=table.text("series"),
        kind=DoseKind(table.choice("kind", [k.value for k in DoseKind])),
        drug=table.text("drug"),
        title=table.text("title"),
        description=table.optional_text("description"),
        amount=amount,
        amount_source=amount_source,
        reduced=reduced,
        count=count,
        interval_days=days,
        interval_choices=choices,
        calendar_month=calendar_month,
        window=_window(table, "window"),
        max_delay_days=max_delay,
        max_delay_source=max_delay_source,
        interval_source=interval_source,
        visit_hours=visit,
        patient_title=table.optional_text("patient_title"),
        patient_description=table.optional_text("patient_description"),
        max_delay_consider=consider,
        reduced_source=reduced_source,
        interval_months=months,
        loading=loading,
        loading_source=loading_source,
    )


def _ssa(table: TomlTable) -> CompanionSSA:
    table.unknown(
        (
            "drug", "title", "maintenance_title", "description", "amount", "after_dose",
            "washout", "maintenance", "patient_title", "patient_maintenance_title",
            "patient_description",
        )
    )  # fmt: skip
    after = table.need("after_dose")
    washout = table.need("washout")
    maintenance = table.need("maintenance")
    after.unknown(("from", "to", "source"))
    washout.unknown(("days", "source"))
    maintenance.unknown(("every", "until_months", "window", "source"))
    for sub in (after, washout, maintenance):
        sub.source()
    after_from = after.integer("from", low=0)
    after_to = after.integer("to", low=after_from)
    amount, amount_source = _quantity(table, "amount")
    return CompanionSSA(
        drug=table.text("drug"),
        title=table.text("title"),
        maintenance_title=table.text("maintenance_title"),
        description=table.optional_text("description"),
        amount=amount,
        amount_source=amount_source,
        after_from=after_from,
        after_to=after_to,
        washout_days=washout.integer("days", low=1),
        maintenance_every=maintenance.integer("every", low=1),
        maintenance_until_months=maintenance.integer("until_months", low=1),
        maintenance_window=_window(maintenance, "window"),
        patient_maintenance_title=table.optional_text("patient_maintenance_title"),
        patient_title=table.optional_text("patient_title"),
        patient_description=table.optional_text("patient_description"),
    )


def _offsets(table: TomlTable) -> tuple[int, int]:
    if table.has("at"):
        if table.has("from") or table.has("to"):
            raise table.fail("at", "give either `at` or `from` and `to`, not both")
        at = table.integer("at")
        return at, at
    start, end = table.integer("from"), table.integer("to")
    if end < start:
        raise table.fail("to", f"must not be before `from` ({start})")
    return start, end


def _related(table: TomlTable, default_kind: str | None = None) -> Related:
    table.unknown(
        (
            "series", "kind", "title", "description", "at", "from", "to", "late_until",
            "weekday", "doses", "source", "audience", "order", "after_order", "patient_title",
            "patient_description", "setting",
        )
    )  # fmt: skip
    start, end = _offsets(table)
    order, after_order = (_flag(table, name) for name in ("order", "after_order"))
    if (order or after_order) and table.data.get("kind") != Kind.DEADLINE.value:
        raise table.fail("order" if order else "after_order", "applies to deadlines only")
    late_until = None
    if table.has("late_until"):
        late_until = table.integer("late_until")
        if late_until < end:
            raise table.fail("late_until", f"must not be before the window's end ({end})")
    weekday = table.choice("weekday", WEEKDAYS) if table.has("weekday") else None
    doses_raw = table.data.get("doses", [])
    if not isinstance(doses_raw, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in doses_raw
    ):
        raise table.fail("doses", "must be a list of dose numbers, e.g. [1]")
    return Related(
        series=table.text("series"),
        kind=Kind(
            table.choice("kind", [k.value for k in Kind if k is not Kind.DOSE], default_kind)
        ),
        title=table.text("title"),
        description=table.optional_text("description"),
        start=start,
        end=end,
        late_until=late_until,
        weekday=weekday,
        doses=tuple(doses_raw),
        source=table.source(),
        audience=Audience(table.choice("audience", [a.value for a in Audience], "patient")),
        order=order,
        after_order=after_order,
        patient_title=table.optional_text("patient_title"),
        patient_description=table.optional_text("patient_description"),
        setting=_setting(table),
    )


def _setting(table: TomlTable) -> str:
    """A site setting (a true/false one) that a related event is planned under, or ""."""
    name = table.optional_text("setting")
    if name and name not in BOOL_SETTINGS:
        known = ", ".join(sorted(BOOL_SETTINGS))
        raise table.fail("setting", f"must name a true/false site setting ({known}), not {name!r}")
    return name


def _flag(table: TomlTable, name: str) -> bool:
    value = table.data.get(name, False)
    if not isinstance(value, bool):
        raise table.fail(name, "must be true or false")
    return value


def _after_course(tables: list[TomlTable], variants: tuple[str, ...]) -> tuple[AfterCourse, ...]:
    series_count: dict[str, int] = {}
    for table in tables:
        name = table.text("series")
        series_count[name] = series_count.get(name, 0) + 1
    seen: dict[str, int] = {}
    items = []
    for table in tables:
        table.unknown(
            (
                "series", "kind", "title", "description", "months", "days", "window", "source",
                "patient_title", "patient_description", "variant", "before_ssa",
            )
        )  # fmt: skip
        series = table.text("series")
        variant = None
        if table.has("variant"):
            if not variants:
                raise table.fail("variant", "names a precaution variant; add [[precautions.NAME]]")
            variant = table.choice("variant", variants)
        seen[series] = number = seen.get(series, 0) + 1
        key = series if series_count[series] == 1 else f"{series}-{number}"
        items.append(
            AfterCourse(
                key=key,
                series=series,
                number=number,
                kind=Kind(table.choice("kind", [k.value for k in Kind if k is not Kind.DOSE])),
                title=table.text("title"),
                description=table.optional_text("description"),
                months=table.integer("months", low=0, default=0),
                days=table.integer("days", low=0, default=0),
                window=_window(table, "window") if table.has("window") else None,
                source=table.source(),
                patient_title=table.optional_text("patient_title"),
                patient_description=table.optional_text("patient_description"),
                variant=variant,
                before_ssa=_before_ssa(table),
            )
        )
    return tuple(items)


def _before_ssa(table: TomlTable) -> int:
    if not table.has("before_ssa"):
        return 0
    if not table.has("window"):
        raise table.fail("before_ssa", "needs a `window` to look for an SSA injection in")
    return table.integer("before_ssa", low=1)


def parse_regimen(text: str, path: str) -> Regimen:
    """Validate one regimen file's text. Raises RegimenFileError naming path, field and problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegimenFileError(path, "(file)", f"is not valid TOML: {exc}") from None
    top = TomlTable(path, data)
    top.unknown(
        (
            "format", "id", "name", "summary", "dose", "ssa", "related", "precautions",
            "after_course", "modifications", "pregnancy_test", "codes",
        )
    )  # fmt: skip
    if top.integer("format", low=1) != FORMAT_VERSION:
        raise top.fail("format", f"must be {FORMAT_VERSION}")
    dose_table = top.need("dose")
    dose = _dose(dose_table)
    ssa_table = top.sub("ssa", required=False)
    ssa = _ssa(ssa_table) if ssa_table else None
    if ssa is not None and dose.kind is not DoseKind.RADIOLIGAND:
        raise top.fail("ssa", "is only for radioligand regimens (dose.kind = 'radioligand')")
    precautions: list[tuple[str, tuple[Related, ...]]] = []
    default_precautions = None
    prec_table = top.sub("precautions", required=False)
    if prec_table is not None:
        variants = [name for name in prec_table.data if name != "default"]
        if not variants:
            raise prec_table.fail("default", "names no variant; add [[precautions.NAME]] tables")
        for name in variants:
            items = tuple(_related(t, "precaution") for t in prec_table.subs(name))
            precautions.append((name, items))
        default_precautions = prec_table.choice("default", variants)
    regimen = Regimen(
        id=top.text("id"),
        name=top.text("name"),
        summary=top.optional_text("summary"),
        path=path,
        dose=dose,
        ssa=ssa,
        related=tuple(_related(t) for t in top.subs("related")),
        precautions=tuple(precautions),
        default_precautions=default_precautions,
        after_course=_after_course(
            top.subs("after_course"), tuple(name for name, _ in precautions)
        ),
        modifications=modifications_of(top, dose),
        pregnancy_source=pregnancy_source_of(top),
        codes=codes_of(top),
    )
    if ssa is None and "ssa" in dict(regimen.codes):
        raise top.fail("codes", "names an `ssa` drug, but the regimen has no [ssa] table")
    _check_keys_unique(regimen, top)
    return regimen


def _check_keys_unique(regimen: Regimen, top: TomlTable) -> None:
    """Series names make event keys, so two parts of a regimen may not share one."""
    owners: dict[str, str] = {regimen.dose.series: "dose.series"}
    if regimen.ssa is not None:
        owners.setdefault("ssa", "ssa")
        if regimen.dose.series == "ssa":
            raise top.fail("dose.series", "'ssa' is taken by the [ssa] table")
    named = [(r.series, "related") for r in regimen.related]
    named += [(r.series, "precautions") for _, items in regimen.precautions for r in items]
    named += [(a.series, "after_course") for a in regimen.after_course]
    for series, where in named:
        owner = owners.get(series)
        if owner is not None and owner != where and not (owner == where == "precautions"):
            raise top.fail(where, f"series {series!r} is already used by {owner}")
        owners.setdefault(series, where)


def builtin_texts() -> list[tuple[str, str]]:
    folder = resources.files("schedule.domain") / "regimens"
    return sorted(
        (f"<built-in>/{item.name}", item.read_text(encoding="utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".toml")
    )


def load_catalog(dirs: Iterable[Path] = (), files: Iterable[Path] = ()) -> Catalog:
    """Built-in regimens, then every `*.toml` in `dirs`, then `files`; later ids replace earlier."""
    sources = builtin_texts()
    paths = [p for d in dirs if d.is_dir() for p in sorted(d.glob("*.toml"))]
    paths += list(files)
    for path in paths:
        try:
            sources.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            problem = getattr(exc, "strerror", None) or str(exc)
            raise RegimenFileError(str(path), "(file)", f"cannot be read: {problem}") from None
    by_id: dict[str, Regimen] = {}
    for path_name, text in sources:
        regimen = parse_regimen(text, path_name)
        by_id.pop(regimen.id, None)
        by_id[regimen.id] = regimen
    return Catalog(tuple(sorted(by_id.values(), key=lambda r: r.id)))
