#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { startSessionAgent } from './agent/session-agent.js';
import { podUsage } from './sandbox/kubernetes/pod-usage.js';
import { startAgent } from './sandbox/remote/agent.js';

/**
 * The agent's command line, run inside a machine (a pod). IX_AGENT_TOKEN (required): the secret
 * gateways present; IX_AGENT_NAME: the machine's name; IX_AGENT_PORT (default 7070);
 * IX_AGENT_ROLE: `machine` (the default: serves this machine to a driver) or `session` (runs the
 * session here; docs/kubernetes.md). The home is $HOME. It runs until killed, or, as a session,
 * until the session ends.
 */
const token = process.env.IX_AGENT_TOKEN;
if (!token || token.length < 24) {
  console.error('ix-playground agent: IX_AGENT_TOKEN must be set to a secret of at least 24 characters');
  process.exit(2);
}

/** This process's user name; images without a passwd entry for it (many) get its uid's usual name. */
function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER || (process.getuid?.() === 0 ? 'root' : `uid${process.getuid?.() ?? ''}`);
  }
}

const self = {
  name: process.env.IX_AGENT_NAME || os.hostname(),
  home: process.env.HOME || os.homedir(),
  user: userName(),
  usage: podUsage(), // in a pod, the container is the machine
};
const listen = { token, port: Number(process.env.IX_AGENT_PORT || 7070), host: process.env.IX_AGENT_HOST || '0.0.0.0' };
/** A session's end: its reason becomes the pod's termination message, which any gateway reads to tell a returning page why. */
const ended = (reason: string) => {
  try {
    writeFileSync('/dev/termination-log', reason, { flag: 'r+' }); // the kubelet's file: never made where there is none
  } catch {
    // Not in a pod: the exit alone says it ended.
  }
  process.exit(0);
};
const running = process.env.IX_AGENT_ROLE === 'session' ? startSessionAgent({ self, ...listen, onEnded: ended }) : startAgent({ ...self, ...listen });
running.then(
  (agent) => {
    console.log(`ix-playground agent (${process.env.IX_AGENT_ROLE || 'machine'}) on ${agent.url}`);
    // A session's pod stopped by the cluster (an eviction, a deletion) does not end the session as a
    // shutdown: its connections just drop, and gateways tell pages what the cluster says happened.
    const stop = process.env.IX_AGENT_ROLE === 'session' ? () => process.exit(143) : () => void agent.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  },
  (error: Error) => {
    console.error(`ix-playground agent: ${error.message}`);
    process.exit(1);
  },
);
