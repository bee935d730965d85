/**
 * Validation of the manifest a driver reports in its `hello` (role
 * "driver"). The child is untrusted: everything is checked here.
 *
 * @module
 */
import { isValidName, resolveSchema } from "../../std/mod.ts";
import type { WireDriverManifest, WireSchema } from "../protocol/mod.ts";
import { ManifestError, quoteUntrusted } from "../protocol/mod.ts";
import { toWireSchema } from "../ecs/mod.ts";
import { validateNetGrant } from "../../sandbox/command/mod.ts";
import { nameFromFile, replicatedOf } from "./system_manifest.ts";

/** A validated driver manifest. */
export interface DriverManifest extends WireDriverManifest {
  /** The name it asks for, or its file's name. */
  name: string;
}

const MAX_COMPONENTS = 64;
const PORT_TYPE = /^[A-Za-z0-9/+.-]{1,64}$/;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks a raw driver manifest; throws ManifestError naming the file and the problem. */
export function validateDriverManifest(raw: unknown, file: string): DriverManifest {
  const bad = (why: string) => new ManifestError(`Invalid driver manifest in "${file}": ${why}`);
  if (!isRecord(raw)) throw bad("not an object");
  let name = nameFromFile(file);
  if (raw.name !== null && raw.name !== undefined) {
    if (!isValidName(raw.name)) throw bad(`name ${quoteUntrusted(raw.name)} is not a valid name`);
    name = raw.name;
  }
  const list = (value: unknown, key: string): string[] => {
    value ??= [];
    if (!Array.isArray(value) || value.length > MAX_COMPONENTS || !value.every(isValidName)) {
      throw bad(`"${key}" must list at most ${MAX_COMPONENTS} components`);
    }
    return [...new Set(value)];
  };
  const reads = list(raw.reads, "reads");
  const writes = list(raw.writes, "writes");
  const components: Record<string, WireSchema> = {};
  const modules: Record<string, string | null> = {};
  const claimed = isRecord(raw.modules) ? raw.modules : {};
  for (const c of new Set([...reads, ...writes])) {
    try {
      components[c] = toWireSchema(
        resolveSchema(c, isRecord(raw.components) ? raw.components[c] : undefined),
      );
    } catch (error) {
      throw bad((error as Error).message);
    }
    const module = claimed[c];
    modules[c] = typeof module === "string" ? module.slice(0, 256) : null;
  }
  const caps = isRecord(raw.capabilities) ? raw.capabilities : {};
  const strings = (value: unknown, key: string): string[] => {
    value ??= [];
    if (!Array.isArray(value) || value.length > 64 || !value.every((v) => typeof v === "string")) {
      throw bad(`capabilities.${key} must be an array of at most 64 strings`);
    }
    return value.map((v) => v.slice(0, 1024));
  };
  const address = (values: string[], key: string) =>
    values.map((v) => {
      try {
        return validateNetGrant(v);
      } catch (error) {
        throw bad(`capabilities.${key}: ${(error as Error).message}`);
      }
    });
  const ports = (value: unknown, key: string): Record<string, string> => {
    value ??= {};
    if (!isRecord(value) || Object.keys(value).length > 32) {
      throw bad(`"${key}" must be an object of at most 32 ports`);
    }
    const out: Record<string, string> = {};
    for (const [port, type] of Object.entries(value)) {
      if (!isValidName(port) || typeof type !== "string" || !PORT_TYPE.test(type)) {
        throw bad(
          `port ${quoteUntrusted(port)} in "${key}" must be a name with a type like "pcm" or ` +
            `"image/png" (letters, digits, "/", "+", ".", "-"; up to 64)`,
        );
      }
      out[port] = type;
    }
    return out;
  };
  return {
    name,
    reads,
    writes,
    readsReplicated: raw.readsReplicated === true,
    spawns: raw.spawns === true,
    inputs: ports(raw.inputs, "inputs"),
    outputs: ports(raw.outputs, "outputs"),
    components,
    modules,
    replicated: replicatedOf(
      raw.replicated,
      Object.keys(components),
      `driver manifest in "${file}"`,
    ),
    capabilities: {
      serve: address(strings(caps.serve, "serve"), "serve"),
      net: address(strings(caps.net, "net"), "net"),
      read: strings(caps.read, "read"),
      write: strings(caps.write, "write"),
      ffi: strings(caps.ffi, "ffi").map((path) => {
        if (!path.startsWith("/") || path.includes("\0")) {
          throw bad(`capabilities.ffi: ${quoteUntrusted(path)} must be an absolute library path`);
        }
        return path;
      }),
      gpu: caps.gpu === true,
    },
  };
}
