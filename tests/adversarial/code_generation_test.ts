import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  attackFolder,
  runAttacks,
} from "./_attack.ts";

const ATTACKS = ["eval_string", "worker_data_url"];

Deno.test("code built from strings never runs and no Worker can be started, from a data: URL or otherwise", async () => {
  await using folder = await attackFolder(ATTACKS);
  const ticks = 6;
  const run = await runAttacks(folder, ticks, { deadlineMs: 2000 });
  const disallowed = /^EvalError: Code generation from strings disallowed for this context$/;
  assertDenied(run, "eval_string", {
    eval: disallowed,
    indirectEval: disallowed,
    newFunction: disallowed,
    functionConstructor: disallowed,
    asyncFunction: disallowed,
    generatorFunction: disallowed,
    setTimeoutString: /^TypeError: The "callback" argument must be of type function/,
    setIntervalString: /^TypeError: The "callback" argument must be of type function/,
  });
  // The host deletes Worker before any user code exists (data: URL Workers need no permission).
  assertDenied(run, "worker_data_url", {
    typeofWorker: /^OK: undefined$/,
    newWorker: /^TypeError: globalThis\.Worker is not a constructor$/,
    selfWorker: /^TypeError: self\.Worker is not a constructor$/,
    sharedWorker: /^TypeError: globalThis\.SharedWorker is not a constructor$/,
  });
  assertConfined(run, ATTACKS);
  assertKeptTicking(run, ticks);
});
