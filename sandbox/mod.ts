/**
 * Confinement of every child: its command line, the OS jail, cgroup budgets,
 * the confined bundler, and the guest code that runs inside the child.
 *
 * @module
 */
export * from "./command/mod.ts";
export * from "./jail/mod.ts";
export * from "./cgroup/mod.ts";
export * from "./bundle/mod.ts";
