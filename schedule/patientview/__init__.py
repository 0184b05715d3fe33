"""What the patient is told about each event, wherever it is shown (the calendar, the feed,
the page, the printed handout): which dates stay put while nothing new is known (`settled`),
the discreet or plain titles (`titles`), the patient's words for an event (`wording`), the
usual appointment time (`appointment`) and the links a patient is given (`links`).

Below both `calendars` and `handout`: it imports neither.
"""
