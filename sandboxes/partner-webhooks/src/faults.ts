/**
 * Switchable faults, per partner:
 * - `error`: answer `status` (default 500) without processing, the next `times` deliveries;
 * - `hold`: process the delivery (it counts as received), then hold the answer `holdMs` — longer
 *   than the sender's timeout, so the sender cannot tell it arrived (F19).
 * Without `times`, a fault lasts until cleared.
 */
export type PartnerFault = { kind: 'error'; status: number; times?: number } | { kind: 'hold'; holdMs: number; times?: number };

export class PartnerFaults {
  private readonly faults = new Map<string, { fault: PartnerFault; remaining: number }>();

  set(partner: string, fault: PartnerFault): void {
    this.faults.set(partner, { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clear(partner: string): void {
    this.faults.delete(partner);
  }

  take(partner: string): PartnerFault | undefined {
    const c = this.faults.get(partner);
    if (!c || c.remaining <= 0) return undefined;
    c.remaining -= 1;
    return c.fault;
  }

  describe(): { partner: string; fault: PartnerFault; remaining: number | null }[] {
    return [...this.faults.entries()]
      .filter(([, c]) => c.remaining > 0)
      .map(([partner, c]) => ({ partner, fault: c.fault, remaining: Number.isFinite(c.remaining) ? c.remaining : null }));
  }
}
