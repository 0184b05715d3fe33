"""What a hold records: the adverse reaction that caused it and its CTCAE grade, or a cause that
is not a toxicity (the patient's choice, an infection): `other`, with the reason in words."""

from __future__ import annotations

import enum

from schedule.domain.errors import Hint, InputError


class Toxicity(enum.Enum):
    """Adverse reactions as the labels' dose-modification tables name them."""

    THROMBOCYTOPENIA = "thrombocytopenia"
    ANAEMIA = "anaemia"
    NEUTROPENIA = "neutropenia"
    LYMPHOPENIA = "lymphopenia"
    OTHER_HAEMATOLOGICAL = "other-haematological"
    RENAL = "renal"
    HEPATIC = "hepatic"
    XEROSTOMIA = "xerostomia"
    GASTROINTESTINAL = "gastrointestinal"
    OTHER_NON_HAEMATOLOGICAL = "other-non-haematological"
    OTHER = "other"  # not a toxicity: the hold's reason says what


# Spellings a coordinator may type for the same reaction.
_ALIASES = {
    "anemia": Toxicity.ANAEMIA,
    "other-hematological": Toxicity.OTHER_HAEMATOLOGICAL,
    "other-non-hematological": Toxicity.OTHER_NON_HAEMATOLOGICAL,
    "dry-mouth": Toxicity.XEROSTOMIA,
    "liver": Toxicity.HEPATIC,
    "kidney": Toxicity.RENAL,
}
GRADES = range(1, 6)  # CTCAE grades 1 (mild) to 5


def cause_words(toxicity: str | None, grade: int | None) -> str:
    """A hold's toxicity in words, "grade 2 thrombocytopenia"; "" when none was recorded or
    the cause is not a toxicity (`other`: the note says what)."""
    if toxicity is None or toxicity == Toxicity.OTHER.value:
        return ""
    what = toxicity.replace("-", " ")
    return what if grade is None else f"grade {grade} {what}"


def hold_words(toxicity: str | None, grade: int | None, note: str) -> str:
    """A hold's cause and note in words: "grade 2 thrombocytopenia; platelets 60"."""
    return "; ".join(p for p in (cause_words(toxicity, grade), note) if p)


def toxicity_names() -> tuple[str, ...]:
    return tuple(t.value for t in Toxicity)


def parse_toxicity(text: str) -> Toxicity:
    """A toxicity from what was typed: any case, spaces or underscores for hyphens."""
    key = "-".join(text.strip().lower().replace("_", " ").split())
    found = _ALIASES.get(key)
    if found is not None:
        return found
    try:
        return Toxicity(key)
    except ValueError:
        raise InputError(
            f"unknown toxicity {text!r}; choose one of {', '.join(toxicity_names())}",
            field="toxicity",
        ) from None


def check_cause(toxicity: Toxicity | None, grade: int | None) -> None:
    """A toxicity has a CTCAE grade (1 to 5); a cause that is not a toxicity has none."""
    if grade is not None and grade not in GRADES:
        raise InputError(f"grade {grade} is not a CTCAE grade; give 1 to 5", field="grade")
    if toxicity is Toxicity.OTHER and grade is not None:
        raise InputError("a hold for another cause (other) takes no grade", field="grade")
    if toxicity is None:
        if grade is not None:
            raise InputError(
                "a grade belongs to a toxicity", field="grade", hint=Hint.NAME_TOXICITY
            )
        return
    if grade is None:
        raise InputError(
            f"a {toxicity.value} toxicity needs its CTCAE grade",
            field="grade",
            hint=Hint.GIVE_GRADE,
        )
