import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import {
  startHarness,
  waitFor,
  type Harness,
} from '../support/queue-harness.ts';

async function brokerAlerts(h: Harness): Promise<string[]> {
  const jobs = await h.alertJobs();
  return jobs
    .filter((j) => j.data.event.kind === 'broker')
    .sort((a, b) => a.timestamp - b.timestamp)
    .map((j) => {
      const e = j.data.event;
      return `${j.id} ${e.kind === 'broker' ? e.detail : ''}`;
    });
}

describe('broker status', { timeout: 30_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness('status');
  });
  after(async () => {
    await h.close();
  });

  it('publishes the session and alerts each online/offline flip once', async () => {
    await h.workers.reportBrokerStatus({
      online: true,
      loggedIn: true,
      sessionExpiresAt: 1_900_000_000_000,
      lastError: null,
    });
    const status = await h.control.brokerStatus();
    assert.deepEqual(
      status && [status.online, status.loggedIn, status.sessionExpiresAt],
      [true, true, 1_900_000_000_000],
    );
    assert.deepEqual(await brokerAlerts(h), [], 'starting online is no news');

    const other = await h.addWorkers(); // a second worker process
    const down = { online: false, lastError: 'The broker is not answering.' };
    await h.workers.reportBrokerStatus(down);
    await other.reportBrokerStatus(down);
    await h.workers.reportBrokerStatus(down);
    await other.reportBrokerStatus({ online: true });
    await h.workers.reportBrokerStatus({ online: true });
    await other.close();

    assert.deepEqual(await brokerAlerts(h), [
      'broker-offline-1 The broker is not answering.',
      'broker-online-2 The broker answers again.',
    ]);
    const after = await h.control.brokerStatus();
    assert.deepEqual(after && [after.online, after.loggedIn, after.lastError], [
      true,
      true,
      null,
    ]);
  });

  it('learns the session from failed jobs and alerts a refused login once', async () => {
    const refused = new BrokerError(
      'auth',
      'The broker refused the login; check the TOTP secret.',
    );
    h.client.loggedIn = false;
    h.client.failNext('funds', refused);
    h.client.failNext('funds', refused);
    assert.equal((await h.gateway.call('funds', {})).status, 'failed');
    assert.equal((await h.gateway.call('funds', {})).status, 'failed');

    const status = await h.control.brokerStatus();
    assert.deepEqual(status && [status.loggedIn, status.lastError], [
      false,
      'The broker refused the login; check the TOTP secret.',
    ]);
    const logins = (await h.alertJobs()).filter(
      (j) =>
        j.data.event.kind === 'broker' &&
        j.data.event.change === 'login-failed',
    );
    assert.equal(logins.length, 1);
    h.client.loggedIn = true;
  });

  it('takes status changes through the fire-and-forget hook', async () => {
    h.workers.onStatusTarget({
      online: false,
      loggedIn: true,
      sessionExpiresAt: null,
      lastError: 'Too many failures; pausing broker calls.',
    });
    await waitFor('the offline status', async () => {
      const s = await h.control.brokerStatus();
      return s?.online === false;
    });
    await waitFor('the offline alert', async () =>
      (await brokerAlerts(h)).some((l) =>
        l.endsWith('Too many failures; pausing broker calls.'),
      ),
    );
  });
});
