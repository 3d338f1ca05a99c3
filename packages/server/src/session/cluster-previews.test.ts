import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLUSTER_KEY_LENGTH, ClusterPreviewGrants, previewKey, previewSecret, readPreviewKey } from './cluster-previews.js';
import type { PlaygroundSession } from './playground-session.js';

const SECRET = 'the-gateways-shared-secret-0123456789';
const session = 'a1b2c3d4e5f60718293a';
const secretOf = (id: string) => previewSecret(SECRET, id);

describe('preview keys any gateway can check', () => {
  test('a key says its session, machine and port, fits a host name, and is the same every time', () => {
    const key = previewKey(secretOf(session), { session, index: 1, port: 8080 });
    assert.equal(key.length, CLUSTER_KEY_LENGTH);
    assert.ok(key.length <= 63 && /^[a-z2-7]+$/.test(key), key);
    assert.equal(previewKey(secretOf(session), { session, index: 1, port: 8080 }), key);
    assert.deepEqual(readPreviewKey(key, secretOf), { session, index: 1, port: 8080 });
  });

  test('a key signed with another secret, changed in any character, or cut short opens nothing', () => {
    const key = previewKey(secretOf(session), { session, index: 0, port: 3000 });
    assert.equal(
      readPreviewKey(key, (id) => previewSecret('another-secret-of-another-cluster-000', id)),
      undefined,
    );
    for (let i = 0; i < key.length; i++) {
      const changed = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      assert.equal(readPreviewKey(changed, secretOf), undefined, `character ${i} changed`);
    }
    assert.equal(readPreviewKey(key.slice(1), secretOf), undefined);
    assert.equal(readPreviewKey(key.toUpperCase(), secretOf), undefined);
  });

  test("an agent's grants name the machine's place and fill the gateways' URL pattern", () => {
    const grants = new ClusterPreviewGrants({ key: secretOf(session), session, url: 'https://{key}.preview.example.com/', machines: ['web', 'db'] });
    const info = grants.grant({} as PlaygroundSession, 'db', 5432, 'Database');
    assert.equal(info.title, 'Database');
    const key = /^https:\/\/([a-z2-7]+)\.preview\.example\.com\/$/.exec(info.url)?.[1] ?? '';
    assert.deepEqual(readPreviewKey(key, secretOf), { session, index: 1, port: 5432 });
  });
});
