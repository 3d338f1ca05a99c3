import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClientMessage } from './protocol.js';
import { TunnelChannels, type TunnelWire } from './tunnel-channels.js';

/** A connection double that records what the tunnels send. */
function wire(open = true) {
  const sent: ClientMessage[] = [];
  const frames: { channel: number; data: Uint8Array }[] = [];
  const fake: TunnelWire = {
    open,
    send: (message) => sent.push(message),
    sendTunnel: (channel, data) => frames.push({ channel, data }),
  };
  return { fake, sent, frames };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('TunnelChannels', () => {
  test('a tunnel asks the server to open its port and carries bytes both ways once the server says it is open', () => {
    const { fake, sent, frames } = wire();
    const tunnels = new TunnelChannels(() => fake);
    const tunnel = tunnels.open(8080, 'web');
    assert.deepEqual(sent, [{ type: 'tunnel-open', channel: 1, port: 8080, machine: 'web' }]);
    const received: string[] = [];
    tunnel.on('data', (data) => received.push(new TextDecoder().decode(data)));
    tunnel.write(new Uint8Array([1]));
    assert.equal(frames.length, 0, 'nothing is sent before the server opened it');
    tunnels.answered(1, true);
    assert.equal(tunnel.state, 'open');
    tunnel.write(new Uint8Array([2]));
    tunnels.received(1, new TextEncoder().encode('hi'));
    assert.deepEqual(frames, [{ channel: 1, data: new Uint8Array([2]) }]);
    assert.deepEqual(received, ['hi']);
  });

  test('closing a tunnel tells the server and frees its channel for the next one', () => {
    const { fake, sent } = wire();
    const tunnels = new TunnelChannels(() => fake);
    const first = tunnels.open(22);
    const second = tunnels.open(80);
    assert.deepEqual([first.channel, second.channel], [1, 2]);
    first.close();
    assert.deepEqual(sent.at(-1), { type: 'tunnel-close', channel: 1 });
    tunnels.received(1, new Uint8Array([1]));
    assert.equal(first.state, 'closed');
  });

  test('channels wrap after 0xffff and skip the ones still open', () => {
    const { fake } = wire();
    const tunnels = new TunnelChannels(() => fake);
    const kept = tunnels.open(1); // channel 1 stays open
    for (let i = 2; i <= 0xffff; i++) tunnels.open(1).close();
    assert.equal(tunnels.open(1).channel, 2, 'channel 1 is skipped while its tunnel is open');
    assert.equal(kept.state, 'opening');
  });

  test('a refusal from the server closes the tunnel with its reason', () => {
    const { fake } = wire();
    const tunnels = new TunnelChannels(() => fake);
    const tunnel = tunnels.open(5432);
    const closes: (string | undefined)[] = [];
    tunnel.on('close', (error) => closes.push(error));
    tunnels.answered(1, false, 'connection refused');
    assert.deepEqual(closes, ['connection refused']);
  });

  test('endAll closes every tunnel with the reason, and a tunnel opened while disconnected closes by itself', async () => {
    const { fake } = wire();
    let connected: TunnelWire | undefined = fake;
    const tunnels = new TunnelChannels(() => connected);
    const closes: (string | undefined)[] = [];
    tunnels.open(1).on('close', (error) => closes.push(error));
    tunnels.open(2).on('close', (error) => closes.push(error));
    tunnels.endAll('the connection to the server was lost');
    assert.deepEqual(closes, ['the connection to the server was lost', 'the connection to the server was lost']);
    connected = undefined;
    const late: (string | undefined)[] = [];
    tunnels.open(3).on('close', (error) => late.push(error));
    await tick();
    assert.deepEqual(late, ['the session is not connected']);
  });
});
