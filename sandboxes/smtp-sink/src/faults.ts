/**
 * Switchable faults of the sink (F19: "e-mail times out after receiving"). Each one strikes
 * after the whole message has been received and stored, so the sender does not learn that
 * it arrived:
 * - `drop_after_accept`: the connection is cut instead of the final 250 reply;
 * - `hold_after_accept`: the final reply is held `holdMs` (longer than the sender's timeout).
 * `times` faults the next n messages, then the sink answers normally again; without it, every
 * message until the fault is cleared.
 */
export type SmtpFault = { kind: 'drop_after_accept'; times?: number } | { kind: 'hold_after_accept'; holdMs: number; times?: number };

export class SmtpFaults {
  private current: { fault: SmtpFault; remaining: number } | undefined;

  set(fault: SmtpFault): void {
    this.current = { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
  }

  clear(): void {
    this.current = undefined;
  }

  /** The fault to apply to the message just received, if any (counts it down). */
  take(): SmtpFault | undefined {
    const c = this.current;
    if (!c || c.remaining <= 0) return undefined;
    c.remaining -= 1;
    return c.fault;
  }

  describe(): { fault: SmtpFault | null; remaining: number | null } {
    const c = this.current;
    if (!c || c.remaining <= 0) return { fault: null, remaining: null };
    return { fault: c.fault, remaining: Number.isFinite(c.remaining) ? c.remaining : null };
  }
}
