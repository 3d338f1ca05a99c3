// The operator's path, on the real test cluster: deploy/kubernetes applied as docs/kubernetes.md
// says (its images and secret set), two gateway replicas come up with only the Role's rights,
// and through the Service a reader gets a shell in a pod whose task ticks; deleting the replica
// the reader is attached to leaves it on the same shell. Nothing of the test is left.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { connect } from '@ix-playground/sdk';
import { until } from '../harness.mjs';
import { testImages } from './images.mjs';

const skip = (!process.env.KUBECONFIG || !process.env.IX_K8S_REGISTRY) && 'needs the test cluster: npm run test:k8s';
const namespace = 'ix-playground';
const kubectl = (...args) => execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const kubectlIn = (input, ...args) => execFileSync('kubectl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
let gateway;

/** The gateways' pods and what they say, for a failure's message. */
function gatewayLogs() {
  try {
    return kubectl('logs', '-n', namespace, '-l', 'app.kubernetes.io/managed-by=ix-playground-gateway', '--tail=40', '--prefix');
  } catch (error) {
    return String(error.stderr ?? error);
  }
}

before(async () => {
  if (skip) return;
  const { agent, machine } = testImages();
  // As docs/kubernetes.md says: the namespace and the gateways' secret first, then the manifests with your images.
  const manifests = kubectl('kustomize', 'deploy/kubernetes')
    .replaceAll('registry.example.com/ix-playground/agent:latest', agent)
    .replaceAll('registry.example.com/library/debian:bookworm', machine);
  assert.ok(manifests.includes(agent), 'the kustomization names the image to replace');
  kubectlIn(
    manifests.split('\n---\n').find((doc) => /kind: Namespace/.test(doc)),
    'apply',
    '-f',
    '-',
  );
  kubectl('create', 'secret', 'generic', 'ix-playground', '-n', namespace, `--from-literal=secret=${randomBytes(24).toString('base64url')}`);
  kubectlIn(manifests, 'apply', '-f', '-');
  try {
    kubectl('rollout', 'status', 'deployment/ix-playground-gateway', '-n', namespace, '--timeout=180s');
  } catch (error) {
    throw new Error(`the gateways did not come up: ${error.stderr}\n${gatewayLogs()}`);
  }
  const ip = kubectl('get', 'service', 'ix-playground', '-n', namespace, '-o', 'jsonpath={.spec.clusterIP}').trim();
  gateway = `http://${ip}`;
  await until('the Service to answer', 30_000, async () => (await fetch(`${gateway}/healthz`)).ok);
});

after(() => {
  if (skip) return;
  kubectl('delete', 'namespace', namespace, '--wait=true', '--timeout=120s');
  const left = kubectl('get', 'pods,networkpolicies', '-A', '-l', 'app.kubernetes.io/managed-by=ix-playground', '-o', 'name').trim();
  assert.equal(left, '', 'no pod or policy of the test is left');
});

test('through the Service, a reader gets a shell in a pod and its task ticks; deleting its replica leaves it on the same shell', { skip }, async () => {
  const session = await connect({ server: gateway, playground: 'hello', WebSocket, reconnect: { attempts: 40, baseDelayMs: 100, maxDelayMs: 1000 } });
  let text = '';
  session.on('output', ({ data }) => (text = (text + Buffer.from(data).toString('utf8')).slice(-8192)));
  try {
    await until('the prompt', 120_000, async () => /# $|\$ $/.test(text)).catch((error) => {
      throw new Error(`${error.message}; the screen: ${JSON.stringify(text)}\n${gatewayLogs()}`);
    });
    session.write(0, 'echo pid=$$; cat notes.txt\r');
    const before = (await until('the pid', 30_000, async () => /\npid=(\d+)/.exec(text)))[1];
    assert.match(text, /Welcome to your machine in the cluster/);

    const statuses = [];
    session.on('status', (status) => statuses.push(status));
    // The replicas: the reader is on one of them; delete both in turn, the newest last, so it is surely moved.
    const replicas = kubectl('get', 'pods', '-n', namespace, '-l', 'app.kubernetes.io/managed-by=ix-playground-gateway', '-o', 'name').trim().split('\n');
    assert.equal(replicas.length, 2, 'two gateway replicas');
    kubectl('delete', '-n', namespace, replicas[0], '--wait=true');
    kubectl('rollout', 'status', 'deployment/ix-playground-gateway', '-n', namespace, '--timeout=180s');
    kubectl('delete', '-n', namespace, replicas[1], '--wait=true');
    // Both replicas it was on are gone: it reconnected at least once, and is attached again (keys typed in between are not kept).
    await until('the session to resume', 60_000, async () => statuses.includes('reconnecting') && session.status === 'ready');
    text = '';
    session.write(0, 'echo again=$$; touch ~/hello.txt\r');
    const after = (
      await until('the shell after its replicas were replaced', 120_000, async () => /again=(\d+)/.exec(text)).catch((error) => {
        throw new Error(
          `${error.message}; the session is ${session.status} after ${statuses.join(', ')}; the screen: ${JSON.stringify(text)}\n${gatewayLogs()}`,
        );
      })
    )[1];
    assert.equal(after, before, 'the same shell');
    await until('the task to tick', 60_000, async () => session.tasks.some((t) => t.id === 'make-file' && t.state === 'done'));
  } finally {
    session.close();
  }
});
