import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import { FakeBrokerClient } from '../support/fake-broker-client.ts';
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

describe('broker status across worker processes', { timeout: 30_000 }, () => {
  const heartbeat = { heartbeatMs: 200 }; // views live 600 ms

  it('follows the aggregate: online while any worker is, one alert per change', async () => {
    const h = await startHarness('status-agg', { timings: heartbeat });
    try {
      const other = new FakeBrokerClient();
      await h.addWorkers({ client: other });
      await sleep(450); // both views in, both online: no news

      // One worker's detector trips, the other's broker answers.
      h.client.online = false;
      await sleep(1_000); // several heartbeats from each
      assert.deepEqual(await brokerAlerts(h), [], 'no flapping');
      assert.equal((await h.control.brokerStatus())?.online, true);

      other.online = false;
      await waitFor('the offline alert', async () =>
        (await brokerAlerts(h)).some((l) => l.startsWith('broker-offline-')),
      );
      assert.equal((await h.control.brokerStatus())?.online, false);

      h.client.online = true;
      await waitFor('the online alert', async () =>
        (await brokerAlerts(h)).some((l) => l.startsWith('broker-online-')),
      );
      await sleep(600);
      assert.deepEqual(
        (await brokerAlerts(h)).map((l) => l.split(' ')[0]),
        ['broker-offline-1', 'broker-online-2'],
      );
    } finally {
      await h.close();
    }
  });

  it('an explicit offline report is outvoted by a fresh online view', async () => {
    const h = await startHarness('status-vote');
    try {
      const other = await h.addWorkers();
      await other.reportBrokerStatus({ online: true });
      await h.workers.reportBrokerStatus({
        online: false,
        lastError: 'Too many failures; pausing broker calls.',
      });
      assert.deepEqual(await brokerAlerts(h), []);
      const status = await h.control.brokerStatus();
      assert.deepEqual(status && [status.online, status.lastError], [
        true,
        'Too many failures; pausing broker calls.',
      ]);

      // That worker stops cleanly: its view goes with it.
      await other.close();
      await h.workers.reportBrokerStatus({ online: false });
      assert.deepEqual(await brokerAlerts(h), [
        'broker-offline-1 Too many failures; pausing broker calls.',
      ]);
    } finally {
      await h.close();
    }
  });

  it('stops counting a worker that died once its view is stale', async () => {
    const h = await startHarness('status-stale', { timings: heartbeat });
    try {
      const other = new FakeBrokerClient();
      const dying = await h.addWorkers({ client: other });
      await sleep(450);
      h.client.online = false;
      await sleep(500);
      assert.equal((await h.control.brokerStatus())?.online, true);

      await dying.close({ force: true }); // a crash: no goodbye
      await waitFor('the offline alert', async () =>
        (await brokerAlerts(h)).some((l) => l.startsWith('broker-offline-')),
      );
    } finally {
      await h.close();
    }
  });
});
