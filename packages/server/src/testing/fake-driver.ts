// A sandbox driver for tests of the session and gateway logic on hosts without bubblewrap: each
// machine is a few lines of JavaScript with a tiny shell. It shows what a driver is: this file,
// plus one `registerDriver('fake', …)` line. Not shipped.
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { Disposable } from '@ix-playground/sdk/disposable';
import { SandboxError } from '../errors.js';
import type { ImageSpec } from '../manifest/manifest-schema.js';
import type { Pty } from '../sandbox/pty.js';
import {
  goneError,
  goneResult,
  type ExecResult,
  type Machine,
  type MachineSpec,
  type Sandbox,
  type SandboxDriver,
  type SandboxSpec,
} from '../sandbox/sandbox.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs one line of the fake shell's language; answers its output and exit code. */
type Interpreter = (line: string, size: { cols: number; rows: number }) => { output: string; code: number; exit?: number };

/**
 * The fake shell understands `echo …` (with `$$`), `touch F`, `rm F`, `cat F`, `test -f F`, `seq A B`,
 * `stty size`, `listen PORT TEXT` (a server that answers TEXT on PORT), `true`, `false` and
 * `exit N`, joined with `;` and `&&`. Unknown commands fail with 127. Scripts run by `exec` also
 * know `sleep SECONDS` (with `&` at the end: in the background), which keeps them running.
 */
