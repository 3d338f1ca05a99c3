/**
 * @ix-playground/server: the reference playground server.
 * @packageDocumentation
 */
export { startServer, createDriver, type PlaygroundServer } from './server.js';
export { configFromEnv, isLoopback, ConfigError, type ServerConfig } from './config.js';
export { parseManifest, loadManifest, loadManifests } from './manifest.js';
export { manifestSchema, type Manifest, type ManifestTask } from './manifest-schema.js';
export { BwrapDriver, type BwrapDriverOptions } from './bwrap-driver.js';
export { HostDriver } from './host-driver.js';
export type { Sandbox, SandboxDriver, SandboxSpec, ExecResult } from './sandbox.js';
export { Session, type SessionOptions } from './session.js';
export { SessionManager, type SessionLimits } from './session-manager.js';
export { TaskRunner, type TaskRunnerOptions, type TaskRunnerEvents, type RunOptions } from './task-runner.js';
export { WebhookSender, sendTaskEvents, signWebhook, type WebhookEvent, type WebhookOptions, type TaskEventSource } from './webhook.js';
export { ManifestWatcher, type ManifestWatcherOptions, type LiveSessions } from './manifest-watcher.js';
export { RingBuffer } from './ring-buffer.js';
export { OriginPolicy } from './origin-policy.js';
export { ManifestError, SandboxError } from './errors.js';
