// Retry schedules such as "0s,5s,5m,30m,2h,5h,10h,10h": the delay before each attempt.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export function parseSchedule(text: string): number[] {
  const delays = text.split(',').map((part) => {
    const match = /^\s*(\d+)(ms|s|m|h)\s*$/.exec(part);
    if (!match) throw new ScheduleError(`"${part}" is not a delay like 0s, 5s, 5m or 2h`);
    return Number(match[1]) * UNITS[match[2]];
  });
  if (!delays.length || delays.length > 50) throw new ScheduleError('a schedule has 1 to 50 delays');
  return delays;
}
