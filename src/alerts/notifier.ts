import type { Api } from 'grammy';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type {
  AlertJobData,
  DeliverAlert,
  DeliveryReport,
} from '../queue/jobs.ts';
import { renderAlert } from '../bot/render-alert.ts';
import { sendHtml } from '../bot/send-html.ts';
import {
  classifySendError,
  telegramErrorFields,
} from '../bot/telegram-errors.ts';

/**
 * Delivers one alert to every recipient and says, per chat, whether it
 * arrived, is worth another try, or never will. One bad chat never stops
 * the others and never throws: the alert job decides what to retry.
 */

export interface NotifierDeps {
  /**
   * Sends the messages: `alertApiOf(bot)`, or any `Api` set up with
   * `installApiSafety(api, ALERT_API_SAFETY)`. Its own retries must stay
   * short: the alert job is the one layer that retries (with backoff,
   * across restarts), so whatever still fails is reported as `retry`
   * here instead of being waited out in the worker.
   */
  api: Api;
  config: Config;
  logger: Logger;
}

/**
 * ALERT_CHAT_IDS plus each trader and admin in private; viewers ask, they
 * are not paged. Each chat once, in a stable order.
 */
export function alertRecipients(config: Config): number[] {
  const chats = [
    ...config.telegram.alertChatIds,
    ...config.telegram.users
      .filter((u) => u.role === 'trader' || u.role === 'admin')
      .map((u) => u.id),
  ];
  return [...new Set(chats)];
}

export function createNotifier(deps: NotifierDeps): DeliverAlert {
  const { api, config } = deps;
  const logger = deps.logger.child({ part: 'notifier' });

  return async (alert: AlertJobData, skipChats: number[]) => {
    const html = renderAlert(alert);
    const paper = alert.mode === 'paper';
    const skip = new Set(skipChats);
    const chats = alertRecipients(config).filter((id) => !skip.has(id));
    const report: DeliveryReport = { delivered: [], retry: [], dropped: [] };

    // In parallel: the throttler spaces sends per chat, and a chat that
    // waits out a flood limit does not hold up the others.
    const outcomes = await Promise.all(
      chats.map(async (chatId) => {
        try {
          await sendHtml(api, { chatId }, html, { paper, logger });
          return { chatId, outcome: 'delivered' as const };
        } catch (err) {
          // TODO(alerts): a group upgraded to a supergroup answers 400 with
          // migrate_to_chat_id; it is dropped until ALERT_CHAT_IDS is
          // updated. Resend to the new id once the config can follow it.
          const outcome = classifySendError(err);
          const fields = {
            chat_id: chatId,
            alert: alert.event.kind,
            ...telegramErrorFields(err),
          };
          if (outcome === 'drop') logger.warn(fields, 'alert dropped for chat');
          else logger.info(fields, 'alert to retry for chat');
          return { chatId, outcome };
        }
      }),
    );

    for (const { chatId, outcome } of outcomes) {
      if (outcome === 'delivered') report.delivered.push(chatId);
      else if (outcome === 'retry') report.retry.push(chatId);
      else report.dropped.push(chatId);
    }
    logger.debug(
      {
        alert: alert.event.kind,
        delivered: report.delivered.length,
        retry: report.retry.length,
        dropped: report.dropped.length,
      },
      'alert delivered',
    );
    return report;
  };
}
