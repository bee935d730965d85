/**
 * cgroup budgets (memory, threads) for a child's process tree: one
 * interface, v1 and v2 implementations.
 *
 * @module
 */
export { detectCgroups, probeCgroups } from "./cgroup.ts";
export type { CgroupManager, ProcessGroup } from "./cgroup.ts";
