"""Patients' calendars: the iCalendar writer, what each event says, publishing, feeds."""
