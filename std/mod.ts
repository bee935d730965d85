/**
 * `@syncra/std`: the API that Syncra scripts import.
 *
 * A script's default export is a system made with {@linkcode defineSystem};
 * the components it reads and writes are its grants. The runtime bundles the
 * script, runs it in its own sandboxed process, and ships it only the columns
 * it declared.
 *
 * @example A spinning cube's system
 * ```ts
 * import { defineComponent, defineSystem, Transform } from "@syncra/std";
 * import assert from "node:assert/strict";
 *
 * export const Spin = defineComponent("Spin", { speed: "f32" });
 * const spinner = defineSystem({ reads: [Spin], writes: [Transform], run() {} });
 * assert.deepEqual(spinner.reads, [Spin]);
 * ```
 *
 * @module
 */
export {
  defineComponent,
  flattenFieldValue,
  isFieldType,
  isValidName,
  resolveSchema,
} from "./component.ts";
export type {
  ArrayFor,
  Columns,
  ComponentOptions,
  ComponentType,
  ComponentValue,
  FieldInfo,
  FieldSpec,
  FieldType,
  FieldTypeOf,
  FieldValue,
  FlatField,
  Schema,
} from "./component.ts";
export { defineSystem } from "./system.ts";
export { defineEvent, defineResource } from "./resource.ts";
export { defineDriver } from "./driver.ts";
export type {
  ComponentRows,
  DriverCapabilities,
  DriverChanges,
  DriverContext,
  DriverDefinition,
  DriverManifest,
} from "./driver.ts";
export type { EventType, PlainFieldValue, PlainValue, ResourceType } from "./resource.ts";
export type {
  Query,
  QueryRows,
  SystemCapabilities,
  SystemContext,
  SystemDefinition,
  SystemManifest,
} from "./system.ts";
export type {
  AudioSourceSchema,
  CameraSchema,
  InputSchema,
  LightSchema,
  MaterialSchema,
  MeshSchema,
  ParentSchema,
  PlayerSchema,
  TransformSchema,
  VelocitySchema,
} from "./builtins.ts";
export { RemoteChange } from "./remote_change.ts";
export type { RemoteChangeSchema, RemoteChangeValue } from "./remote_change.ts";
export {
  AudioSource,
  BUILTIN_COMPONENTS,
  Camera,
  Input,
  InputButton,
  Light,
  LightKind,
  Material,
  Mesh,
  MeshShape,
  Parent,
  Player,
  PlayerTracked,
  Transform,
  Velocity,
} from "./builtins.ts";
