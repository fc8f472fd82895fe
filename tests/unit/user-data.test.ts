/**
 * The slots' user data is the boot script gzip-compressed (infra/aws/userData.ts), which cloud-init decompresses
 * before it runs it. Python's gzip module (what cloud-init's `decomp_gzip` uses) is the independent reader here: it
 * must turn each launch template's bytes back into the shell script; and the shared decoder that every scan goes
 * through must see what is inside the compression, so a planted secret cannot hide there.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { decodeUserData, encodeUserData, userDataBytes } from "../../infra/aws/userData";
import { MOCK_TLS_PRIVATE_KEY } from "../../tools/lib/mockCloud";
import { VENV_BIN } from "../../tools/lib/restore/moto";
import { runStack } from "../../tools/lib/plan";

/** The text Python's gzip module (cloud-init's decompressor) reads from base64 user data. */
function pythonGunzip(encoded: string): string {
  const script = "import base64, gzip, sys; sys.stdout.buffer.write(gzip.decompress(base64.b64decode(sys.stdin.read())))";
  return execFileSync(path.join(VENV_BIN, "python"), ["-c", script], { input: encoded }).toString("utf8");
}

describe("gzip user data", () => {
  let templates: string[];
  before(async () => {
    const run = await runStack("prod");
    templates = run.resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate").map((r) => String(r.inputs.userData));
  });

  it("gives each prod slot a gzip stream that cloud-init's decompressor turns into the boot script", () => {
    assert.equal(templates.length, 5);
    for (const encoded of templates) {
      const bytes = Buffer.from(encoded, "base64");
      assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], "gzip magic: cloud-init decompresses it");
      const script = pythonGunzip(encoded);
      assert.ok(script.startsWith("#!/bin/bash\n") && script.endsWith("steps_done\n"), "a whole shell script");
      assert.equal(decodeUserData(encoded), script, "the shared decoder reads what cloud-init reads");
      assert.ok(userDataBytes(encoded) < Buffer.byteLength(script) / 2, "compressed to under half");
    }
  });

  it("encodes any script so that Python's gzip gives it back byte for byte, and the same script always alike", () => {
    const script = "#!/bin/bash\necho 'ünïcode' \"$@\"\n";
    assert.equal(pythonGunzip(encodeUserData(script)), script);
    assert.equal(encodeUserData(script), encodeUserData(script), "no timestamp in the gzip header: no spurious launch template version");
  });

  it("reads plain base64 as-is, nothing as empty, and refuses corrupt gzip instead of judging it clean", () => {
    assert.equal(decodeUserData(Buffer.from("#!/bin/bash\ntrue\n").toString("base64")), "#!/bin/bash\ntrue\n");
    assert.equal(decodeUserData(undefined), "");
    const truncated = Buffer.from(encodeUserData("#!/bin/bash\n".repeat(50)), "base64").subarray(0, 20).toString("base64");
    assert.throws(() => decodeUserData(truncated), /unexpected end of file/);
  });

  it("shows a private key planted inside a slot's compressed user data to the scans, which the raw bytes hide", () => {
    const planted = encodeUserData(`${decodeUserData(templates[0])}\nKEY='${MOCK_TLS_PRIVATE_KEY}'\n`);
    // Negative control: the compressed bytes (and their base64) do not show the header, so a scan must decompress.
    assert.ok(!Buffer.from(planted, "base64").toString("latin1").includes("PRIVATE KEY") && !planted.includes("PRIVATE KEY"));
    assert.match(decodeUserData(planted), /-----BEGIN PRIVATE KEY-----/);
  });
});
