/**
 * Who hears the mix: the first active Camera (by entity id) that has a
 * Transform, as the viewer's "camera" view looks from it; else the first
 * Player's head — its `head` entity if it has one with a Transform, else its
 * tracked head pose (relative to the Player's Transform, the tracking
 * origin), else the Player's Transform; else the origin, looking down -z.
 *
 * @module
 */
import { PlayerTracked } from "@syncra/std";
import type { AudioScene } from "./audio_scene.ts";
import { compose, IDENTITY_POSE, type Pose } from "./pose.ts";

/** The listener's pose, and which entity it is (0: none, the origin). */
export interface Listener {
  pose: Pose;
  entity: number;
  kind: "camera" | "player" | "origin";
}

const lowest = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

/** The listener in `scene` now. */
export function chooseListener(scene: AudioScene): Listener {
  for (const id of lowest(scene.cameras.keys())) {
    if (!scene.cameras.get(id)) continue;
    const pose = scene.worldPose(id);
    if (pose) return { pose, entity: id, kind: "camera" };
  }
  for (const id of lowest(scene.players.keys())) {
    const player = scene.players.get(id)!;
    const head = player.head !== 0 ? scene.worldPose(player.head) : null;
    if (head) return { pose: head, entity: id, kind: "player" };
    const body = scene.worldPose(id);
    if (!body) continue;
    const tracked = (player.tracked & PlayerTracked.Head) !== 0;
    const pose = tracked
      ? compose(body, {
        position: player.headPosition,
        rotation: player.headRotation,
        scale: [1, 1, 1],
      })
      : body;
    return { pose, entity: id, kind: "player" };
  }
  return { pose: IDENTITY_POSE, entity: 0, kind: "origin" };
}
