"""The database schema, as SQLAlchemy Core tables. Only facts are stored, never calendars."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    type_coerce,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", String(32), nullable=False),
)

patients = Table(
    "patients",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("tz", String(64)),
    Column("appt_time", String(5)),
    Column("created_at", String(32), nullable=False),
    Column("lang", String(16)),  # migration 3: the language of what the patient sees
    # migration 4: whether the patient can become pregnant ("yes", "no"; NULL: not known, ask)
    Column("pregnancy", String(8)),
    # migration 5: the reason the patient was entered in error (hidden from every list while
    # set; the audit trail keeps when and by whom it was set or cleared); NULL: stands
    Column("in_error", Text),
)

courses = Table(
    "courses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(64), ForeignKey("patients.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("regimen", String(64), nullable=False),
    Column("start", Date, nullable=False),
    Column("interval_days", Integer),
    Column("calendar_month", Boolean, nullable=False, default=False),
    Column("precautions", String(32)),
    Column("created_at", String(32), nullable=False),
    Column("in_error", Text),  # migration 5: as `patients.in_error`, for one course
    Index("ix_courses_patient", "patient_id", "number", unique=True),
)

# A course's columns in the order of the `Course` dataclass (`rows.course_of`), the start as
# read (SQLite's dates as text, parsed once by `course_of`): every course read selects these.
COURSE_COLUMNS = (
    courses.c.id, courses.c.patient_id, courses.c.number, courses.c.regimen,
    type_coerce(courses.c.start, String), courses.c.interval_days, courses.c.calendar_month,
    courses.c.precautions,
)  # fmt: skip

# Everything recorded against a course. Rows are never updated or deleted: a wrong record is
# answered by a later `entered-in-error` row that names it in `corrects`.
records = Table(
    "records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("course_id", Integer, ForeignKey("courses.id"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("event", String(64)),
    Column("day", Date, nullable=False),
    Column("dose", String(32)),
    Column("note", Text, nullable=False, default=""),
    Column("corrects", Integer, ForeignKey("records.id")),
    Column("recorded_at", String(32), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    # migration 3: a guard a clinician overrode, with the reason; a hold's review day; a
    # discontinuation that also ends the after-course care.
    Column("override", Text),
    Column("review", Date),
    Column("end_care", Boolean),
    # migration 4: a hold's adverse reaction (`toxicity.Toxicity`) and its CTCAE grade
    Column("toxicity", String(32)),
    Column("grade", Integer),
    Index("ix_records_course", "course_id"),
)

# migration 3: the one standing record of each event of a course (given or skipped), enforced by
# the database: a second writer's insert of the same (course, event) fails whatever the timing.
# A correction removes the claim; the records themselves are never changed.
standing = Table(
    "standing",
    metadata,
    Column("course_id", Integer, ForeignKey("courses.id"), primary_key=True),
    Column("event", String(64), primary_key=True),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=False),
)

# Append-only: who changed what, and when.
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("who", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("patient_id", String(64)),
    Column("course_id", Integer),
    Column("record_id", Integer),
    Column("detail", Text, nullable=False),
    Index("ix_audit_patient", "patient_id"),
)

# -- patients' calendars (migration 2) --------------------------------------------------------

# Settings of this database that never change once made, e.g. the namespace hashed into UIDs.
calendar_meta = Table(
    "calendar_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

# What was last published for each calendar event, so that SEQUENCE rises when the event
# changes and never falls. Not a derived calendar: a memory of what patients were sent.
published = Table(
    "published",
    metadata,
    Column("uid", String(64), primary_key=True),
    Column("course_id", Integer, ForeignKey("courses.id"), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("modified_at", String(32), nullable=False),
    Index("ix_published_course", "course_id"),
)

# One number per course that rises whenever any of its published events changes: with the
# records it tells, without building anything, whether a calendar can have changed.
publications = Table(
    "publications",
    metadata,
    Column("course_id", Integer, ForeignKey("courses.id"), primary_key=True, autoincrement=False),
    Column("revision", Integer, nullable=False),
)

# migration 6: what an import of many patients left each course's events to read as, instead
# of a row per event (`published.Mark`): how many times its remembered events were forgotten
# since a write last learned them, the SEQUENCE stored for an event of it without a row (NULL:
# none, it reads as remembered on `day` as it read then, with the site's calendars made as
# `site` says), and when (the time and the day).
forgotten = Table(
    "forgotten",
    metadata,
    Column("course_id", Integer, ForeignKey("courses.id"), primary_key=True, autoincrement=False),
    Column("times", Integer, nullable=False),
    Column("blank", Integer),
    Column("at", String(32), nullable=False),
    Column("day", String(10), nullable=False),
    Column("site", String(32), nullable=False),
)

# Subscription links. Only a hash of each token is kept; a revoked token stays, marked.
feed_tokens = Table(
    "feed_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(64), ForeignKey("patients.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("with_name", Boolean, nullable=False, default=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("revoked_at", String(32)),
    Column("revoked_by", String(64)),
    Index("ix_feed_tokens_patient", "patient_id"),
)
