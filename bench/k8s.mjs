#!/usr/bin/env node
// Sessions on the test cluster (scripts/k8s: `bash scripts/k8s/cluster.sh up` first, then
// `eval "$(bash scripts/k8s/cluster.sh env)"`), against the floor the cluster itself sets: a bare
// pod of the same image, created and waited for until its container is ready, with no agent, no
// init container and no session. Cached images on both sides (one warm-up each, not counted).
//
//   start → prompt: POST /api/sessions on a gateway (IX_SANDBOX=kubernetes with IX_K8S_SECRET: the
//     session lives in its pod) until the shell's prompt arrives on the WebSocket; peer: create a
//     bare pod → Ready.
//   API requests per session: the API server's own count (apiserver_request_total, every client:
//     the gateway, the kubelet's status updates, the controllers) over N session starts and ends,
//     less the idle rate over as long, per session; peer: the same for bare pods.
//   memory per idle session pod: the kubelet's working set of each pod (stats/summary) once idle;
//     peer: the bare pod's.
//   a gateway replica's load: its memory per page it carries to a pod and its CPU while 200 such
//     pages sit idle (heartbeats), and its CPU per MB of terminal output it carries.
//
// Environment: BENCH_K8S_SAMPLES (per side, default 10), BENCH_NO_WRITE=1 (print only).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Session } from '@ix-playground/sdk';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { testImages } from '../test/k8s/images.mjs';
import { startServerProcess, until as poll } from '../test/harness.mjs';
import { installCleanup, sleep } from './lib/processes.mjs';
import { envNumber, fmt, newReport, percentile, ratio, row, writeResults } from './lib/report.mjs';

installCleanup('k8s');
if (!process.env.KUBECONFIG || !process.env.IX_K8S_REGISTRY) {
  console.error('bench k8s: needs the test cluster: bash scripts/k8s/cluster.sh up && eval "$(bash scripts/k8s/cluster.sh env)"');
  process.exit(2);
}
const CONFIG = { samples: envNumber('BENCH_K8S_SAMPLES', 10), namespace: 'default' };
const config = new KubeConfig();
config.loadFromDefault();
const api = config.makeApiClient(CoreV1Api);
/** The bench's own API requests (its polling), taken out of the counts. */
let ownRequests = 0;
const core = new Proxy(api, {
  get: (target, key) => (typeof target[key] === 'function' ? (...args) => (ownRequests++, target[key](...args)) : target[key]),
});
const namespace = CONFIG.namespace;
/** Polls every 50 ms: the times measured are no coarser than that. */
const until = (what, ms, probe) => poll(what, ms, probe, { everyMs: 50 });

