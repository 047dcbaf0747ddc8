import { Composer } from 'grammy';
import { alertRecipients } from '../alerts/notifier.ts';
import type { Role } from '../config.ts';
import type {
  BrokerGateway,
  BrokerJobName,
  CallOutcome,
  JobData,
  JobResult,
} from '../queue/jobs.ts';
import { callBroker, replyWithOutcome, type FollowUps } from './call-broker.ts';
import { createReplier, type Replier } from './chat-reply.ts';
import { hasRole } from './command-table.ts';
import type { BotContext } from './context.ts';
import type { HandlerDeps } from './handler-deps.ts';
import {
  jobIdFor,
  parseButtonData,
  type Intent,
  type IntentAction,
  type IntentOutcome,
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

    const replier = createReplier(
      ctx.api,
      { chatId: claimed.chatId, threadId: claimed.threadId ?? undefined },
      deps.paper,
      log,
    );
    const acknowledge = () => acknowledgePress(ctx, deps, claimed, outcome);
    if (outcome === 'dismissed') {
      await acknowledge();
      return;
    }
    await execute(deps, replier, claimed, acknowledge);
  });

  return buttons;
}

/**
 * Answers the press and closes the ticket. Both are cosmetic once the
 * intent is claimed: a late press ("query is too old"), a deleted ticket
 * or a flood wait is logged and never stops the action.
 */
async function acknowledgePress(
  ctx: BotContext,
  deps: HandlerDeps,
  intent: Intent,
  outcome: IntentOutcome,
): Promise<void> {
  const log = ctx.log.child({ intent_id: intent.id });
  try {
    await ctx.answerCallbackQuery({
      text: outcome === 'confirmed' ? 'Confirmed' : 'Dismissed',
    });
  } catch (err) {
    log.warn(telegramErrorFields(err), 'button answer failed');
  }
  const messageId = ctx.callbackQuery?.message?.message_id;
  if (messageId === undefined) return;
  try {
    await editHtml(
      ctx.api,
      intent.chatId,
      messageId,
      closedTicket(intent.ticketHtml, outcome),
      { paper: deps.paper, logger: log },
    );
  } catch (err) {
    log.warn(telegramErrorFields(err), 'ticket edit failed');
  }
}

/**
 * Does what the ticket promised. Each job is handed to the gateway before
 * any Telegram call, so nothing Telegram does (a refused answer, a flood
 * wait) can cost the confirmed action; `acknowledge` runs while the job is
 * being added.
 */
async function execute(
  deps: HandlerDeps,
  replier: Replier,
  intent: Intent,
  acknowledge: () => Promise<void>,
): Promise<void> {
  const { gateway, followUps } = deps;
  const jobId = jobIdFor(intent.id);
  const action = intent.action;
  switch (action.kind) {
    case 'place-order': {
      // A halt may have begun after the ticket was shown.
      if (await deps.control.isHalted()) {
        await acknowledge();
        await replier.send(haltedNotice());
        return;
      }
      const call = startCall(
        gateway,
        replier,
        'place-order',
        {
          intentId: intent.id,
          requestedBy: intent.userId,
          request: action.request,
        },
        { jobId },
      );
      await acknowledge();
      await replyWhenDone(replier, followUps, await call, (result) =>
        renderPlaceResult(result, action.request),
      );
      return;
    }
    case 'cancel-order': {
      const call = startCall(
        gateway,
        replier,
        'cancel-order',
        { orderId: action.orderId, requestedBy: intent.userId },
        { jobId },
      );
      await acknowledge();
      await replyWhenDone(replier, followUps, await call, renderCancelResult);
      return;
    }
    case 'panic': {
      // The flag first: it holds even while the queue is slow or down.
      const changed = await deps.control.halt(intent.userId);
      const call = startCall(
        gateway,
        replier,
        'panic',
        { requestedBy: intent.userId },
        { jobId },
      );
      await acknowledge();
      const announced =
        changed && (await announceHalt(deps, replier, intent, 'halted'));
      if (!announced) {
        await sendBestEffort(
          replier,
          changed
            ? '🛑 Trading halted: no new order will be sent. Cancelling open orders…'
            : '🛑 Trading was already halted. Cancelling open orders again…',
          'halt notice not sent',
        );
      }
      await replyWhenDone(replier, followUps, await call, renderPanicReport);
      return;
    }
    case 'resume': {
      const changed = await deps.control.resume(intent.userId);
      await acknowledge();
      const announced =
        changed && (await announceHalt(deps, replier, intent, 'resumed'));
      // The announcement says the same in this chat.
      if (announced) return;
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
 * {@link callBroker}, begun now and awaited later. Marked handled at once:
 * if it fails while the press is being answered, the rejection must not
 * count as unhandled (which ends the process); `await` still throws it.
 */
function startCall<N extends BrokerJobName>(
  gateway: BrokerGateway,
  replier: Replier,
  name: N,
  data: JobData<N>,
  options: { jobId: string },
): Promise<CallOutcome<JobResult<N>> | null> {
  const call = callBroker(gateway, replier, name, data, options);
  call.catch(() => undefined);
  return call;
}

async function replyWhenDone<R>(
  replier: Replier,
  followUps: FollowUps,
  outcome: CallOutcome<R> | null,
  render: (value: R) => string,
): Promise<void> {
  // null: the queue was down and the user has been told.
  if (outcome === null) return;
  await replyWithOutcome(replier, outcome, render, followUps);
}

/** A message that only keeps the user company while the job runs. */
async function sendBestEffort(
  replier: Replier,
  html: string,
  failure: string,
): Promise<void> {
  try {
    await replier.send(html);
  } catch (err) {
    replier.log.warn(telegramErrorFields(err), failure);
  }
}

/**
 * Tells every alert recipient that trading was halted or resumed. Best
 * effort: the change itself is already in force.
 * @returns true when the announcement will also reach the chat the ticket
 *   was confirmed in, which then needs no reply of its own.
 */
async function announceHalt(
  deps: HandlerDeps,
  replier: Replier,
  intent: Intent,
  change: 'halted' | 'resumed',
): Promise<boolean> {
  if (deps.announce === undefined) return false;
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
    return false;
  }
  return alertRecipients(deps.config).includes(intent.chatId);
}
