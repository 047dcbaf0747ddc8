import type { Role } from '../config.ts';

/**
 * The command contract (DESIGN.md): names, who may use each, and the
 * one-line description shown by /help and in Telegram's command menu.
 */

export interface CommandSpec {
  /** Lower case, without the slash. */
  name: string;
  role: Role;
  /** Usage after the command name, for /help. */
  args: string;
  description: string;
}

const RANK: Record<Role, number> = { viewer: 0, trader: 1, admin: 2 };

/** True when `role` is at least `needed` (viewer < trader < admin). */
export function hasRole(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'help',
    role: 'viewer',
    args: '',
    description: 'What this bot can do for you',
  },
  {
    name: 'quote',
    role: 'viewer',
    args: 'SYMBOL…',
    description: 'Last price, day range and change',
  },
  {
    name: 'ltp',
    role: 'viewer',
    args: 'SYMBOL…',
    description: 'Same as /quote',
  },
  {
    name: 'funds',
    role: 'viewer',
    args: '',
    description: 'Available cash and used margin',
  },
  {
    name: 'holdings',
    role: 'viewer',
    args: '',
    description: 'Holdings with P&L',
  },
  {
    name: 'positions',
    role: 'viewer',
    args: '',
    description: "Today's net positions with P&L",
  },
  {
    name: 'orders',
    role: 'viewer',
    args: '[open]',
    description: "Today's orders",
  },
  {
    name: 'status',
    role: 'viewer',
    args: '',
    description: 'Mode, halt, broker session, queue',
  },
  {
    name: 'buy',
    role: 'trader',
    args: 'SYMBOL QTY [PRICE] [CNC|MIS]',
    description: 'Buy (no price: market order), after Confirm',
  },
  {
    name: 'sell',
    role: 'trader',
    args: 'SYMBOL QTY [PRICE] [CNC|MIS]',
    description: 'Sell (no price: market order), after Confirm',
  },
  {
    name: 'cancel',
    role: 'trader',
    args: 'ORDER_ID',
    description: 'Cancel one open order, after Confirm',
  },
  {
    name: 'panic',
    role: 'trader',
    args: '',
    description: 'Halt trading and cancel every open order',
  },
  {
    name: 'resume',
    role: 'admin',
    args: '',
    description: 'Lift the trading halt',
  },
];

export function commandsFor(role: Role): CommandSpec[] {
  return COMMANDS.filter((c) => hasRole(role, c.role));
}
