// A sandbox driver for tests of the session and gateway logic on hosts without bubblewrap: each
// machine is a few lines of JavaScript with a tiny shell. It shows what a driver is: this file,
// plus one `registerDriver('fake', …)` line. Not shipped.
import type { Disposable } from '@ix-playground/sdk/disposable';
import type { Pty } from '../pty.js';
import type { ExecResult, Machine, MachineSpec, Sandbox, SandboxDriver, SandboxSpec } from '../sandbox.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs one line of the fake shell's language; answers its output and exit code. */
type Interpreter = (line: string, size: { cols: number; rows: number }) => { output: string; code: number; exit?: number };

/**
 * The fake shell understands `echo …` (with `$$`), `touch F`, `rm F`, `cat F`, `test -f F`, `seq A B`,
 * `stty size`, `true`, `false` and `exit N`, joined with `;`. Unknown commands fail with 127.
 */
function interpreter(files: Map<string, string>, pid: number): Interpreter {
  return (line, size) => {
    let output = '';
    let code = 0;
    for (const command of line
      .split(';')
      .map((c) => c.trim())
      .filter(Boolean)) {
      const [name, ...args] = command.split(/\s+/);
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

  constructor(run: Interpreter, size: { cols: number; rows: number }) {
    this.#run = run;
    this.#size = { ...size };
    queueMicrotask(() => this.#emit('fake$ '));
  }

  onData(listener: (data: Uint8Array) => void): Disposable {
    this.#data.add(listener);
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
    if (this.#paused) this.#pending.push(chunk);
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
  readonly #run: Interpreter;
  readonly #shells = new Set<FakeShell>();
  disposed = false;

  constructor(spec: MachineSpec, pid: number) {
    this.name = spec.name;
    for (const file of spec.files) this.files.set(file.path, file.content);
    this.#run = interpreter(this.files, pid);
  }

  spawnShell(size: { cols: number; rows: number }): Pty {
    const shell = new FakeShell(this.#run, size);
    this.#shells.add(shell);
    return shell;
  }

  async exec(script: string, _timeoutMs: number): Promise<ExecResult> {
    this.scripts.push(script);
    if (this.failWith && script.includes(this.failWith.match))
      return { code: this.failWith.code, output: this.failWith.output, timedOut: false, durationMs: 1 };
    let output = '';
    let code = 0;
    for (const line of script.split('\n').filter((l) => l.trim())) {
      const result = this.#run(line, { cols: 80, rows: 24 });
      output += result.output;
      code = result.code;
      if (result.exit !== undefined) break;
    }
    return { code, output, timedOut: false, durationMs: 1 };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const shell of this.#shells) shell.kill();
  }
}

/** The fake driver; `machines` lists every machine it made, for tests to look into. */
export class FakeDriver implements SandboxDriver {
  readonly name = 'fake';
  readonly machines: FakeMachine[] = [];
  /** Set by the test: what the next machine's init-time exec does (see {@link FakeMachine.failWith}). */
  failWith: FakeMachine['failWith'];
  #pid = 100;

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const machines = spec.machines.map((m) => {
      const machine = new FakeMachine(m, this.#pid++);
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
