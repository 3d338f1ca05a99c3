import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { podState } from './pod-readiness.js';
import { AGENT_DISK, LABELS, machinePod, sessionPolicy } from './pod-spec.js';

const machine = { name: 'web', hostname: 'web', files: [], limits: { memory: 256 * 1024 ** 2, pids: 64, cpu: 100, disk: 512 * 1024 ** 2, network: false } };
const pod = machinePod({
  session: 'ab12',
  machine,
  image: 'registry.example.com/labs/web:1',
  agentImage: 'registry.example.com/ix/agent:9',
  token: 'secret',
  userNamespaces: true,
  lifetimeSeconds: 3600,
});

describe('a machine pod', () => {
  test('runs the author image unchanged, with the agent copied in by an init container', () => {
    const [init] = pod.spec?.initContainers ?? [];
    const [main] = pod.spec?.containers ?? [];
    assert.equal(main?.image, 'registry.example.com/labs/web:1');
    assert.equal(init?.image, 'registry.example.com/ix/agent:9');
    assert.deepEqual(init?.volumeMounts, [{ name: 'ix-agent', mountPath: '/ix-agent' }]);
    assert.match(main?.command?.join(' ') ?? '', /^\/ix-agent\/lib\/ld-linux-x86-64\.so\.2 --library-path \/ix-agent\/lib \/ix-agent\/node /);
    assert.equal(main?.volumeMounts?.[0]?.readOnly, true, 'the machine cannot change its agent');
  });

  test('carries no credentials of the cluster, and root inside is nobody outside', () => {
    assert.equal(pod.spec?.automountServiceAccountToken, false);
    assert.equal(pod.spec?.enableServiceLinks, false);
    assert.equal(pod.spec?.hostUsers, false);
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])])
      assert.ok(!c.securityContext?.privileged, `${c.name} is not privileged`);
  });

  test("has the manifest's limits as resources, a deadline, and is ready when the agent answers", () => {
    const [main] = pod.spec?.containers ?? [];
    // The agent's copy sits on the pod's ephemeral storage too: the limit leaves the learner the whole `disk`.
    assert.deepEqual(main?.resources?.limits, { memory: String(256 * 1024 ** 2), 'ephemeral-storage': String(512 * 1024 ** 2 + AGENT_DISK) });
    assert.equal(pod.spec?.volumes?.find((v) => v.name === 'ix-agent')?.emptyDir?.sizeLimit, String(AGENT_DISK));
    assert.equal(pod.spec?.activeDeadlineSeconds, 3600);
    assert.equal(pod.spec?.restartPolicy, 'Never');
    assert.deepEqual(main?.readinessProbe?.httpGet, { path: '/healthz', port: 7070 });
    assert.equal(pod.metadata?.labels?.[LABELS.session], 'ab12');
  });

  test('a session policy admits its own pods and the gateways, and lets out only to public addresses when asked', () => {
    const closed = sessionPolicy('ab12', { gatewaySelector: { app: 'gw' }, egress: false, owner: { name: 'p', uid: 'u' } });
    assert.deepEqual(closed.spec?.policyTypes, ['Ingress', 'Egress']);
    assert.equal(closed.spec?.egress?.length, 1);
    const open = sessionPolicy('ab12', { gatewaySelector: { app: 'gw' }, egress: true, owner: { name: 'p', uid: 'u' } });
    assert.ok(open.spec?.egress?.[1]?.to?.[0]?.ipBlock?.except?.includes('10.0.0.0/8'));
    assert.equal(closed.metadata?.ownerReferences?.[0]?.uid, 'u', 'removed with the first pod');
  });
});

describe('a pod coming up', () => {
  const withStatus = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, status });

  test('is ready when its containers are, not when it runs', () => {
    assert.deepEqual(podState(withStatus({ phase: 'Running', podIP: '10.1.0.5', conditions: [{ type: 'Ready', status: 'False' }] })), { state: 'waiting' });
    assert.deepEqual(podState(withStatus({ phase: 'Running', podIP: '10.1.0.5', conditions: [{ type: 'Ready', status: 'True' }] })), {
      state: 'ready',
      ip: '10.1.0.5',
    });
  });

  test('fails at once on an image that cannot be pulled, or no node to run on', () => {
    const pull = podState(
      withStatus({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'machine',
            image: 'nope:1',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ErrImagePull', message: 'not found' } },
          },
        ],
      }),
    );
    assert.equal(pull.state, 'failed');
    assert.match(pull.state === 'failed' ? pull.error.message : '', /the image nope:1 cannot be started \(ErrImagePull\): not found/);
    const full = podState(
      withStatus({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: Insufficient memory.' }],
      }),
    );
    assert.match(full.state === 'failed' ? full.error.message : '', /cannot be placed on any node.*Insufficient memory/);
  });
});
