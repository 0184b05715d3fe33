"""What a course's dose series carries: its plan, the same from dose to dose (`SeriesPlan`), and
its state, from one dose to the next (`SeriesState`), with where it stood before each dose
(`Step`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from schedule.domain.options import PlanOptions
from schedule.domain.pregnancy import pregnancy_tests
from schedule.domain.regimen import Regimen, Related
from schedule.domain.settings import Settings
from schedule.engine.companions import Days, Named, related_days
from schedule.engine.context import Context
from schedule.engine.facts import FactIndex
from schedule.engine.modify import Decision, Level, full_decision


@dataclass(frozen=True, slots=True)
class SeriesPlan:
    """What stays the same from dose to dose of one course, computed once: the series loop
    runs for every dose of every course."""

    months: int  # calendar months per interval (0: the interval is in days)
    interval: timedelta
    before: timedelta  # the dose window
    after: timedelta
    full_text: str
    reduced_text: str
    full_base: Decimal
    full_dimension: str
    around_dose: tuple[Related, ...]
    around_days: tuple[Days, ...]  # of each of `around_dose` (`related_days`)
    around_series: frozenset[str]  # the series of `around_dose`
    names: dict[tuple[int, int], Named]  # cache: (index in `around_dose`, dose) -> key, title
    needs_parent: bool  # any events hang on the doses
    lower: dict[str, bool]  # cache: recorded amount (as text) -> below the full dose?
    full: Decision  # the decision for a dose no hold touched
    first: tuple[str, Decimal] | None = None  # a loading dose 1 (text, base amount)

    @classmethod
    def of(cls, ctx: Context) -> SeriesPlan:
        """The plan of the context's regimen with the course's options and site settings; the
        same for every course of one regimen with the same choices, so made once for them."""
        options = ctx.options  # all but `until`, which the plan does not depend on
        regimen, settings = ctx.regimen, ctx.settings
        choices = (
            options.interval_days, options.calendar_month, options.precautions,
            ctx.informational, ctx.lean, ctx.pregnancy_test,
        )  # fmt: skip
        # By the regimen's and the settings' identity first: hashing the settings (a frozen
        # dataclass of many fields) for every calendar built cost more than the lookup.
        key = (id(regimen), id(settings), *choices)
        kept = _PLANS.get(key)
        if kept is not None and kept[0] is regimen and kept[1] is settings:
            return kept[2]
        plan = _series_plan(regimen, settings, *choices)
        if len(_PLANS) >= 256:
            _PLANS.clear()
        _PLANS[key] = (regimen, settings, plan)  # kept alive here: their ids stay theirs
        return plan

    @classmethod
    def _make(cls, ctx: Context) -> SeriesPlan:
        regimen, dose, options = ctx.regimen, ctx.regimen.dose, ctx.options
        tests = pregnancy_tests(regimen, ctx.settings) if ctx.pregnancy_test else ()
        around_dose = tuple(
            r
            for r in (*regimen.related, *tests, *regimen.precautions_for(ctx.precaution_variant()))
            if (ctx.informational or r.kind.recordable or (ctx.lean and r.order))
            and (not r.setting or getattr(ctx.settings, r.setting))
        )
        months = 1 if options.calendar_month else 0
        if not options.calendar_month and not options.interval_days:
            months = dose.interval_months
        loading = dose.loading
        return cls(
            months=months,
            interval=timedelta(days=options.interval_days or dose.interval_days),
            before=timedelta(days=ctx.window_before(dose.window)),
            after=timedelta(days=ctx.window_after(dose.window)),
            full_text=str(dose.amount),
            reduced_text=str(dose.reduced),
            full_base=dose.amount.base,
            full_dimension=dose.amount.dimension,
            around_dose=around_dose,
            around_days=tuple(related_days(r) for r in around_dose),
            around_series=frozenset(r.series for r in around_dose),
            names={},
            needs_parent=bool(around_dose) or regimen.ssa is not None,
            lower={},
            full=full_decision(regimen),
            first=(str(loading), loading.base) if loading is not None else None,
        )


_PLANS: dict[tuple[object, ...], tuple[Regimen, Settings, SeriesPlan]] = {}


@lru_cache(maxsize=256)
def _series_plan(
    regimen: Regimen,
    settings: Settings,
    interval_days: int | None,
    calendar_month: bool,
    precautions: str | None,
    informational: bool,
    lean: bool,
    pregnancy_test: bool,
) -> SeriesPlan:
    """The plan for these choices, keyed by their values (a regimen hashes by its id): what a
    course's start, facts and as-of day do not change."""
    options = PlanOptions(interval_days, calendar_month, precautions)
    blank = Context(
        regimen, date.min, FactIndex.from_facts(()), None, options, settings, informational,
        lean=lean, pregnancy_test=pregnancy_test,
    )  # fmt: skip
    return SeriesPlan._make(blank)


@dataclass(slots=True)
class SeriesState:
    """What carries from one dose to the next."""

    anchor: date  # the day the projection counts from
    steps: int = 0  # intervals from the anchor to the next dose
    last_given: date | None = None  # the latest dose given
    pending_before: bool = False  # an earlier dose is neither given nor skipped
    used_holds: set[date] = field(default_factory=set)  # starts of holds applied
    level: Level = field(default_factory=Level)  # the expected amount's level (`modify`)
    decisions: dict[str, Decision] = field(default_factory=dict)  # by dose key
    bridges: int = 0  # bridging SSA injections so far (keys ssa-bridge-1, ...)
    last_ssa_anchor: date | None = None  # where maintenance SSA counts from
    cut_short: bool = False  # a lean calendar stopped before this dose (`_lean_stop`)

    def copy(self) -> SeriesState:
        """A copy that changes apart from this one (`Step`): it shares the level and the holds
        used, which `dose_series` never changes in place (`own_level`; `_apply_hold` makes a
        new set), and has its own decisions."""
        return SeriesState(
            self.anchor, self.steps, self.last_given, self.pending_before, self.used_holds,
            self.level, dict(self.decisions), self.bridges, self.last_ssa_anchor, self.cut_short,
        )  # fmt: skip

    def own_level(self) -> Level:
        """The level, made this state's own before `modify` changes it (a copy may share
        it)."""
        old = self.level
        self.level = Level(
            old.reduced, old.reductions, old.why, old.source, set(old.pending),
            set(old.restarted), set(old.rows), old.given_reduced,
        )  # fmt: skip
        return self.level


class Step(NamedTuple):
    """Where a dose series stood before dose `k`: how many events were built before it
    (`built`) and the state (a copy). A lean calendar keeps one for each dose it came to, so
    that the next one, with one more record, is built again only from the dose that record
    changes (`engine.resume`)."""

    k: int
    built: int
    state: SeriesState
