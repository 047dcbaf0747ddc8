import type { BrokerClient } from '../../mstock/types.ts';
import { jobDataSchemas, type BrokerJobName, type JobResult } from '../jobs.ts';

/**
 * Read jobs: validate, call the client, return what it returned. The
 * client retries reads itself; a failed read is safe to run again.
 */

export const READ_JOB_NAMES = [
  'quote',
  'funds',
  'holdings',
  'positions',
  'orders',
] as const satisfies readonly BrokerJobName[];

export type ReadJobName = (typeof READ_JOB_NAMES)[number];

export function isReadJob(name: string): name is ReadJobName {
  return (READ_JOB_NAMES as readonly string[]).includes(name);
}

export async function runRead(
  client: BrokerClient,
  name: ReadJobName,
  rawData: unknown,
): Promise<JobResult<ReadJobName>> {
  switch (name) {
    case 'quote': {
      const data = jobDataSchemas.quote.parse(rawData);
      return client.quotes(data.instruments);
    }
    case 'funds':
      jobDataSchemas.funds.parse(rawData);
      return client.funds();
    case 'holdings':
      jobDataSchemas.holdings.parse(rawData);
      return client.holdings();
    case 'positions':
      jobDataSchemas.positions.parse(rawData);
      return client.positions();
    case 'orders':
      jobDataSchemas.orders.parse(rawData);
      return client.orders();
  }
}
