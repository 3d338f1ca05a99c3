import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { eventEnd, podEnd, readerProgress } from './pod-readiness.js';

const ended = (status: V1Pod['status'], metadata: V1Pod['metadata'] = {}): V1Pod => ({ metadata: { name: 'ix-s-main', ...metadata }, status });
const machine = (terminated: { exitCode: number; reason?: string; message?: string }) => [
  { name: 'machine', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated } },
];

describe('how a session pod ended', () => {
  test('a live pod has not ended', () => {
    assert.equal(podEnd(ended({ phase: 'Running' })), undefined);
  });

  test("the agent's own end reason, from its termination message", () => {
    assert.deepEqual(podEnd(ended({ phase: 'Succeeded', containerStatuses: machine({ exitCode: 0, message: 'expired' }) })), { reason: 'expired' });
  });

  test('an eviction, memory, the lifetime and a deletion each say what the cluster did', () => {
    const evicted = podEnd(
      ended({ phase: 'Failed', reason: 'Evicted', message: 'Pod ephemeral local storage usage exceeds the total limit of containers 256Mi.' }),
    );
    assert.equal(evicted?.reason, 'error');
    assert.match(evicted?.message ?? '', /evicted the machine: Pod ephemeral local storage usage exceeds/);
    assert.deepEqual(podEnd(ended({ phase: 'Failed', containerStatuses: machine({ exitCode: 137, reason: 'OOMKilled' }) })), {
      reason: 'error',
      message: 'the machine ran out of memory and was stopped',
    });
    assert.deepEqual(podEnd(ended({ phase: 'Failed', reason: 'DeadlineExceeded' })), { reason: 'expired' });
    assert.match(podEnd(ended({ phase: 'Running' }, { deletionTimestamp: new Date() }))?.message ?? '', /deleted/);
    // A termination message that is not an end reason is not taken for one.
    assert.equal(podEnd(ended({ phase: 'Succeeded', containerStatuses: machine({ exitCode: 0, message: 'rm -rf /' }) }))?.reason, 'error');
  });
});

describe("pods' events in the reader's words", () => {
  const event = (reason: string, message: string, container = 'machine'): CoreV1Event =>
    ({ reason, message, involvedObject: { fieldPath: `spec.containers{${container}}` }, metadata: {} }) as CoreV1Event;

  test("pulls, placement and start are told without the cluster's names", () => {
    assert.equal(readerProgress(event('Scheduled', 'Successfully assigned default/ix-s-main to node-7')), 'a node was found for the machine');
    assert.equal(readerProgress(event('Pulling', 'Pulling image "registry.example/labs/docker:1"')), 'downloading the image registry.example/labs/docker:1');
    assert.equal(readerProgress(event('Pulling', 'Pulling image "agent:1"', 'ix-agent')), 'fetching the playground agent');
    assert.equal(readerProgress(event('Started', 'Started container machine')), 'the machine is starting');
    assert.equal(readerProgress(event('Killing', 'Stopping container machine')), undefined);
  });
});

describe("an end the pod's status does not record", () => {
  test('the latest eviction event says it; other events do not', () => {
    const at = (reason: string, message: string, time: string) =>
      ({ reason, message, lastTimestamp: new Date(time), involvedObject: {}, metadata: {} }) as CoreV1Event;
    assert.equal(eventEnd([at('Killing', 'Stopping container machine', '2026-01-01T00:00:02Z')]), undefined);
    assert.deepEqual(
      eventEnd([
        at('Evicted', 'The node was low on resource: memory.', '2026-01-01T00:00:01Z'),
        at('Evicted', 'Pod ephemeral local storage usage exceeds the total limit of containers 234881024.', '2026-01-01T00:00:03Z'),
        at('Killing', 'Stopping container machine', '2026-01-01T00:00:04Z'),
      ]),
      { reason: 'error', message: 'the cluster evicted the machine: Pod ephemeral local storage usage exceeds the total limit of containers 234881024.' },
    );
  });
});
