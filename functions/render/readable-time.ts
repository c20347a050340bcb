/** Dates and times in emails and pages: in the library's time zone, as people read them. */

const LONG_DAY = { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' } as const;

/** A date as people read it, in the library's time zone: "Tuesday, January 12, 2027". */
export const readableDate = (iso: string, timezone: string): string =>
  new Intl.DateTimeFormat('en-US', { timeZone: timezone, ...LONG_DAY }).format(new Date(iso));

/**
 * A moment as people read it, in the library's time zone and naming it: "Tuesday, December 1, 2026
 * at 10:43 AM EST". Link expiries were shown as ISO instants in UTC, which a patron cannot read.
 */
export const readableMoment = (iso: string, timezone: string): string =>
  new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    ...LONG_DAY,
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(iso));
