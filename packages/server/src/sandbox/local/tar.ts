import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';

/**
 * A tar of a folder's contents, streamed (numeric owners, permissions and special files kept). The
 * stream may be read later: tar waits for its reader (Node drains a child's output nobody listens
 * to when the child exits, so it is piped through at once), and fails when tar does.
 */
export function tarOf(dir: string): Promise<Readable> {
  const child = spawn('tar', ['--numeric-owner', '-C', dir, '-cpf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  child.on('error', (error) => out.destroy(error));
  // The stream ends when tar has exited well, so a tar that fails halfway is never taken for a whole one.
  child.on('close', (code) => (code === 0 ? out.end() : out.destroy(new Error(stderr.trim() || `tar exited with ${code}`))));
  child.stdout.pipe(out, { end: false });
  // A reader that stops early (a size limit, say) stops tar too, instead of leaving it blocked on a full pipe.
  out.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdout.destroy();
  });
  return Promise.resolve(out);
}

/** Unpacks a tar stream into a folder (as root: owners, permissions and special files kept). */
export async function untar(tar: Readable, dir: string): Promise<void> {
  const child = spawn('tar', ['--numeric-owner', '-C', dir, '-xpf', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let unreadable: Error | undefined;
  tar.once('error', (error) => {
    unreadable = error;
    child.kill('SIGKILL'); // a half-read archive is no archive
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `tar exited with ${code}`))));
  });
  // tar may stop reading at the end-of-archive marker, before the padding after it: a pipe it
  // closed is no failure. What counts is how tar exited, and whether the source could be read.
  child.stdin.on('error', () => {});
  tar.pipe(child.stdin);
  const failed = await exited.then(
    () => undefined,
    (error: Error) => error,
  );
  const cause = unreadable ?? failed; // a source that failed is the cause, over tar's "killed"
  if (cause) throw cause;
}
