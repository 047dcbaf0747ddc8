import type { Config } from '../config.ts';
import type { ControlState } from '../queue/control-state.ts';
import type { AlertJobData, BrokerGateway } from '../queue/jobs.ts';
import type { FollowUps } from './call-broker.ts';
import type { IntentStore } from './intents.ts';

/** What the command and button handlers share, built once per bot. */
export interface HandlerDeps {
  config: Config;
  gateway: BrokerGateway;
  control: ControlState;
  intents: IntentStore;
  followUps: FollowUps;
  /** Epoch ms. */
  now: () => number;
  paper: boolean;
  /** Deadline for the best-effort reads a ticket shows (LTP, open count). */
  ticketReadDeadlineMs: number;
  /** Publishes an alert to every recipient; see BotDeps.announce. */
  announce: ((alert: AlertJobData, id: string) => Promise<void>) | undefined;
}
