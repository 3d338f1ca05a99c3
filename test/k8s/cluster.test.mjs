// The test cluster (scripts/k8s/cluster.sh): brings it up, or finds it running, then runs pods from
// an image built and pushed here: their log, exec with stdin, the pod network from the host and from
// another pod, a Service, names through the cluster DNS, what `hostUsers: false` does on this node,
// a missing image's error.
// Everything is the real upstream API; every wait is a bounded poll of a condition.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { until as poll } from '../harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const clusterScript = path.join(root, 'scripts/k8s/cluster.sh');
const namespace = `ix-k8s-smoke-${process.pid}`;
const tag = `smoke-${Date.now()}`;
let env; // KUBECONFIG, PATH, IX_K8S_REGISTRY from `cluster.sh env`
let image;
let work;

/** Runs a command; resolves with its stdout, rejects with its stderr. */
function run(file, args, { timeout = 60_000, input, environment = env } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout, env: { ...process.env, ...environment }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const kubectl = (args, options) => run('kubectl', args, options);
/** Polls every 250 ms: each probe is a kubectl run. */
const until = (what, ms, probe) => poll(what, ms, probe, { everyMs: 250 });
const getJson = async (...args) => JSON.parse(await kubectl(['get', '-o', 'json', ...args]));

function pod(name, command, extra = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image, command: ['/bin/sh', '-c', command], resources: { limits: { cpu: '100m', memory: '32Mi' } } }],
      ...extra,
    },
  };
}

const apply = (manifest) => kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });

async function readyPod(name) {
  return until(`pod ${name} to be ready`, 60_000, async () => {
    const p = await getJson('-n', namespace, 'pod', name);
    const ready = p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready && p;
  });
}

async function succeeded(name) {
  await until(`pod ${name} to succeed`, 60_000, async () => {
    const { status } = await getJson('-n', namespace, 'pod', name);
    if (status.phase === 'Failed') throw new Error(`pod ${name} failed`);
    return status.phase === 'Succeeded';
  });
  return kubectl(['logs', '-n', namespace, name]);
}

