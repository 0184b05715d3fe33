// Parses calendars with ical.js (the parser behind Thunderbird) and reports what it read.
// Usage: node check.mjs FILE...  Prints one JSON object: {FILE: {calendar, events, problems}}.
// Exit code 1 when a file does not parse or breaks a rule checked here.
import fs from "node:fs";
import ICAL from "ical.js";

function value(prop) {
  if (!prop) return null;
  const v = prop.getFirstValue();
  return v === null || v === undefined ? null : v.toString();
}

function time(prop) {
  if (!prop) return null;
  const t = prop.getFirstValue();
  return {
    text: prop.toICALString(),
    iso: t.toString(),
    isDate: t.isDate,
    utc: t.zone === ICAL.Timezone.utcTimezone,
    tzid: prop.getParameter("tzid") || null,
    unix: t.isDate ? null : t.toUnixTime(),
  };
}

function checkFile(path) {
  const problems = [];
  const text = fs.readFileSync(path, "utf8");
  const root = new ICAL.Component(ICAL.parse(text));
  if (root.name !== "vcalendar") problems.push(`top component is ${root.name}`);
  const zones = new Set(root.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")));
  for (const name of ["version", "prodid"]) {
    if (!root.hasProperty(name)) problems.push(`calendar lacks ${name.toUpperCase()}`);
  }
  const refresh = root.getFirstProperty("refresh-interval");
  const calendar = {
    name: root.getFirstPropertyValue("name"),
    xWrCalname: root.getFirstPropertyValue("x-wr-calname"),
    method: root.getFirstPropertyValue("method"),
    refresh: refresh ? { type: refresh.type, value: value(refresh) } : null,
    publishedTtl: root.getFirstPropertyValue("x-published-ttl"),
  };
  if (calendar.method && calendar.method !== "PUBLISH") problems.push(`METHOD:${calendar.method}`);
  if (refresh && refresh.type !== "duration") problems.push("REFRESH-INTERVAL is not a DURATION");
  const events = [];
  for (const comp of root.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(comp);
    const uid = comp.getFirstPropertyValue("uid");
    for (const name of ["uid", "dtstamp", "dtstart"]) {
      if (!comp.hasProperty(name)) problems.push(`${uid}: lacks ${name.toUpperCase()}`);
    }
    const stamp = comp.getFirstProperty("dtstamp");
    if (stamp && stamp.getFirstValue().zone !== ICAL.Timezone.utcTimezone) {
      problems.push(`${uid}: DTSTAMP is not UTC`);
    }
    for (const name of ["dtstart", "dtend"]) {
      const prop = comp.getFirstProperty(name);
      if (!prop) continue;
      const tzid = prop.getParameter("tzid");
      if (tzid && !zones.has(tzid)) problems.push(`${uid}: TZID ${tzid} without VTIMEZONE`);
      const t = prop.getFirstValue();
      if (!t.isDate && !tzid && t.zone !== ICAL.Timezone.utcTimezone) {
        problems.push(`${uid}: floating ${name.toUpperCase()}`);
      }
    }
    const alarms = comp.getAllSubcomponents("valarm").map((a) => ({
      action: a.getFirstPropertyValue("action"),
      trigger: value(a.getFirstProperty("trigger")),
      description: a.getFirstPropertyValue("description"),
    }));
    for (const alarm of alarms) {
      if (!alarm.action || !alarm.trigger) problems.push(`${uid}: alarm lacks ACTION or TRIGGER`);
      if (alarm.action === "DISPLAY" && !alarm.description) {
        problems.push(`${uid}: DISPLAY alarm lacks DESCRIPTION`);
      }
    }
    events.push({
      uid,
      sequence: event.sequence,
      start: time(comp.getFirstProperty("dtstart")),
      end: time(comp.getFirstProperty("dtend")),
      stamp: value(stamp),
      lastModified: value(comp.getFirstProperty("last-modified")),
      summary: event.summary,
      description: event.description,
      location: event.location,
      status: comp.getFirstPropertyValue("status"),
      transp: comp.getFirstPropertyValue("transp"),
      alarms,
    });
  }
  return { calendar, events, problems };
}

const out = {};
let failed = false;
for (const path of process.argv.slice(2)) {
  try {
    out[path] = checkFile(path);
    if (out[path].problems.length) failed = true;
  } catch (err) {
    out[path] = { error: String(err && err.message ? err.message : err) };
    failed = true;
  }
}
process.stdout.write(JSON.stringify(out));
process.exit(failed ? 1 : 0);
