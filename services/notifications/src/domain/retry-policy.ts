/** What to do after a failed attempt: wait and try again, or give up (park). */
export type AfterFailure = { park: false; delayMs: number } | { park: true };

/**
 * After attempt n fails, wait schedule[n-1] (±10% jitter, so a partner's backlog does not come
 * back all at once); once the schedule is used up — schedule.length + 1 attempts in all — park.
 * A permanent refusal parks at once.
 */
export function afterFailure(
  attempts: number,
  schedule: readonly number[],
  permanent: boolean,
  random: () => number = Math.random,
): AfterFailure {
  const base = schedule[attempts - 1];
  if (permanent || base === undefined) return { park: true };
  const jitter = 0.9 + 0.2 * random();
  return { park: false, delayMs: Math.max(1, Math.round(base * jitter)) };
}