function interpreter(files: Map<string, string>, pid: number, ports: Map<number, string>): Interpreter {
  return (line, size) => {
    let output = '';
    let code = 0;
    for (const command of line
      .split(';')
      .flatMap((c) => c.split('&&').map((part, i) => ({ part: part.trim(), chained: i > 0 })))
      .filter(({ part }) => part)) {
      if (command.chained && code !== 0) continue;
      const [name, ...args] = command.part.split(/\s+/);
      const path = (args[0] ?? '').replace(/^~\//, '');
      switch (name) {
        case 'echo':
          output += args.join(' ').replace(/\$\$/g, String(pid)) + '\n';
          code = 0;
          break;
        case 'touch':
          if (!files.has(path)) files.set(path, '');
          code = 0;
          break;
        case 'rm':
          code = files.delete(path) ? 0 : 1;
          break;
        case 'cat':
          if (files.has(path)) output += files.get(path);
          else output += `cat: ${args[0]}: No such file or directory\n`;
          code = files.has(path) ? 0 : 1;
          break;
        case 'test':
          code = args[0] === '-f' && files.has((args[1] ?? '').replace(/^~\//, '')) ? 0 : 1;
          break;
        case 'seq':
          for (let i = Number(args[0]); i <= Number(args[1]); i++) output += `${i}\n`;
          code = 0;
          break;
        case 'stty':
          output += `${size.rows} ${size.cols}\n`;
          break;
        case 'listen':
          ports.set(Number(args[0]), `${args.slice(1).join(' ')}\n`);
          code = 0;
          break;
        case 'true':
          code = 0;
          break;
        case 'false':
          code = 1;
          break;
        case 'exit':
          return { output, code: Number(args[0] ?? 0), exit: Number(args[0] ?? 0) };
        default:
          output += `fake: ${name}: command not found\n`;
          code = 127;
      }
    }
    return { output, code };
  };
}

/** A terminal of a fake machine: echoes what is typed, runs each line, prints a prompt. */
class FakeShell implements Pty {
  readonly #run: Interpreter;
  readonly #size: { cols: number; rows: number };
  readonly #data = new Set<(data: Uint8Array) => void>();
  readonly #exit = new Set<(code: number | null) => void>();
  #line = '';
  #pending: Uint8Array[] = [];
  #paused = false;
  #exitCode: number | null | undefined;
  #exited = false;

  /** True once killed or exited. */
  get killed(): boolean {
    return this.#exitCode !== undefined;
  }

  constructor(run: Interpreter, size: { cols: number; rows: number }) {
    this.#run = run;
    this.#size = { ...size };
    queueMicrotask(() => this.#emit('fake$ '));
  }

  onData(listener: (data: Uint8Array) => void): Disposable {
    this.#data.add(listener);
    // Like a real pty's buffer: what was printed before anyone listened is read by the first listener.
    if (this.#data.size === 1 && !this.#paused) this.resume();
    return { dispose: () => this.#data.delete(listener) };
  }

  onExit(listener: (code: number | null) => void): Disposable {
    this.#exit.add(listener);
    return { dispose: () => this.#exit.delete(listener) };
  }

  write(data: Uint8Array): void {
    if (this.#exitCode !== undefined) return;
    for (const char of decoder.decode(data)) {
      if (char !== '\r') {
        this.#line += char;
        this.#emit(char);
        continue;
      }
      const line = this.#line;
      this.#line = '';
      this.#emit('\r\n');
      const result = this.#run(line, this.#size);
      this.#emit(result.output.replace(/\n/g, '\r\n'));
      if (result.exit !== undefined) {
        this.#exitCode = result.exit;
        this.#finish();
        return;
      }
      this.#emit('fake$ ');
    }
  }

  resize(cols: number, rows: number): void {
    this.#size.cols = cols;
    this.#size.rows = rows;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const chunk of this.#pending.splice(0)) this.#deliver(chunk);
    this.#finish();
  }

  kill(): void {
    if (this.#exitCode !== undefined) return;
    this.#exitCode = null;
    this.#pending = [];
    this.#finish();
  }

  #emit(text: string): void {
    if (!text) return;
    const chunk = encoder.encode(text);
    if (this.#paused || !this.#data.size) this.#pending.push(chunk);
    else this.#deliver(chunk);
  }

  #deliver(chunk: Uint8Array): void {
    for (const listener of this.#data) listener(chunk);
  }

  /** Reports the exit once the output before it is delivered (the Pty contract). */
  #finish(): void {
    if (this.#exited || this.#exitCode === undefined || this.#pending.length) return;
    this.#exited = true;
    const code = this.#exitCode;
    queueMicrotask(() => {
      for (const listener of this.#exit) listener(code);
    });
  }
}

/** A machine of the fake driver: its files live in a Map. */
export class FakeMachine implements Machine {
  readonly name: string;
  readonly home = '/home/learner';
  /** The learner's files, by path relative to home. */
  readonly files = new Map<string, string>();
  /** Every script `exec` ran, in order (the init script and the task checks). */
  readonly scripts: string[] = [];
  /** Set by the test: the next `exec` of a script containing this text fails with it. */
  failWith: { match: string; output: string; code: number } | undefined;
  /** Set by the test: new shells fail with this (a machine that cannot be reached, say). */
  failShells: Error | undefined;
  /** The servers `listen` started: what each port answers. */
  readonly ports = new Map<number, string>();
  /** What `exec` started that is still running (sleeps, by their command line), and how to stop each. */
  readonly running = new Map<() => void, string>();
  readonly #run: Interpreter;
  readonly #shells = new Set<FakeShell>();
  disposed = false;

  /** `restore`: the files a fake machine exported (JSON), read before the machine is made. */
  constructor(spec: MachineSpec, pid: number, restore?: Record<string, string>) {
    this.name = spec.name;
    for (const [path, content] of restore ? Object.entries(restore) : spec.files.map((f) => [f.path, f.content] as const)) this.files.set(path, content);
    this.#run = interpreter(this.files, pid, this.ports);
  }

  /** The shells still open. */
  get openShells(): number {
    return [...this.#shells].filter((s) => !s.killed).length;
  }

  async spawnShell(size: { cols: number; rows: number }): Promise<Pty> {
    if (this.disposed) throw goneError();
    if (this.failShells) throw this.failShells;
    const shell = new FakeShell(this.#run, size);
    this.#shells.add(shell);
    return shell;
  }

  async exec(script: string, timeoutMs: number): Promise<ExecResult> {
    if (this.disposed) return goneResult();
    this.scripts.push(script);
    if (this.failWith && script.includes(this.failWith.match))
      return { code: this.failWith.code, output: this.failWith.output, timedOut: false, durationMs: 1 };
    const started = performance.now();
    const done = (code: number | null, output: string, timedOut = false) => ({ code, output, timedOut, durationMs: Math.round(performance.now() - started) });
    let output = '';
    let code = 0;
    for (const line of script.split(/[\n;]/).filter((l) => l.trim())) {
      const [command, seconds] = line.trim().split(/\s+/);
      if (command === 'sleep') {
        const ms = Number(seconds) * 1000;
        if (line.trim().endsWith('&')) {
          const stop = () => this.running.delete(stop); // runs until the machine is disposed
          this.running.set(stop, `sleep ${seconds}`);
          code = 0;
          continue;
        }
        const outcome = await new Promise<'slept' | 'killed'>((resolve) => {
          const stop = () => {
            clearTimeout(timer);
            this.running.delete(stop);
            resolve('killed');
          };
          const timer = setTimeout(() => (ms <= timeoutMs ? (this.running.delete(stop), resolve('slept')) : stop()), Math.min(ms, timeoutMs));
          this.running.set(stop, `sleep ${seconds}`);
        });
        if (outcome === 'killed') return done(null, output, !this.disposed);
        code = 0;
        continue;
      }
      const result = this.#run(line, { cols: 80, rows: 24 });
      output += result.output;
      code = result.code;
      if (result.exit !== undefined) break;
    }
    return done(code, output);
  }

  /** A connection to what `listen` serves on `port`: it answers the text and ends; nothing listens: it ends at once. */
  async connect(port: number): Promise<Duplex> {
    if (this.disposed) throw goneError();
    const socket = new PassThrough();
    socket.end(this.ports.get(port) ?? '');
    return socket;
  }

  /** The files as JSON: what restore takes. */
  async exportFiles(): Promise<Readable> {
    return Readable.from([JSON.stringify(Object.fromEntries(this.files))]);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const shell of this.#shells) shell.kill();
    for (const stop of [...this.running.keys()]) stop();
    this.ports.clear();
  }
}

/** The fake driver; `machines` lists every machine it made, for tests to look into. */
export class FakeDriver implements SandboxDriver {
  readonly name = 'fake';
  readonly machines: FakeMachine[] = [];
  /** Set by the test: what the next machine's init-time exec does (see {@link FakeMachine.failWith}). */
  failWith: FakeMachine['failWith'];
  #pid = 100;

  /** The fake runs no images: its machines are the few lines above. */
  supportsImage(image: ImageSpec | undefined): boolean {
    return image === undefined;
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const restored = new Map<string, Record<string, string>>();
    for (const m of spec.machines) {
      if (!m.restore) continue;
      try {
        restored.set(m.name, JSON.parse(await text(m.restore)) as Record<string, string>);
      } catch (error) {
        throw new SandboxError(`cannot restore the ${m.name} machine: ${(error as Error).message}`);
      }
    }
    const machines = spec.machines.map((m) => {
      const machine = new FakeMachine(m, this.#pid++, restored.get(m.name));
      machine.failWith = this.failWith;
      this.machines.push(machine);
      return machine;
    });
    return {
      machines: new Map(machines.map((m) => [m.name, m])),
      dispose: async () => {
        for (const m of machines) await m.dispose();
      },
    };
  }
}