/** Requests the API server has answered so far, from its metrics. */
function apiRequests() {
  ownRequests++;
  const metrics = execFileSync('kubectl', ['get', '--raw', '/metrics'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let total = 0;
  for (const line of metrics.split('\n')) if (line.startsWith('apiserver_request_total{')) total += Number(line.split(' ').pop());
  return total - ownRequests;
}

/** Working-set bytes and CPU (cores) of each pod, from the kubelet's summary. */
function podMemory() {
  ownRequests += 2;
  const node = execFileSync('kubectl', ['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'], { encoding: 'utf8' }).trim();
  const summary = JSON.parse(execFileSync('kubectl', ['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`], { encoding: 'utf8' }));
  return new Map(summary.pods.map((p) => [p.podRef.name, { memory: p.memory?.workingSetBytes, cores: (p.cpu?.usageNanoCores ?? NaN) / 1e9 }]));
}

/** One session: POST → prompt on the WebSocket; answers its id, the time, and a close function. */
async function startSession(gateway) {
  const started = performance.now();
  const res = await fetch(`${gateway.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"playground":"lab"}' });
  if (res.status !== 201) throw new Error(`session refused: ${res.status} ${await res.text()}`);
  const ticket = await res.json();
  const session = new Session({ url: `${gateway.url.replace('http', 'ws')}/api/ws`, ...ticket, WebSocket });
  let text = '';
  session.on('output', ({ data }) => (text += Buffer.from(data).toString('utf8')));
  await session.open();
  await until('the prompt', 60_000, async () => /# $/.test(text));
  const ms = performance.now() - started;
  return {
    id: ticket.id,
    ms,
    ticket,
    // Detached, the session ends after the gateway's grace period (IX_GRACE) and its pods go.
    close: async () => session.close(),
  };
}

/** CPU seconds a process has used (user + system), from /proc. */
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
};

/** The gateway's CPU per MB of output it carries from a pod to a page: `seq` printing about 40 MB. */
async function gatewayThroughput(gateway, ticket) {
  const session = new Session({ url: `${gateway.url.replace('http', 'ws')}/api/ws`, id: ticket.id, token: ticket.token, WebSocket });
  let bytes = 0;
  let tail = '';
  session.on('output', ({ data }) => {
    bytes += data.byteLength;
    tail = (tail + Buffer.from(data).toString('latin1')).slice(-64);
  });
  await session.open();
  await until('the prompt', 30_000, async () => /# $/.test(tail));
  const cpuBefore = cpuSeconds(gateway.pid);
  const bytesBefore = bytes;
  const began = performance.now();
  session.write(0, 'seq 1 5000000; echo seq-done\r');
  await until('the output to be carried', 300_000, async () => /\nseq-done\r?\n/.test(tail));
  const mb = (bytes - bytesBefore) / 1e6;
  const result = { mb, cpuMsPerMb: ((cpuSeconds(gateway.pid) - cpuBefore) * 1000) / mb, mbPerSecond: mb / ((performance.now() - began) / 1000) };
  session.close();
  return result;
}

const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

/** The gateway's memory per page it carries to a pod: 20 spectators on each session, its RSS before and after. */
async function spectatorMemory(gateway, tickets) {
  const before = rss(gateway.pid);
  const sockets = [];
  for (const ticket of tickets) {
    for (let i = 0; i < 20; i++) {
      const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/api/ws`, 'ix-playground.v1');
      await new Promise((resolve, reject) => {
        ws.once('open', () => ws.send(JSON.stringify({ type: 'attach', session: ticket.id, token: ticket.spectatorToken, mode: 'ro' })));
        ws.once('message', resolve);
        ws.once('error', reject);
      });
      sockets.push(ws);
    }
  }
  await sleep(2_000);
  const after = rss(gateway.pid);
  // Idle pages cost the gateway their heartbeats (and the agents' to it): its CPU over 10 s.
  const cpuBefore = cpuSeconds(gateway.pid);
  await sleep(10_000);
  const idleCores = (cpuSeconds(gateway.pid) - cpuBefore) / 10;
  for (const ws of sockets) ws.close();
  return { connections: sockets.length, bytesPerConnection: (after - before) / sockets.length, rssAfter: after, idleCores };
}

/** One bare pod of the machine image: create → Ready. */
async function startBarePod(image) {
  const name = `bench-bare-${randomBytes(4).toString('hex')}`;
  const started = performance.now();
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { 'ix-playground.dev/bench': 'bare' } },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'machine', image, imagePullPolicy: 'IfNotPresent', command: ['/bin/sleep', '3600'] }],
      },
    },
  });
  await until('the bare pod to be ready', 120_000, async () => {
    const pod = await core.readNamespacedPod({ name, namespace });
    return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  });
  const ms = performance.now() - started;
  return {
    id: name,
    ms,
    close: async () => {
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 1 }).catch(() => {});
      await until('the bare pod to be gone', 60_000, async () => !(await core.listNamespacedPod({ namespace, labelSelector: 'ix-playground.dev/bench=bare' })).items.some((p) => p.metadata.name === name));
    },
  };
}

/** Our pods still running in the cluster (ended ones are reaped by the gateway a little later). */
async function sessionPods() {
  const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/managed-by=ix-playground' })).items;
  return pods.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && !p.metadata?.deletionTimestamp);
}

