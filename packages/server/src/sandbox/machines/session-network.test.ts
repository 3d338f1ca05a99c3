import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { MachinesDriver } from './machines-driver.js';
import { parseManifest } from '../../manifest/manifest.js';
import { PlaygroundSession } from '../../session/playground-session.js';
import type { Terminal } from '../../terminal/terminal.js';

let tools = process.getuid?.() === 0;
try {
  MachinesDriver.check();
} catch {
  tools = false;
}

/** Types a command and answers what it printed, between two markers. */
async function run(terminal: Terminal, command: string, timeoutMs = 60_000): Promise<string> {
  let text = '';
  const off = terminal.on('output', (_offset, data) => (text += Buffer.from(data).toString().replace(/\r/g, '')));
  const id = Math.random().toString(36).slice(2, 8);
  terminal.write(Buffer.from(`echo B""${id}; ${command}; echo E""${id}\r`));
  const printed = () => new RegExp(`B${id}\\n([\\s\\S]*?)E${id}\\n`).exec(text);
  for (let waited = 0; !printed() && waited < timeoutMs; waited += 50) await new Promise((r) => setTimeout(r, 50));
  off();
  return printed()?.[1] ?? assert.fail(`no end of ${command}: ${JSON.stringify(text.slice(-400))}`);
}

describe('machines with internet access', { skip: !tools && 'needs root, crun and mmdebstrap' }, () => {
  const driver = new MachinesDriver({ allowNetwork: true });
  let session: PlaygroundSession;
  let terminal: Terminal;
  let hostListener: net.Server;

  before(async () => {
    // The same image spec as the e2e lab, so one build (cached) serves both.
    const manifest = parseManifest('name: out\ntitle: Out\nimage: { debian: bookworm, packages: [python3, curl] }\nlimits: { network: true }\n', 'out.yaml');
    session = await PlaygroundSession.create(manifest, driver, { graceMs: 60_000, replayBytes: 1 << 20, checkIntervalMs: 0 });
    terminal = await session.openTerminal('probe');
    hostListener = net.createServer((socket) => socket.end('host secret\n'));
    await new Promise<void>((resolve) => hostListener.listen(0, '0.0.0.0', resolve));
  });

  after(async () => {
    hostListener?.close();
    await session?.end('shutdown');
    await driver.close();
  });

  test('apt-get reaches the Debian mirror through the user-mode stack', { timeout: 120_000 }, async () => {
    const output = await run(terminal, 'apt-get update >/dev/null 2>&1 && echo APT-OK || echo APT-FAILED');
    assert.equal(output.trim(), 'APT-OK');
  });

  test("neither the host's loopback nor any of its addresses is reachable", { timeout: 60_000 }, async () => {
    const { port } = hostListener.address() as net.AddressInfo;
    const addresses = [
      '127.0.0.1',
      ...Object.values(os.networkInterfaces())
        .flat()
        .filter((a) => a?.family === 'IPv4')
        .map((a) => (a as os.NetworkInterfaceInfo).address),
    ];
    const probe = addresses.map((a) => `curl -s --max-time 2 http://${a}:${port}/ && echo "REACHED ${a}"`).join('; ');
    const output = await run(terminal, `${probe}; true`);
    assert.doesNotMatch(output, /host secret|REACHED/, output);
  });
});
