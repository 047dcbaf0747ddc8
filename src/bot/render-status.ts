import type { BrokerStatus, HaltInfo } from '../queue/control-state.ts';
import type { QueueDepth } from '../queue/jobs.ts';
import {
  escapeHtml,
  formatDuration,
  formatIstDateTime,
  formatIstUntil,
  tidyBrokerText,
} from './format.ts';

/** The /status reply. Each part may be missing when its read failed. */

export interface StatusView {
  mode: 'paper' | 'live';
  halt: HaltInfo | null;
  broker: BrokerStatus | null;
  depth: QueueDepth | null;
  /** Epoch ms, for "expires in" and "seen … ago". */
  now: number;
}

function haltLine(halt: HaltInfo | null): string {
  if (halt === null) return 'Trading: unknown (could not read the halt flag)';
  if (!halt.halted) return 'Trading: ▶️ active';
  const who = halt.by !== null ? ` by ${halt.by}` : '';
  const when = halt.at !== null ? ` since ${formatIstDateTime(halt.at)}` : '';
  return `Trading: 🛑 <b>HALTED</b>${who}${when} (an admin can /resume)`;
}

/** A worker refreshes the broker status at least this often while alive. */
const STALE_REPORT_MS = 2 * 60_000;

function brokerLine(broker: BrokerStatus | null, now: number): string {
  if (broker === null) {
    return 'Broker: no report from a worker yet (is the worker running?)';
  }
  const online = broker.online ? '🟢 online' : '🔴 offline';
  const session = broker.loggedIn ? 'logged in' : 'not logged in';
  const expiry =
    broker.loggedIn && broker.sessionExpiresAt !== null
      ? `, session valid until ${formatIstUntil(broker.sessionExpiresAt)} (${formatDuration(broker.sessionExpiresAt - now)} left)`
      : '';
  // Only an old report is news: then the line above may be out of date.
  const stale =
    broker.updatedAt !== null && now - broker.updatedAt > STALE_REPORT_MS
      ? `\n  ⚠️ no worker has reported for ${formatDuration(now - broker.updatedAt)}`
      : '';
  const error =
    broker.lastError !== null
      ? `\n  last error: ${escapeHtml(tidyBrokerText(broker.lastError))}`
      : '';
  return `Broker: ${online}, ${session}${expiry}${stale}${error}`;
}

/**
 * Jobs not done yet, waiting or running. Delayed jobs are left out: the
 * count cannot tell a retry's pause from a scheduled job, which is no work.
 */
function queueLine(depth: QueueDepth | null): string {
  if (depth === null) return 'Queue: unavailable';
  const jobs = depth.waiting + depth.active;
  if (jobs === 0) return 'Queue: no jobs waiting';
  return `Queue: ${jobs} job${jobs === 1 ? '' : 's'} waiting`;
}

export function renderStatus(view: StatusView): string {
  return [
    '<b>Status</b>',
    view.mode === 'paper'
      ? 'Mode: 📝 PAPER (built-in simulator, no real orders)'
      : 'Mode: ⚡ LIVE (real orders on mStock)',
    haltLine(view.halt),
    brokerLine(view.broker, view.now),
    queueLine(view.depth),
  ].join('\n');
}
