import { Composer } from 'grammy';
import type { JobResult } from '../queue/jobs.ts';
import { callAndReply } from './call-broker.ts';
import { replierFor } from './chat-reply.ts';
import type { BotContext } from './context.ts';
import { escapeHtml } from './format.ts';
import type { HandlerDeps } from './handler-deps.ts';
import { parseSymbols, splitArgs } from './parse-args.ts';
import { renderHelp } from './render-help.ts';
import { renderQuotes } from './render-market.ts';
import { renderOrders } from './render-orders.ts';
import {
  renderFunds,
  renderHoldings,
  renderPositions,
} from './render-portfolio.ts';
import { renderStatus } from './render-status.ts';
import { requireRole } from './require-role.ts';

/** Commands that only read: help, quotes, funds, holdings, orders, status. */
export function readCommands(deps: HandlerDeps): Composer<BotContext> {
  const { gateway, followUps, paper } = deps;
  const commands = new Composer<BotContext>();

  commands.command(['start', 'help'], async (ctx) => {
    const role = ctx.auth?.role ?? 'viewer';
    await replierFor(ctx, paper).send(renderHelp(role, deps.config.mode));
  });

  commands.command(
    ['quote', 'ltp'],
    requireRole('quote', 'viewer', paper),
    async (ctx) => {
      const replier = replierFor(ctx, paper);
      const parsed = parseSymbols(ctx.match);
      if (!parsed.ok) {
        await replier.send(escapeHtml(parsed.error));
        return;
      }
      await callAndReply(
        gateway,
        replier,
        followUps,
        'quote',
        { instruments: parsed.value },
        renderQuotes,
      );
    },
  );

  /** A whole-account read without arguments: one job, one reply. */
  const accountRead = <N extends 'funds' | 'holdings' | 'positions'>(
    name: N,
    render: (value: JobResult<N>) => string,
  ) =>
    commands.command(name, requireRole(name, 'viewer', paper), async (ctx) => {
      await callAndReply<N>(
        gateway,
        replierFor(ctx, paper),
        followUps,
        name,
        {},
        render,
      );
    });
  accountRead('funds', renderFunds);
  accountRead('holdings', renderHoldings);
  accountRead('positions', renderPositions);

  commands.command(
    'orders',
    requireRole('orders', 'viewer', paper),
    async (ctx) => {
      const replier = replierFor(ctx, paper);
      const args = splitArgs(ctx.match).map((a) => a.toLowerCase());
      const onlyOpen = args[0] === 'open';
      if (args.length > 1 || (args.length === 1 && !onlyOpen)) {
        await replier.send('Usage: /orders, or /orders open');
        return;
      }
      await callAndReply(gateway, replier, followUps, 'orders', {}, (orders) =>
        renderOrders(orders, onlyOpen),
      );
    },
  );

  commands.command(
    'status',
    requireRole('status', 'viewer', paper),
    async (ctx) => {
      // Each part is read on its own: a dead queue must not hide the halt.
      const [halt, broker, depth] = await Promise.allSettled([
        deps.control.haltInfo(),
        deps.control.brokerStatus(),
        gateway.depth(),
      ]);
      for (const part of [halt, broker, depth]) {
        if (part.status === 'rejected') {
          ctx.log.warn({ err: part.reason as unknown }, 'status part failed');
        }
      }
      await replierFor(ctx, paper).send(
        renderStatus({
          mode: deps.config.mode,
          halt: halt.status === 'fulfilled' ? halt.value : null,
          broker: broker.status === 'fulfilled' ? broker.value : null,
          depth: depth.status === 'fulfilled' ? depth.value : null,
          now: deps.now(),
        }),
      );
    },
  );

  return commands;
}
