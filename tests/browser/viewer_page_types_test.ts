/**
 * The viewer's page is TypeScript bundled for the browser by the trusted
 * side; nothing else type-checks it (the world's own check starts at
 * main.ts), so this test does.
 */
import assert from "node:assert/strict";

Deno.test("the viewer's page type-checks", async () => {
  const page = new URL("../../drivers/viewer/page/main.ts", import.meta.url);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", page.pathname],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
});
