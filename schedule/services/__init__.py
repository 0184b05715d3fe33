"""The use cases: one function per job, called alike by the command line and the feed server's
page, so that each job is assembled in exactly one place. Each takes the store (or the reader
the lists use) and plain values (the as-of day, the settings, the catalog, the options) and
returns data for its caller to render; none reads the clock or prints.

- `handout`: a patient's printable schedule (`prrt handout`, the patient's page).
- `report`: the clinic's report of a span of months (`prrt report`).
- `worklists`: the lists across all patients (`due`, `missed`, `days`, `patient list`).
- `imports`: the roster and the doses from CSV (`import roster`, `import doses`).
"""
