/**
 * The parts of std the runtime shares with the guest that are not script
 * API (column arrays, value flattening). Scripts import `@syncra/std` instead.
 *
 * @module
 */
export { fieldArray, fieldSpecOf, flattenFieldValue, utf8Length } from "./component.ts";
export type { FieldArray, FieldInfo, FlatField } from "./component.ts";
