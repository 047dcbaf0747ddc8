import type { OrderState } from './types.ts';

/**
 * mStock's order statuses are title case and not Kite's: `Pending`,
 * `O-Pending`, `O-Modified`, `Triggered` (a stop fired; still working),
 * `Traded`, `Cancelled`, `O-Cancelled`, `Rejected`. Kite's upper-case words
 * are accepted too in case a build sends them. Anything else stays
 * `unknown`, and the raw word is kept on the order for display.
 */
const STATES: Record<string, OrderState> = {
  pending: 'open',
  'o-pending': 'open',
  open: 'open',
  'open pending': 'open',
  modified: 'open',
  'o-modified': 'open',
  triggered: 'open',
  'trigger pending': 'open',
  'after market order req received': 'open',
  'put order req received': 'open',
  'validation pending': 'open',
  traded: 'filled',
  complete: 'filled',
  completed: 'filled',
  executed: 'filled',
  filled: 'filled',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  'o-cancelled': 'cancelled',
  rejected: 'rejected',
  'o-rejected': 'rejected',
};

export function toOrderState(status: string): OrderState {
  const word = status.trim().toLowerCase().replace(/\s+/g, ' ');
  const known = STATES[word];
  if (known !== undefined) return known;
  // Type B builds spell stops as "... trigger pending" variants.
  if (word.includes('trigger pending')) return 'open';
  return 'unknown';
}
