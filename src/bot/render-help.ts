import type { Role } from '../config.ts';
import { commandsFor } from './command-table.ts';
import { escapeHtml } from './format.ts';

/** /start and /help: the commands this user's role allows, HTML. */

export function renderHelp(role: Role, mode: 'paper' | 'live'): string {
  const lines = [
    `<b>mStock trading bot</b> · you are ${role === 'admin' ? 'an' : 'a'} <b>${role}</b>`,
    mode === 'paper'
      ? 'Paper mode: orders go to a simulator, not to the exchange.'
      : 'Live mode: orders go to your mStock account.',
    '',
    ...commandsFor(role).map(
      (c) =>
        `/${c.name}${c.args !== '' ? ` ${escapeHtml(c.args)}` : ''}: ${escapeHtml(c.description)}`,
    ),
    '',
    'SYMBOL is INFY, NSE:M&amp;M or BSE:BAJAJ-AUTO (NSE when omitted).',
  ];
  if (role !== 'viewer') {
    lines.push('Orders, cancels and /panic ask for Confirm first.');
  }
  return lines.join('\n');
}

export function unknownCommandHint(): string {
  return 'Unknown command. Send /help for the list.';
}
