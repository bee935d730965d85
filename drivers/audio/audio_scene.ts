/**
 * The audio driver's copy of what it hears: every AudioSource, and what
 * places sources and listeners (Transform and Parent, Camera, Player), kept
 * up to date from the change feed.
 *
 * @module
 */
import {
  AudioSource,
  Camera,
  type ComponentType,
  type DriverChanges,
  Parent,
  Player,
  Transform,
} from "@syncra/std";
import { compose, normalize, type Pose, type Quat, type Vec3 } from "./pose.ts";

/** What the driver reads. */
export const AUDIO_READS: readonly ComponentType[] = [
  Transform,
  Parent,
  AudioSource,
  Camera,
  Player,
];

/** An AudioSource's values. */
export interface SourceValues {
  asset: string;
  tone: number;
  volume: number;
  loop: boolean;
  playing: boolean;
}

/** What of a Player places its ears: its head entity, or its tracked head pose. */
export interface PlayerHead {
  head: number;
  tracked: number;
  headPosition: Vec3;
  headRotation: Quat;
}

/** Parents further up than this (or a cycle) are not followed. */
const MAX_DEPTH = 16;

const vec3 = (a: ArrayLike<number>, i: number): Vec3 => [a[i * 3]!, a[i * 3 + 1]!, a[i * 3 + 2]!];
const quat = (a: ArrayLike<number>, i: number): Quat =>
  normalize([a[i * 4]!, a[i * 4 + 1]!, a[i * 4 + 2]!, a[i * 4 + 3]!]);

/** Sources, transforms, parents, cameras and players, by entity. */
export class AudioScene {
  /** Every AudioSource, by entity. */
  readonly sources: Map<number, SourceValues> = new Map();
  /** Every Camera's `active`, by entity. */
  readonly cameras: Map<number, boolean> = new Map();
  /** Every Player's head, by entity. */
  readonly players: Map<number, PlayerHead> = new Map();
  readonly #transforms = new Map<number, Pose>();
  readonly #parents = new Map<number, number>();

  /** Applies one feed (a snapshot replaces everything). */
  apply(changes: DriverChanges): void {
    if (changes.snapshot) {
      for (
        const map of [this.sources, this.cameras, this.players, this.#transforms, this.#parents]
      ) {
        map.clear();
      }
    }
    for (const id of changes.despawned) this.#forget(id);
    for (const [id, name] of changes.removed) this.#mapOf(name)?.delete(id);

    const t = changes.rows(Transform);
    for (let i = 0; i < t.entities.length; i++) {
      this.#transforms.set(t.entities[i]!, {
        position: vec3(t.columns.position, i),
        rotation: quat(t.columns.rotation, i),
        scale: vec3(t.columns.scale, i),
      });
    }
    const p = changes.rows(Parent);
    for (let i = 0; i < p.entities.length; i++) {
      this.#parents.set(p.entities[i]!, p.columns.entity[i]!);
    }
    const s = changes.rows(AudioSource);
    for (let i = 0; i < s.entities.length; i++) {
      const c = s.columns;
      this.sources.set(s.entities[i]!, {
        asset: c.asset[i] ?? "",
        tone: Number.isFinite(c.tone[i]) ? c.tone[i]! : 0,
        volume: Number.isFinite(c.volume[i]) ? c.volume[i]! : 0,
        loop: c.loop[i] !== 0,
        playing: c.playing[i] !== 0,
      });
    }
    const cam = changes.rows(Camera);
    for (let i = 0; i < cam.entities.length; i++) {
      this.cameras.set(cam.entities[i]!, cam.columns.active[i] !== 0);
    }
    const pl = changes.rows(Player);
    for (let i = 0; i < pl.entities.length; i++) {
      this.players.set(pl.entities[i]!, {
        head: pl.columns.head[i]!,
        tracked: pl.columns.tracked[i]!,
        headPosition: vec3(pl.columns.headPosition, i),
        headRotation: quat(pl.columns.headRotation, i),
      });
    }
  }

  /** Whether `id` has a Transform. */
  placed(id: number): boolean {
    return this.#transforms.has(id);
  }

  /** The entity's pose in the world (its Transform under its parents'), or null without one. */
  worldPose(id: number): Pose | null {
    let pose = this.#transforms.get(id);
    if (!pose) return null;
    let at = id;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const parent = this.#parents.get(at);
      if (parent === undefined || parent === 0 || parent === id) break;
      const above = this.#transforms.get(parent);
      if (!above) break;
      pose = compose(above, pose);
      at = parent;
    }
    return pose;
  }

  #mapOf(component: string): Map<number, unknown> | null {
    switch (component) {
      case "Transform":
        return this.#transforms;
      case "Parent":
        return this.#parents;
      case "AudioSource":
        return this.sources;
      case "Camera":
        return this.cameras;
      case "Player":
        return this.players;
      default:
        return null;
    }
  }

  #forget(id: number): void {
    for (const map of [this.sources, this.cameras, this.players, this.#transforms, this.#parents]) {
      map.delete(id);
    }
  }
}
