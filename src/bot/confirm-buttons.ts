import { Composer } from 'grammy';
import type { Role } from '../config.ts';
import { callAndReply } from './call-broker.ts';
import { createReplier, type Replier } from './chat-reply.ts';
import { hasRole } from './command-table.ts';
import type { BotContext } from './context.ts';
import type { HandlerDeps } from './handler-deps.ts';
import {
  jobIdFor,
  parseButtonData,
  type Intent,
  type IntentAction,
} from './intents.ts';
import {
  renderCancelResult,
  renderPanicReport,
  renderPlaceResult,
} from './render-orders.ts';
import { closedTicket, haltedNotice } from './render-tickets.ts';
import { editHtml } from './send-html.ts';
import { telegramErrorFields } from './telegram-errors.ts';

/**
 * Confirm / Cancel presses on tickets. A press acts only when it is the
 * ticket owner's, the ticket is still open, the owner's role still allows
 * the action, and this press is the one that claimed the intent.
 */

export const EXPIRED_ANSWER =
  'This confirmation expired; send the command again.';
export const NOT_YOURS_ANSWER = 'This button is not yours.';

const ROLE_FOR: Record<IntentAction['kind'], Role> = {
  'place-order': 'trader',
  'cancel-order': 'trader',
  panic: 'trader',
  resume: 'admin',
};

export function confirmButtons(deps: HandlerDeps): Composer<BotContext> {
  const buttons = new Composer<BotContext>();

  buttons.on('callback_query:data', async (ctx) => {
    const press = parseButtonData(ctx.callbackQuery.data);
    if (press === null) {
      await ctx.answerCallbackQuery({ text: EXPIRED_ANSWER });
      return;
    }
    const log = ctx.log.child({ intent_id: press.id });

    const intent = await deps.intents.peek(press.id);
    if (intent === null) {
      const closed = await deps.intents.outcomeOf(press.id);
      await ctx.answerCallbackQuery({
        text:
          closed === 'confirmed'
            ? 'Already confirmed.'
            : closed === 'dismissed'
              ? 'Already dismissed.'
              : EXPIRED_ANSWER,
      });
      return;
    }
    if (intent.userId !== ctx.from.id) {
      log.warn('press on a ticket of another user');
      await ctx.answerCallbackQuery({ text: NOT_YOURS_ANSWER });
      return;
    }
    const needed = ROLE_FOR[intent.action.kind];
    const role = ctx.auth?.role;
    if (role === undefined || !hasRole(role, needed)) {
      log.warn({ role }, 'press refused for role');
      await ctx.answerCallbackQuery({
        text: `This needs the ${needed} role.`,
      });
      return;
    }

    const outcome = press.kind === 'c' ? 'confirmed' : 'dismissed';
    const claimed = await deps.intents.claim(press.id, outcome);
    if (claimed === null) {
      // Another press (maybe on another bot process) got there first.
      await ctx.answerCallbackQuery({ text: 'Already handled.' });
      return;
    }
    log.info({ action: claimed.action.kind, outcome }, 'ticket closed');
    await ctx.answerCallbackQuery({
      text: outcome === 'confirmed' ? 'Confirmed' : 'Dismissed',
    });

    const replier = createReplier(
      ctx.api,
      { chatId: claimed.chatId, threadId: claimed.threadId ?? undefined },
      deps.paper,
      log,
    );
    const messageId = ctx.callbackQuery.message?.message_id;
    if (messageId !== undefined) {
      // The ticket loses its buttons either way; failing to edit it
      // (too old, deleted) must not stop the action.
      await editHtml(
        ctx.api,
        claimed.chatId,
        messageId,
        closedTicket(claimed.ticketHtml, outcome),
        { paper: deps.paper, logger: log },
      ).catch((err: unknown) => {
        log.warn(telegramErrorFields(err), 'ticket edit failed');
      });
    }
    if (outcome === 'confirmed') await execute(deps, replier, claimed);
  });

  return buttons;
}

async function execute(
  deps: HandlerDeps,
  replier: Replier,
  intent: Intent,
): Promise<void> {
  const { gateway, followUps } = deps;
  const jobId = jobIdFor(intent.id);
  const action = intent.action;
  switch (action.kind) {
    case 'place-order': {
      // A halt may have begun after the ticket was shown.
      if (await deps.control.isHalted()) {
        await replier.send(haltedNotice());
        return;
      }
      await callAndReply(
        gateway,
        replier,
        followUps,
        'place-order',
        {
          intentId: intent.id,
          requestedBy: intent.userId,
          request: action.request,
        },
        (result) => renderPlaceResult(result, action.request),
        { jobId },
      );
      return;
    }
    case 'cancel-order':
      await callAndReply(
        gateway,
        replier,
        followUps,
        'cancel-order',
        { orderId: action.orderId, requestedBy: intent.userId },
        renderCancelResult,
        { jobId },
      );
      return;
    case 'panic':
      // The flag first: it holds even while the queue is slow or down.
      if (await deps.control.halt(intent.userId)) {
        await announceHalt(deps, replier, intent, 'halted');
      }
      await replier.send(
        '🛑 Trading halted: no new order will be sent. Cancelling open orders…',
      );
      await callAndReply(
        gateway,
        replier,
        followUps,
        'panic',
        { requestedBy: intent.userId },
        renderPanicReport,
        { jobId },
      );
      return;
    case 'resume': {
      const changed = await deps.control.resume(intent.userId);
      if (changed) await announceHalt(deps, replier, intent, 'resumed');
      await replier.send(
        changed
          ? '▶️ Trading resumed: new orders are allowed again.'
          : 'Trading was not halted; nothing changed.',
      );
      return;
    }
  }
}

/**
 * Tells every alert recipient that trading was halted or resumed. Best
 * effort: the change itself is already in force and this chat hears of it
 * anyway.
 */
async function announceHalt(
  deps: HandlerDeps,
  replier: Replier,
  intent: Intent,
  change: 'halted' | 'resumed',
): Promise<void> {
  if (deps.announce === undefined) return;
  try {
    await deps.announce(
      {
        event: { kind: 'halt', change, by: intent.userId },
        mode: deps.config.mode,
        at: deps.now(),
      },
      `${change === 'halted' ? 'halt' : 'resume'}-${intent.id}`,
    );
  } catch (err) {
    replier.log.warn({ err, change }, 'halt alert not published');
  }
}
