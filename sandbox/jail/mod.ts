/**
 * The OS jail around every child: bubblewrap with seccomp, or flags only
 * where no jail works.
 *
 * @module
 */
export { FlagsOnlyJail } from "./flags_only.ts";
export { detectJail } from "./jail.ts";
export type { Isolation, Jail } from "./jail.ts";
