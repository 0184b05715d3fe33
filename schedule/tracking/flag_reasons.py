"""Why an event carries each flag the engine raises: one reason per flag, with the facts it
rests on and the rule with its source id (`reasons.Reason`, read from `reasons.Basis`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from schedule.domain.model import SSA_SERIES, Flag, Status
from schedule.domain.pregnancy import SERIES as PREGNANCY_TEST
from schedule.domain.units import Quantity
from schedule.engine.doses import first_orderable
from schedule.engine.modify import Decision
from schedule.tracking import guards
from schedule.tracking.reasons import Basis, Reason, source_id, ssa_source


def flag_reason(why: Basis, flag: Flag) -> Reason:
    """Why the event carries `flag`."""
    explain = _FLAGS.get(flag.value)
    if explain is None:
        return Reason("flag", flag.value, (GENERIC[flag.value],))
    return explain(why)


def _washout(why: Basis) -> Reason:
    ssa = why.regimen.ssa
    days = ssa.washout_days if ssa else 28
    source = ssa_source(why.regimen, "washout") if ssa else "L15, L19"
    mine = why.event.effective_date
    hits = []
    for view in why.views:
        for other in view.events:
            if other.series not in SSA_SERIES or other.status in (Status.SKIPPED, Status.CANCELLED):
                continue
            for dose in view.events if why.event.series in SSA_SERIES else [why.event]:
                if dose.series != view.regimen.dose.series and dose is not why.event:
                    continue
                gap = (dose.effective_date - other.effective_date).days
                if 0 < gap < days and mine in (dose.effective_date, other.effective_date):
                    where = "" if view is why.view else f" (course {view.course.number})"
                    hits.append(
                        f"{why.said(other)}{where}, {gap} days before {dose.key} "
                        f"on {dose.effective_date}"
                    )
    return Reason(
        "flag",
        Flag.SSA_WASHOUT_CONFLICT.value,
        tuple(dict.fromkeys(hits)) or ("a long-acting SSA of another course",),
        f"no long-acting SSA under {days} days before a dose",
        source,
    )


def _max_delay(why: Basis) -> Reason:
    dose = why.regimen.dose
    prev = why.other(f"{dose.series}-{why.event.number - 1}")
    every = timedelta(days=why.view.course.options.interval_days or dose.interval_days)
    planned = prev.given_on + every if prev and prev.given_on else why.event.date
    day = why.event.given_on or max(why.event.date, why.as_of)
    limit = dose.max_delay_days or 0
    late = (day - planned).days
    facts = (
        why.said(prev),
        f"planned one interval later, {planned}",
        f"{'given' if why.event.given_on else 'not given by'} {day}, {late} days later",
        why.hold_before() or "a toxicity hold delays it",
    )
    verdict = (
        "consider permanent discontinuation"
        if dose.max_delay_consider
        else "permanent discontinuation"
    )
    return Reason(
        "flag",
        Flag.MAX_DELAY_EXCEEDED.value,
        facts,
        f"a toxicity that delays the dose {limit} days or more past its planned date: "
        f"{verdict}, for a clinician to confirm",
        source_id(dose.max_delay_source),
    )


def _decision(why: Basis) -> Decision | None:
    """The engine's decision for the dose this event is (`engine.modify`)."""
    return why.view.decisions(why.settings, why.as_of).get(why.event.key)


def _reduced(why: Basis) -> Reason:
    dose = why.regimen.dose
    decision = _decision(why)
    if why.event.given_on is not None and (decision is None or not decision.reduced):
        facts = (f"{why.event.key} recorded as {why.event.dose}, below the full {dose.amount}",)
        return Reason(
            "flag",
            Flag.REDUCED_DOSE.value,
            facts,
            "the full dose",
            source_id(dose.amount_source),
        )
    if decision is None:
        return Reason("flag", Flag.REDUCED_DOSE.value, (f"planned at {dose.reduced}",))
    return Reason(
        "flag",
        Flag.REDUCED_DOSE.value,
        (decision.why, f"expected at {decision.amount}, not the full {dose.amount}"),
        "the regimen's dose-modification table",
        decision.source,
    )


