"""The patient's handout: a printable schedule (PDF or HTML) of what the patient sees in their
calendar, with a timeline picture, a table of dates with what to do, the clinic's contacts and,
when the patient has a feed, the code to scan to get the dates on a phone.

`content.py` gathers what it says, each date with its mark (done, planned, paused, not done;
pure: `today` is passed in); `timeline.py` lays out the picture and `canvas.py` draws it
(Pillow); `pdf.py` (ReportLab) and `html.py` lay the handout out; `fonts.py` finds the fonts
for names in other scripts; `qr.py` draws the code.
"""
