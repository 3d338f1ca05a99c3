/**
 * @ix-playground/server: the reference playground server.
 * @packageDocumentation
 */
export { startServer, type PlaygroundServer } from './server.js';
export { runServer } from './run-server.js';
export { createDriver, registerDriver, driverNames, type DriverFactory } from './drivers.js';
export { configFromEnv, isLoopback, ConfigError, type ServerConfig } from './config.js';
export { parseManifest, checkManifest, loadManifest, loadManifests } from './manifest.js';
export { manifestSchema, type Manifest, type ManifestTask } from './manifest-schema.js';
export { BwrapDriver, type BwrapDriverOptions } from './bwrap-driver.js';
export { HostDriver } from './host-driver.js';
export {
  learnerEnv,
  singleMachine,
  type Sandbox,
  type SandboxDriver,
  type SandboxSpec,
  type Machine,
  type MachineSpec,
  type SandboxUsage,
  type ExecResult,
} from './sandbox.js';
export type { Pty } from './pty.js';
export { spawnLocalPty, type LocalPtyOptions } from './node-pty-process.js';
export { PlaygroundSession, INIT_TIMEOUT_MS, type PlaygroundSessionEvents, type PlaygroundSessionOptions } from './playground-session.js';
export { SessionManager, type SessionLimits } from './session-manager.js';
export { TaskRunner, type TaskRunnerOptions, type TaskRunnerEvents, type RunOptions } from './task-runner.js';
export { WebhookSender, sendTaskEvents, signWebhook, type WebhookEvent, type WebhookOptions, type TaskEventSource } from './webhook.js';
export { ManifestWatcher, type ManifestWatcherOptions, type LiveSessions } from './manifest-watcher.js';
export { RingBuffer } from './ring-buffer.js';
export { OriginPolicy } from './origin-policy.js';
export { ManifestError, SandboxError } from './errors.js';