def _below(why: Basis) -> Reason:
    """Recorded below its expected amount (`guards.expected_amount`: the full one, or the one
    the dose-modification table asks for); a fifth of it or less reads as a unit slip."""
    facts = [f"{why.event.key} recorded as {why.event.dose}"]
    expected = guards.expected_amount(why.view, why.event, why.settings, why.as_of)
    if expected is not None:
        amount, what, because = expected
        facts.append(f"the {what} amount is {amount} ({because})")
        if why.event.dose and Quantity.parse(why.event.dose).base * guards.SLIP <= amount.base:
            facts.append("a fifth of it or less: likely a unit or typing slip")
    tolerance = why.settings.dose_tolerance_percent
    return Reason(
        "flag",
        Flag.DOSE_BELOW_EXPECTED.value,
        tuple(facts),
        f"more than {tolerance}% below the expected amount",
        "site setting dose_tolerance_percent",
    )


def _stop(why: Basis) -> Reason:
    decision = _decision(why)
    if decision is None or decision.stop is None:
        return Reason("flag", Flag.DISCONTINUE_PER_LABEL.value, ("the label's stop rule",))
    pid = why.view.patient.id
    return Reason(
        "flag",
        Flag.DISCONTINUE_PER_LABEL.value,
        (
            decision.stop.rule,
            f"for a clinician to confirm: discontinue {pid}'s course, or resume it with an "
            "override (the reason) to go on",
        ),
        "the regimen's dose-modification table",
        decision.stop.source,
    )


def _labs(why: Basis, flag: Flag) -> Reason:
    """On the dose: its labs missing or too old; on the labs themselves: too old for it."""
    number, dose_series = why.event.number, why.regimen.dose.series
    lab = why.other(f"labs-{number}")
    dose = why.other(f"{dose_series}-{number}") if why.event.series != dose_series else why.event
    if dose is None:
        dose = why.event
    related = next((r for r in why.regimen.related if r.series == "labs"), None)
    source = source_id(related.source) if related else None
    if flag is Flag.LABS_STALE and lab is not None and lab.given_on is not None:
        day = dose.given_on or max(dose.date, why.as_of)
        gap = (day - lab.given_on).days
        limit = -related.start if related else 28
        can = "given" if dose.given_on else "at the earliest"
        old = (why.said(lab), f"{gap} days before {dose.key} ({can} {day})")
        return Reason(
            "flag", flag.value, old, f"labs count up to {limit} days before the dose", source
        )
    none = f"{lab.key} {lab.status.value}, nothing recorded" if lab else "no labs recorded"
    return Reason("flag", flag.value, (none,), "labs before each dose", source)


def _pregnancy(why: Basis) -> Reason:
    """On a radioligand dose: no pregnancy test recorded in time for it; an unknown status
    counts as "can become pregnant" until someone asks."""
    test = why.other(f"{PREGNANCY_TEST}-{why.event.number}")
    if test is not None and test.given_on is not None:
        days = why.settings.pregnancy_test_days
        facts = [f"{why.said(test)}, more than {days} days before {why.event.key}"]
    else:
        shown = f"{test.key} {test.status.value}" if test else PREGNANCY_TEST
        facts = [f"{shown}, nothing recorded"]
    patient = why.view.patient
    if patient.pregnancy is None:
        facts.append(
            f"whether {patient.id} can become pregnant is not known: ask, then record the "
            "answer as the patient's pregnancy, yes or no"
        )
    else:
        facts.append(f"{patient.id} can become pregnant (pregnancy {patient.pregnancy})")
    return Reason(
        "flag",
        Flag.PREGNANCY_TEST_MISSING.value,
        tuple(facts),
        f"a pregnancy test within {why.settings.pregnancy_test_days} days before each dose "
        "(site setting pregnancy_test_days)",
        source_id(why.regimen.pregnancy_source),
    )


