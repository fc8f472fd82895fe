/**
 * The Kubernetes stacks' JWT signing key (infra/kubernetes/signingKey.ts), a dynamic resource instead of
 * @pulumi/random: its create makes a fresh letters-and-digits key, its diff keeps the key through every update that
 * leaves the length alone, and the resource asks the engine to keep `result` secret. The real engine's side (state
 * ciphertext, stable across `pulumi up`) is checked by tests/engine/kubernetes-up.test.ts.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { SIGNING_KEY_ALPHABET, SigningKey, signingKeyProvider } from "../../infra/kubernetes/signingKey";
import { runAnyStack } from "../../tools/lib/plan";

const inputs = { length: 48, alphabet: SIGNING_KEY_ALPHABET };

describe("Kubernetes JWT signing key (dynamic resource)", () => {
  it("creates a 48-character letters-and-digits key, a different one each time", async () => {
    const a = await signingKeyProvider.create(inputs);
    const b = await signingKeyProvider.create(inputs);
    assert.match(a.outs!.result, /^[A-Za-z0-9]{48}$/);
    assert.notEqual(a.outs!.result, b.outs!.result);
    assert.notEqual(a.id, b.id);
  });

  it("keeps the key through updates; only a new length replaces it", async () => {
    const created = await signingKeyProvider.create(inputs);
    const same = await signingKeyProvider.diff!(created.id, created.outs!, inputs);
    assert.deepEqual({ changes: same.changes, replaces: same.replaces }, { changes: false, replaces: [] });
    const longer = await signingKeyProvider.diff!(created.id, created.outs!, { ...inputs, length: 64 });
    assert.deepEqual({ changes: longer.changes, replaces: longer.replaces }, { changes: true, replaces: ["length"] });
  });

  it("is what the Kubernetes stacks register, marked secret, with no key among its inputs", async () => {
    const run = await runAnyStack("k8s-dev");
    const keys = run.resources.filter((r) => r.type === SigningKey.type);
    assert.equal(keys.length, 1);
    assert.equal(run.resources.filter((r) => r.type.startsWith("random:")).length, 0, "the Kubernetes path uses no @pulumi/random");
    assert.equal(keys[0].inputs.result, undefined);
    // What the engine reads to encrypt `result` in the state (seen for real in tests/engine).
    assert.deepEqual(keys[0].additionalSecretOutputs, ["result"]);
  });
});
