import type { BrokerStatus, HaltInfo } from '../queue/control-state.ts';
import type { QueueDepth } from '../queue/jobs.ts';
import {
  escapeHtml,
  formatDuration,
  formatIstDateTime,
  formatIstTime,
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

function brokerLine(broker: BrokerStatus | null, now: number): string {
  if (broker === null) {
    return 'Broker: no report from a worker yet (is the worker running?)';
  }
  const online = broker.online ? '🟢 online' : '🔴 offline';
  const session = broker.loggedIn ? 'logged in' : 'not logged in';
  const expiry =
    broker.loggedIn && broker.sessionExpiresAt !== null
      ? `, session until ${formatIstTime(broker.sessionExpiresAt)} (${formatDuration(broker.sessionExpiresAt - now)} left)`
      : '';
  const seen =
    broker.updatedAt !== null
      ? `\n  last report ${formatDuration(now - broker.updatedAt)} ago`
      : '';
  const error =
    broker.lastError !== null
      ? `\n  last error: ${escapeHtml(broker.lastError)}`
      : '';
  return `Broker: ${online}, ${session}${expiry}${seen}${error}`;
}

function queueLine(depth: QueueDepth | null): string {
  if (depth === null) return 'Queue: unavailable';
  return `Queue: ${depth.waiting} waiting, ${depth.active} running, ${depth.delayed} delayed`;
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