def _order_late(why: Basis) -> Reason:
    """On an order deadline passed with no order recorded: the first dose day that can still
    be ordered for, counting from today."""
    order, number = why.event, why.event.number
    dose = why.other(f"{why.regimen.dose.series}-{number}")
    facts = [f"{order.key} deadline {order.end} passed, no order recorded"]
    related = next((r for r in why.regimen.related if r.series == order.series), None)
    if dose is not None:
        facts.append(why.said(dose))
        day = first_orderable(why.regimen, number, max(dose.date, why.as_of), why.as_of)
        text = f"ordered today, {dose.key} can be given from {day}"
        if day > dose.window_end:
            text += f", after its window closes {dose.window_end}: reschedule it"
        facts.append(text)
    return Reason(
        "flag",
        Flag.ORDER_LATE.value,
        tuple(facts),
        "the order is late: place it now, for the next dose day it can still be ordered for",
        source_id(related.source) if related else None,
    )


def _outside(why: Basis) -> Reason:
    e = why.event
    facts = (f"given {e.given_on}", f"its window {e.window_start} to {e.window_end}")
    return Reason("flag", Flag.OUTSIDE_WINDOW.value, facts, "given outside its window")


def _override(why: Basis) -> Reason:
    for record in reversed(why.view.standing):
        if record.event == why.event.key and record.override:
            facts = (
                f"record {record.id} ({record.type.value} {record.day}) passed a guard: "
                f"{record.override}",
            )
            return Reason("flag", Flag.OVERRIDE.value, facts, "a clinician's reason")
    return Reason("flag", Flag.OVERRIDE.value, ("recorded past a guard",))


def _duplicate(why: Basis) -> Reason:
    least = why.settings.ssa_min_interval_days
    mine = why.event.effective_date
    hits = [
        f"{why.said(e)} (course {v.course.number}), "
        f"{abs((e.effective_date - mine).days)} days apart"
        for v in why.views
        if v is not why.view
        for e in v.events
        if e.series in SSA_SERIES
        and e.status not in (Status.SKIPPED, Status.CANCELLED)
        and abs((e.effective_date - mine).days) < least
    ]
    return Reason(
        "flag",
        Flag.DUPLICATE_SSA.value,
        tuple(hits) or ("another course's SSA",),
        f"long-acting SSA injections at least {least} days apart",
        "site setting ssa_min_interval_days",
    )


_FLAGS: dict[str, Callable[[Basis], Reason]] = {
    Flag.SSA_WASHOUT_CONFLICT.value: _washout,
    Flag.MAX_DELAY_EXCEEDED.value: _max_delay,
    Flag.REDUCED_DOSE.value: _reduced,
    Flag.LABS_MISSING.value: lambda why: _labs(why, Flag.LABS_MISSING),
    Flag.LABS_STALE.value: lambda why: _labs(why, Flag.LABS_STALE),
    Flag.OUTSIDE_WINDOW.value: _outside,
    Flag.OVERRIDE.value: _override,
    Flag.DUPLICATE_SSA.value: _duplicate,
    Flag.DOSE_BELOW_EXPECTED.value: _below,
    Flag.DISCONTINUE_PER_LABEL.value: _stop,
    Flag.PREGNANCY_TEST_MISSING.value: _pregnancy,
    Flag.ORDER_LATE.value: _order_late,
}

# Flags whose reasons the site's settings hold (closures, capacity): said in general words.
GENERIC = {
    "clinic-closed": "planned on a day the clinic is closed (site setting closures)",
    "over-capacity": "its day needs more chair-hours than the clinic has (site setting capacity)",
}

EXPLAINED = frozenset(_FLAGS) | frozenset(GENERIC)
