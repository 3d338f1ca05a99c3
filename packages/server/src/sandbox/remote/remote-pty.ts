import type { Disposable } from '@ix-playground/sdk/disposable';
import type { Pty } from '../pty.js';

/** How a {@link RemotePty} reaches its shell: each call becomes a message to the agent. */
export interface RemotePtyLink {
  write(data: Uint8Array): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(): void;
}

/**
 * A shell in a machine across a network. Output that arrives before anyone listens is kept for
 * the first listener, as a local pty's kernel buffer would keep it; the exit is reported once,
 * after the output that came before it.
 */
export class RemotePty implements Pty {
  readonly #link: RemotePtyLink;
  readonly #data = new Set<(data: Uint8Array) => void>();
  readonly #exit = new Set<(code: number | null) => void>();
  #early: Uint8Array[] = [];
  #exited: { code: number | null } | undefined;

  constructor(link: RemotePtyLink) {
    this.#link = link;
  }

  /** Output from the agent. */
  push(data: Uint8Array): void {
    if (this.#exited) return;
    if (!this.#data.size) this.#early.push(data);
    else for (const listener of this.#data) listener(data);
  }

  /** The shell exited (null: killed, or the agent is gone). */
  exit(code: number | null): void {
    if (this.#exited) return;
    this.#exited = { code };
    if (this.#data.size || !this.#early.length) for (const listener of this.#exit) listener(code);
  }

  onData(listener: (data: Uint8Array) => void): Disposable {
    this.#data.add(listener);
    if (this.#data.size === 1 && this.#early.length) {
      const early = this.#early;
      this.#early = [];
      for (const chunk of early) listener(chunk);
      if (this.#exited) for (const exit of this.#exit) exit(this.#exited.code);
    }
    return { dispose: () => this.#data.delete(listener) };
  }

  onExit(listener: (code: number | null) => void): Disposable {
    this.#exit.add(listener);
    // It may have exited before anyone asked: tell a late listener too, once the output is read.
    const exited = this.#exited;
    if (exited && !this.#early.length) queueMicrotask(() => this.#exit.has(listener) && listener(exited.code));
    return { dispose: () => this.#exit.delete(listener) };
  }

  write(data: Uint8Array): void {
    if (!this.#exited) this.#link.write(data);
  }

  resize(cols: number, rows: number): void {
    if (!this.#exited) this.#link.resize(cols, rows);
  }

  pause(): void {
    if (!this.#exited) this.#link.pause();
  }

  resume(): void {
    if (!this.#exited) this.#link.resume();
  }

  kill(): void {
    if (!this.#exited) this.#link.kill();
  }
}
