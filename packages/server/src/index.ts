/**
 * @ix-playground/server: the reference playground server. What a program that embeds it uses:
 * start it, configure it, check manifests, add a sandbox driver, verify its webhooks. The rest
 * (gateway, sessions, terminals, the local sandbox machinery) is internal.
 * @packageDocumentation
 */
export { startServer, type PlaygroundServer } from './server.js';
export { runServer } from './run-server.js';
export { configFromEnv, isLoopback, ConfigError, type ServerConfig } from './config.js';
export { parseManifest, checkManifest, loadManifest, loadManifests } from './manifest/manifest.js';
export { manifestSchema, describeImage, type Manifest, type ManifestTask, type ImageSpec } from './manifest/manifest-schema.js';
export { createDriver, registerDriver, driverNames, type DriverFactory } from './sandbox/drivers.js';
export {
  learnerEnv,
  singleMachine,
  goneError,
  goneResult,
  NO_USAGE,
  MAX_EXEC_OUTPUT,
  type Sandbox,
  type SandboxDriver,
  type SandboxSpec,
  type Machine,
  type MachineSpec,
  type SandboxUsage,
  type ExecResult,
} from './sandbox/sandbox.js';
export type { Pty } from './sandbox/pty.js';
export type { SessionManager, SessionLimits } from './session/session-manager.js';
export type { PlaygroundSession } from './session/playground-session.js';
export type { SnapshotInfo } from './session/snapshot-store.js';
export type { SessionSummary } from './http/admin-api.js';
export { signWebhook, type WebhookEvent } from './tasks/webhook.js';
export { PlaygroundError, ManifestError, SandboxError, LimitError, ErrorCode } from './errors.js';
export { buildAgentImage, pushImage } from './sandbox/kubernetes/agent-image.js';
