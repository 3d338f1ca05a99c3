import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The first port the kernel hands to outgoing connections (Linux's default when it cannot be read). */
function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A random port for a test server to listen on, below the kernel's ephemeral range: no outgoing
 * connection of another test can hold it, and a client cannot connect to itself on it.
 */
export function testPort(): number {
  return randomInt(10_000, Math.max(ephemeralStart(), 10_001));
}
