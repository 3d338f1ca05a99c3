import type { Machine } from '../sandbox.js';

/** A session's machines find each other by name: each one's /etc/hosts lists them all (there may be no cluster DNS). */
export async function shareHosts(machines: Pick<Machine, 'name' | 'exec'>[], ips: string[]): Promise<void> {
  const lines = machines.map((m, i) => `${ips[i]} ${m.name}`).join('\n');
  for (const machine of machines) {
    const result = await machine.exec(`printf '%s\\n' '${lines}' >> /etc/hosts`, 10_000);
    if (result.code !== 0) throw new Error(`cannot write /etc/hosts in the ${machine.name} machine: ${result.output.trim()}`);
  }
}