async function main() {
  const report = newReport('k8s', CONFIG);
  const { agent, machine } = testImages();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ix-bench-k8s-'));
  mkdirSync(path.join(dir, 'playgrounds'));
  writeFileSync(path.join(dir, 'playgrounds', 'lab.yaml'), `name: lab\ntitle: Lab\nimage: { ref: ${machine} }\nlimits: { time: 10m, memory: 256Mi, pids: 128 }\n`);
  const gateway = await startServerProcess({
    IX_SANDBOX: 'kubernetes',
    IX_K8S_NAMESPACE: namespace,
    IX_K8S_AGENT_IMAGE: agent,
    IX_K8S_SECRET: randomBytes(24).toString('base64url'),
    IX_K8S_USER_NAMESPACES: '0',
    PLAYGROUNDS: path.join(dir, 'playgrounds'),
    IX_GRACE: '3s',
    IX_WATCH: '0',
    IX_MAX_SESSIONS_PER_CLIENT: '50',
    IX_MAX_CONNECTIONS_PER_CLIENT: '1000', // every page of the bench comes from one address
  });
  const samples = { ix: [], peer: [] };
  const requests = {};
  const memory = { ix: [], peer: [] };
  const cpu = { ix: [], peer: [] };
  let gatewayMemory;
  let throughput;
  try {
    // Warm-up, not counted: pulls the images and the gateway's first API calls.
    await (await startSession(gateway)).close();
    await (await startBarePod(machine)).close();
    await until('the warm-up pods to go', 120_000, async () => (await sessionPods()).length === 0);

    // The idle rate of API requests (the node's heartbeats, controllers), over a fixed 10 s.
    const idleFrom = apiRequests();
    const idleStart = performance.now();
    await sleep(10_000);
    const idleRate = (apiRequests() - idleFrom) / (performance.now() - idleStart);

    for (const [side, start] of [
      ['ix', () => startSession(gateway)],
      ['peer', () => startBarePod(machine)],
    ]) {
      const from = apiRequests();
      const began = performance.now();
      const running = [];
      for (let i = 0; i < CONFIG.samples; i++) {
        const s = await start();
        samples[side].push(s.ms);
        running.push(s);
      }
      if (side === 'ix') gatewayMemory = await spectatorMemory(gateway, running.map((r) => r.ticket));
      if (side === 'ix') throughput = await gatewayThroughput(gateway, running[0].ticket);
      // Idle a moment, then each pod's memory, then all of them end.
      await sleep(5_000);
      const byPod = podMemory();
      const names = side === 'ix' ? (await sessionPods()).map((p) => p.metadata.name) : running.map((s) => s.id);
      for (const name of names) {
        const { memory: bytes, cores } = byPod.get(name) ?? {};
        if (Number.isFinite(bytes)) memory[side].push(bytes);
        if (Number.isFinite(cores)) cpu[side].push(cores);
      }
      for (const s of running) await s.close();
      if (side === 'ix') await until('the session pods to go', 120_000, async () => (await sessionPods()).length === 0);
      const total = apiRequests() - from - idleRate * (performance.now() - began);
      requests[side] = total / CONFIG.samples;
    }
  } finally {
    await gateway.stop();
  }
  const p = (side, q) => percentile(samples[side], q);
  const mem = (side) => percentile(memory[side], 50);
  report.results = { samples, requests, memory, cpu, gatewayMemory, throughput };
  report.summary = [
    row('k8s session start → prompt p50 (cached images)', fmt.ms(p('ix', 50)), `${fmt.ms(p('peer', 50))} (bare pod → Ready)`, { ratio: ratio(p('ix', 50), p('peer', 50)) }),
    row('k8s session start → prompt p95', fmt.ms(p('ix', 95)), fmt.ms(p('peer', 95)), { ratio: ratio(p('ix', 95), p('peer', 95)) }),
    row('k8s API requests per session (all clients, start to end)', requests.ix.toFixed(1), requests.peer.toFixed(1), { ratio: ratio(requests.ix, requests.peer) }),
    row('k8s memory per idle session pod (working set)', fmt.mib(mem('ix')), fmt.mib(mem('peer')), { ratio: ratio(mem('ix'), mem('peer')) }),
    row('k8s CPU per idle session pod', `${percentile(cpu.ix, 50).toFixed(4)} cores`, `${percentile(cpu.peer, 50).toFixed(4)} cores`),
    row(`gateway memory per page carried to a pod (${gatewayMemory?.connections} connections)`, `${((gatewayMemory?.bytesPerConnection ?? NaN) / 1024).toFixed(1)} KiB`, '—'),
    row(`gateway CPU with ${gatewayMemory?.connections} idle pages carried`, `${(gatewayMemory?.idleCores ?? NaN).toFixed(4)} cores`, '—'),
    row(
      `gateway CPU per MB of output carried (${throughput?.mb.toFixed(0)} MB at ${throughput?.mbPerSecond.toFixed(1)} MB/s)`,
      `${(throughput?.cpuMsPerMb ?? NaN).toFixed(1)} ms`,
      '—',
    ),
  ];
  writeResults('k8s', report, {
    title: 'Sessions on Kubernetes (the one-node test cluster of scripts/k8s)',
    notes: [
      'The peer is the floor the cluster sets: a bare pod of the same image (`sleep`), created and waited for until Ready, deleted the same way. ix adds the init container that copies the agent in, the agent (Node.js) starting, the session and its shell, and the WebSocket to the first prompt.',
      'API requests are the API server’s own count of every client (gateway, kubelet, controllers) during the runs, less the idle rate measured for 10 s before, divided by the sessions.',
    ],
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
