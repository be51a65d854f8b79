/** The wire shape of a refund (API.md). Refunds of the sandbox succeed at once. */
export interface RefundView {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  status: 'succeeded';
  metadata: Record<string, string>;
  created: number;
}
