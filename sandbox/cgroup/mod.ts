/**
 * cgroup budgets (memory, threads) for a child's process tree: one
 * interface, v1 and v2 implementations chosen by detection.
 *
 * @module
 */
export { DEFAULT_BUDGET } from "./cgroup.ts";
export type {
  CgroupManager,
  CgroupProbe,
  MemoryEvents,
  PidsEvents,
  ProcessGroup,
  ResourceBudget,
} from "./cgroup.ts";
export { detectCgroups, probeCgroups } from "./detect_cgroups.ts";
