/** Dates and times in emails and pages: in the library's time zone, as people read them. */

const LONG_DAY = { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' } as const;
const MOMENT = { ...LONG_DAY, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } as const;

/**
 * Each formatter made once per time zone and kept: making one loads the zone's ICU data, which cost
 * more than everything else a staff task's email does (a CPU profile of the fan-out benchmark).
 */
const made = new Map<string, Intl.DateTimeFormat>();
function formatter(kind: 'day' | 'moment', timezone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timezone}`;
  let f = made.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, ...(kind === 'day' ? LONG_DAY : MOMENT) });
    made.set(key, f);
  }
  return f;
}

/** A date as people read it, in the library's time zone: "Tuesday, January 12, 2027". */
export const readableDate = (iso: string, timezone: string): string => formatter('day', timezone).format(new Date(iso));

/**
 * A moment as people read it, in the library's time zone and naming it: "Tuesday, December 1, 2026
 * at 10:43 AM EST". Link expiries were shown as ISO instants in UTC, which a patron cannot read.
 */
export const readableMoment = (iso: string, timezone: string): string =>
  formatter('moment', timezone).format(new Date(iso));
