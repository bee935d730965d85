// The isolate baseline's worker (bench/worker_baseline.ts): the scripts'
// system, run in a Deno Worker with `permissions: "none"` on columns that
// either move here and back by transfer or live in a SharedArrayBuffer.
// No MessagePack, no validation: what is left is the cost of the isolate
// design itself.

let shared = null;

function run(p, count, dt) {
  for (let i = 0; i < count * 3; i++) p[i] += 1 * dt;
}

self.onmessage = (event) => {
  const m = event.data;
  if (m.t === "share") {
    shared = new Float32Array(m.p);
    return;
  }
  if (m.t === "shared-tick") {
    run(shared, m.count, m.dt);
    self.postMessage({ tick: m.tick });
    return;
  }
  // A transferred tick: the entity ids and the column arrive, the column goes back.
  const p = new Float32Array(m.p);
  run(p, m.count, m.dt);
  self.postMessage({ tick: m.tick, entities: m.entities, p: m.p }, [m.entities, m.p]);
};
