import { Composer, InlineKeyboard } from 'grammy';
import type { Order, PlaceOrderRequest, Side } from '../mstock/types.ts';
import type {
  BrokerGateway,
  BrokerJobName,
  JobData,
  JobResult,
} from '../queue/jobs.ts';
import { replierFor, type Replier } from './chat-reply.ts';
import type { BotContext } from './context.ts';
import { escapeHtml } from './format.ts';
import type { HandlerDeps } from './handler-deps.ts';
import { buttonData, tagFor, type IntentAction } from './intents.ts';
import { parseOrderArgs, parseOrderId } from './parse-args.ts';
import {
  closedOrderNotice,
  haltedNotice,
  renderCancelTicket,
  renderOrderTicket,
  renderPanicTicket,
  renderResumeTicket,
  unknownOrderNotice,
} from './render-tickets.ts';
import { requireRole } from './require-role.ts';

/**
 * Commands that change the account. None acts at once: each stores an
 * intent and shows a ticket with Confirm / Cancel; the button handler
 * does the work (confirm-buttons.ts).
 */

export function tradeCommands(deps: HandlerDeps): Composer<BotContext> {
  const { paper } = deps;
  const commands = new Composer<BotContext>();

  for (const side of ['buy', 'sell'] as const) {
    commands.command(side, requireRole(side, 'trader', paper), async (ctx) => {
      const replier = replierFor(ctx, paper);
      const parsed = parseOrderArgs(side, ctx.match);
      if (!parsed.ok) {
        await replier.send(escapeHtml(parsed.error));
        return;
      }
      // The worker refuses too; answering here saves a pointless ticket.
      if (await deps.control.isHalted()) {
        await replier.send(haltedNotice());
        return;
      }
      const args = parsed.value;
      const id = deps.intents.newId();
      const request: PlaceOrderRequest = {
        exchange: args.instrument.exchange,
        symbol: args.instrument.symbol,
        side: side.toUpperCase() as Side,
        quantity: args.quantity,
        orderType: args.price === undefined ? 'MARKET' : 'LIMIT',
        ...(args.price !== undefined ? { price: args.price } : {}),
        product: args.product,
        tag: tagFor(id),
      };
      const quotes = await readBestEffort(
        deps.gateway,
        replier,
        'quote',
        { instruments: [args.instrument] },
        deps.ticketReadDeadlineMs,
      );
      const quote = quotes?.[0];
      if (quote?.found === false) {
        // The broker answered, and it has no such instrument: a ticket
        // would only lead to a rejected order.
        await replier.send(
          `${escapeHtml(`${args.instrument.exchange}:${args.instrument.symbol}`)} is not a known symbol.`,
        );
        return;
      }
      const lastPrice = quote?.lastPrice ?? null;
      const ticket = renderOrderTicket(
        request,
        lastPrice,
        deps.intents.ttlSeconds,
      );
      await showTicket(ctx, deps, replier, id, ticket, {
        kind: 'place-order',
        request,
      });
    });
  }

  commands.command(
    'cancel',
    requireRole('cancel', 'trader', paper),
    async (ctx) => {
      const replier = replierFor(ctx, paper);
      const parsed = parseOrderId(ctx.match);
      if (!parsed.ok) {
        await replier.send(escapeHtml(parsed.error));
        return;
      }
      const orderId = parsed.value;
      const book = await readBestEffort(
        deps.gateway,
        replier,
        'orders',
        {},
        deps.ticketReadDeadlineMs,
      );
      // Without the book the cancel may still be right: the worker will
      // tell if the order is gone. With it, a typo or a closed order ends
      // here instead of on a ticket.
      const order = book?.find((o) => o.orderId === orderId) ?? null;
      if (book !== null && order === null) {
        await replier.send(unknownOrderNotice(orderId));
        return;
      }
      if (order !== null && !mayBeWorking(order)) {
        await replier.send(closedOrderNotice(order));
        return;
      }
      const id = deps.intents.newId();
      const ticket = renderCancelTicket(
        orderId,
        order,
        deps.intents.ttlSeconds,
      );
      await showTicket(ctx, deps, replier, id, ticket, {
        kind: 'cancel-order',
        orderId,
      });
    },
  );

  commands.command(
    'panic',
    requireRole('panic', 'trader', paper),
    async (ctx) => {
      const replier = replierFor(ctx, paper);
      const orders = await readBestEffort(
        deps.gateway,
        replier,
        'orders',
        {},
        deps.ticketReadDeadlineMs,
      );
      const open =
        orders === null
          ? null
          : orders.filter((o) => o.state === 'open').length;
      // Unknown counts as not halted: the ticket must show even when
      // Redis stumbles, and Confirm halts either way.
      const halted = await deps.control.isHalted().catch((err: unknown) => {
        replier.log.warn({ err }, 'halt flag not read for the ticket');
        return false;
      });
      const id = deps.intents.newId();
      const ticket = renderPanicTicket(open, halted, deps.intents.ttlSeconds);
      await showTicket(ctx, deps, replier, id, ticket, { kind: 'panic' });
    },
  );

  commands.command(
    'resume',
    requireRole('resume', 'admin', paper),
    async (ctx) => {
      const replier = replierFor(ctx, paper);
      const halt = await deps.control.haltInfo();
      if (!halt.halted) {
        await replier.send('Trading is not halted.');
        return;
      }
      const id = deps.intents.newId();
      const ticket = renderResumeTicket(halt, deps.intents.ttlSeconds);
      await showTicket(ctx, deps, replier, id, ticket, { kind: 'resume' });
    },
  );

  return commands;
}

/** Saves the intent first, so a fast press never finds it missing. */
async function showTicket(
  ctx: BotContext,
  deps: HandlerDeps,
  replier: Replier,
  id: string,
  ticketHtml: string,
  action: IntentAction,
): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  await deps.intents.save({
    id,
    userId,
    chatId: replier.target.chatId,
    threadId: replier.target.threadId ?? null,
    action,
    ticketHtml,
    createdAt: deps.now(),
  });
  ctx.log.info({ intent_id: id, action: action.kind }, 'ticket shown');
  const keyboard = new InlineKeyboard()
    .text('✅ Confirm', buttonData('c', id))
    .text('✖️ Cancel', buttonData('x', id));
  await replier.send(ticketHtml, keyboard);
}

/**
 * A read for a ticket's context (LTP, open orders). Whatever goes wrong
 * only leaves the line out: the ticket must not wait on a slow broker.
 */
async function readBestEffort<N extends BrokerJobName>(
  gateway: BrokerGateway,
  replier: Replier,
  name: N,
  data: JobData<N>,
  deadlineMs: number,
): Promise<JobResult<N> | null> {
  try {
    const outcome = await gateway.call(name, data, { deadlineMs });
    if (outcome.status === 'done') return outcome.value;
    if (outcome.status === 'pending') {
      // Nobody waits for it any more; only keep a rejection quiet.
      outcome.settled.catch(() => undefined);
    }
    return null;
  } catch (err) {
    replier.log.warn({ err, job: name }, 'ticket read failed');
    return null;
  }
}

/**
 * Open, or a status word nobody knows (it may be working): either may
 * still be cancelled. Filled, cancelled and rejected orders may not.
 */
function mayBeWorking(order: Order): boolean {
  return order.state === 'open' || order.state === 'unknown';
}