before(async () => {
  const started = Date.now();
  // Builds on a cold machine (tens of minutes), seconds when cached and running.
  await run('bash', [clusterScript, 'up'], { timeout: 45 * 60_000, environment: {} });
  console.log(`# cluster up (or already up) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  env = {};
  for (const line of (await run('bash', [clusterScript, 'env'], { environment: {} })).split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace('$PATH', process.env.PATH);
  }
  // A busybox image made here: Debian's static busybox and its applet links, one layer.
  work = await mkdtemp(path.join(tmpdir(), 'ix-k8s-smoke-'));
  const rootfs = path.join(work, 'rootfs');
  await mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  const applets = (await run('/bin/busybox', ['--list'])).split('\n').filter((a) => a && a !== 'busybox');
  await Promise.all(applets.map((a) => symlink('busybox', path.join(rootfs, 'bin', a))));
  image = (await run('bash', [clusterScript, 'image', rootfs, `ix-playground/smoke:${tag}`, '/bin/sh'])).trim();
  await kubectl(['create', 'namespace', namespace]);
});

after(async () => {
  if (env) {
    await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']).catch(() => {});
    await until(
      `namespace ${namespace} to be gone`,
      90_000,
      async () => !(await kubectl(['get', 'namespace', namespace, '--ignore-not-found', '-o', 'name'])).trim(),
    );
  }
  if (work) await rm(work, { recursive: true, force: true });
});

test('the node is Ready and runs the version built from the Go module', async () => {
  const node = (await getJson('nodes')).items[0];
  assert.equal(node.status.conditions.find((c) => c.type === 'Ready').status, 'True');
  assert.match(node.status.nodeInfo.kubeletVersion, /^v1\.\d+\.\d+$/);
  assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
});

test('a pod from the local registry runs: its log, exec with stdin, and its address from the host', async () => {
  await apply(pod('web', 'echo web-started; mkdir -p /www; hostname >/www/index.html; exec httpd -f -p 8080 -h /www'));
  const p = await readyPod('web');
  await until('the log line', 10_000, async () => (await kubectl(['logs', '-n', namespace, 'web'])).includes('web-started'));
  assert.equal(
    await kubectl(['exec', '-i', '-n', namespace, 'web', '--', 'sh', '-c', 'tr a-z A-Z; echo $((6 * 7))'], { input: 'stdin bytes\n' }),
    'STDIN BYTES\n42\n',
  );
  await assert.rejects(kubectl(['exec', '-n', namespace, 'web', '--', 'sh', '-c', 'exit 3']), /exit code 3/);
  const res = await fetch(`http://${p.status.podIP}:8080/`, { signal: AbortSignal.timeout(5000) });
  assert.equal((await res.text()).trim(), 'web');
});

test('pods reach each other by address and through a Service', async () => {
  const web = await readyPod('web');
  await apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const service = await getJson('-n', namespace, 'service', 'web');
  const get = (host, port) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} ${port} | tail -n 1`;
  // The Service's rules reach kube-proxy's table within a moment of its creation: retry until then.
  await apply(
    pod(
      'client',
      `${get(web.status.podIP, 8080)}; for i in $(seq 50); do out=$(${get(service.spec.clusterIP, 80)}); [ -n "$out" ] && break; done; echo "$out"`,
    ),
  );
  assert.equal(await succeeded('client'), 'web\nweb\n');
});

test('pods of a headless Service resolve each other by hostname.subdomain through the cluster DNS', async () => {
  await apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'machines', namespace },
    spec: { clusterIP: 'None', selector: { session: 'smoke' }, ports: [{ port: 8080 }] },
  });
  const machine = (name, command) => {
    const p = pod(name, command, { hostname: name, subdomain: 'machines' });
    p.metadata.labels.session = 'smoke';
    return p;
  };
  await apply(machine('alpha', 'mkdir -p /www; hostname >/www/index.html; exec httpd -f -p 8080 -h /www'));
  await readyPod('alpha');
  // The name exists once the endpoints of the ready pod reach CoreDNS: retry until then.
  const fetchAlpha = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 alpha.machines 8080 | tail -n 1`;
  await apply(machine('beta', `for i in $(seq 100); do out=$(${fetchAlpha}); [ -n "$out" ] && break; done; echo "$out"`));
  assert.equal(await succeeded('beta'), 'alpha\n');
});

test('hostUsers: false runs only where the node says its runtime has user namespaces', async (t) => {
  const node = (await getJson('nodes')).items[0];
  const supported = (node.status.runtimeHandlers ?? []).some((h) => h.features?.userNamespaces);
  await apply(pod('userns', 'cat /proc/self/uid_map', { hostUsers: false }));
  const outcome = await until('the user-namespace pod to run or be refused', 60_000, async () => {
    const p = await getJson('-n', namespace, 'pod', 'userns');
    if (p.status.phase === 'Succeeded') return { ran: true, uidMap: await kubectl(['logs', '-n', namespace, 'userns']) };
    const events = await getJson('-n', namespace, 'events', '--field-selector', 'involvedObject.name=userns');
    const refused = events.items.find((e) => e.reason === 'FailedCreatePodSandBox' && /user namespaces/.test(e.message));
    return refused && { ran: false, message: refused.message };
  });
  t.diagnostic(`user namespaces: ${outcome.ran ? `pod ran, uid_map ${outcome.uidMap.trim()}` : `refused: ${outcome.message}`}`);
  assert.equal(outcome.ran, supported);
  if (outcome.ran) assert.doesNotMatch(outcome.uidMap, /^\s*0\s+0\s/);
});

test('a missing image is reported as ErrImagePull or ImagePullBackOff within 10 s', async () => {
  const missing = pod('missing', 'true');
  missing.spec.containers[0].image = `${env.IX_K8S_REGISTRY}/ix-playground/missing:1`;
  await apply(missing);
  const reason = await until('the pull error', 10_000, async () => {
    const { status } = await getJson('-n', namespace, 'pod', 'missing');
    const waiting = status.containerStatuses?.[0]?.state?.waiting?.reason;
    return /ErrImagePull|ImagePullBackOff/.test(waiting ?? '') && waiting;
  });
  assert.match(reason, /ErrImagePull|ImagePullBackOff/);
});
