import assert from "node:assert/strict";
import {
  type ComponentRows,
  type ComponentType,
  type DriverChanges,
  PlayerTracked,
} from "@syncra/std";
import { AUDIO_READS, AudioScene } from "./audio_scene.ts";
import { chooseListener } from "./listener.ts";

type Row = Record<string, number | string | number[] | boolean>;

/** A snapshot feed holding these entities' components (only what the scene reads). */
function snapshot(entities: Record<number, Record<string, Row>>): DriverChanges {
  const rows = (type: ComponentType): ComponentRows => {
    const ids = Object.keys(entities).map(Number).filter((id) => entities[id]![type.name]);
    const columns: Record<string, unknown> = {};
    for (const f of type.fields) {
      const values = ids.flatMap((id) => {
        const v = entities[id]![type.name]![f.name];
        return v === undefined ? [...f.default] : Array.isArray(v) ? v : [v];
      });
      columns[f.name] = f.type === "text" ? values : Float64Array.from(values.map(Number));
    }
    return { entities: Uint32Array.from(ids), columns } as ComponentRows;
  };
  return {
    tick: 1,
    snapshot: true,
    despawned: new Uint32Array(0),
    removed: [],
    status: null,
    components: [],
    rows: rows as DriverChanges["rows"],
  };
}

const turned = [0, Math.SQRT1_2, 0, Math.SQRT1_2];

Deno.test("the listener is the active camera, else a player's head entity, else its tracked pose", () => {
  assert.equal(AUDIO_READS.length, 5);
  const scene = new AudioScene();
  scene.apply(snapshot({
    2: { Transform: { position: [0, 0, 5] }, Camera: { active: false } },
    3: { Transform: { position: [1, 2, 3] }, Camera: { active: true } },
    4: { Transform: { position: [0, 0, 0] }, Player: { head: 0 } },
    9: { Transform: {}, AudioSource: { tone: 440, playing: true } },
  }));
  assert.deepEqual(chooseListener(scene).entity, 3, "the first active camera");
  assert.deepEqual(chooseListener(scene).pose.position, [1, 2, 3]);
  assert.equal(scene.sources.get(9)?.tone, 440);

  const headed = new AudioScene();
  headed.apply(snapshot({
    4: { Transform: { position: [5, 0, 0] }, Player: { head: 6 } },
    6: { Transform: { position: [0, 1.6, 0] } },
  }));
  assert.deepEqual(chooseListener(headed).pose.position, [0, 1.6, 0], "its head entity");

  const tracked = new AudioScene();
  tracked.apply(snapshot({
    4: {
      Transform: { position: [5, 0, 0], rotation: turned },
      Player: { tracked: PlayerTracked.Head, headPosition: [0, 1.5, -1], headRotation: turned },
    },
  }));
  const pose = chooseListener(tracked).pose;
  // The head 1 m ahead of an origin turned to face -x: at x 4; turned twice: facing +z.
  assert.ok(
    pose.position.every((v, i) => Math.abs(v - [4, 1.5, 0][i]!) < 1e-6),
    `${pose.position}`,
  );
  assert.ok(Math.abs(pose.rotation[1] - 1) < 1e-6, `${pose.rotation}`);

  assert.equal(chooseListener(new AudioScene()).kind, "origin");
});
