/**
 * Remote changes (DESIGN §11, seed 001's script hooks): a value a driver
 * set in the world — a network client moving its avatar, a viewer page's
 * input, a joined world's mirror updating an entity — told to the systems
 * that care, the tick after it was applied. A system receives them with
 * `onRemoteChange(ctx, change)` (or `receives: [RemoteChange]` and
 * `ctx.events(RemoteChange)`), and may react with the tick's context:
 * clamp a value it writes, score a move, answer a player.
 *
 * @module
 */
import { defineEvent, type EventType } from "./resource.ts";

/** The schema of {@linkcode RemoteChange}. */
export type RemoteChangeSchema = {
  readonly entity: "entity";
  readonly component: { readonly type: "text"; readonly max: 64 };
  readonly driver: { readonly type: "text"; readonly max: 64 };
};

/** A component value a driver set on an entity: which entity, which component, which driver. */
export const RemoteChange: EventType<RemoteChangeSchema> = defineEvent("RemoteChange", {
  entity: "entity",
  component: { type: "text", max: 64 },
  driver: { type: "text", max: 64 },
});

/** One remote change, as a hook gets it. */
export interface RemoteChangeValue {
  readonly entity: number;
  readonly component: string;
  readonly driver: string;
}
