// Labels every door with its name, whether it is open and the score (text
// fields), and logs who opened it (an event, delivered the tick after).
// A door without a Label gets one: `optional` ships Label where present.
import { defineSystem } from "@syncra/std";
import { Door, DoorOpened, Label, Score } from "./_components.ts";

export default defineSystem({
  queries: { doors: { reads: [Door], writes: [Label], optional: [Label] } },
  resources: { reads: [Score] },
  receives: [DoorOpened],
  spawns: true,
  run(ctx) {
    const doors = ctx.query("doors");
    const door = doors.read(Door), labelled = doors.has(Label), text = doors.write(Label).text;
    const { points } = ctx.resource(Score);
    for (let i = 0; i < doors.count; i++) {
      const wanted = `${door.name[i]} · ${door.open[i] ? "open" : "closed"} · score ${points}`;
      if (!labelled[i]) ctx.add(doors.entities[i]!, Label, { text: wanted, height: 1.5 });
      else if (text[i] !== wanted) text[i] = wanted;
    }
    for (const e of ctx.events(DoorOpened)) ctx.log(`player ${e.by} opened door ${e.door}`);
  },
});
