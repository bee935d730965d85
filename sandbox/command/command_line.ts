/**
 * Grants → the exact `deno run` command line of a script's process
 * (DESIGN §4). The line is minimal and explicit so `deno task explain` can
 * show it: no `--allow-*` for a script with only ECS grants, `--allow-ffi`
 * only for a driver approved for exactly those libraries, never
 * `--allow-run`, `--allow-env`, `--allow-sys` or `-A`. The environment is
 * built here too, never inherited: a driver's owner-approved `env` (fixed
 * values for the native libraries it loads) is the only thing added, and no
 * name that steers Deno, the dynamic loader or glibc may be set that way.
 *
 * @module
 */
import { ManifestError } from "../../runtime/protocol/mod.ts";

/** What a script's process is allowed, after the world's owner approved it. */
export interface ChildGrants {
  /** Approved `host:port` pairs. */
  net: readonly string[];
  /** Approved private folder (absolute), or null. */
  storageDir: string | null;
  /** Approved `host:port` addresses to listen on (drivers). */
  serve?: readonly string[];
  /** Approved absolute paths to read, and to read and write (drivers). */
  read?: readonly string[];
  write?: readonly string[];
  /** Approved absolute paths of native libraries (drivers). */
  ffi?: readonly string[];
  /** Whether WebGPU stays visible (drivers). */
  gpu?: boolean;
  /**
   * Environment variables the owner set for the driver's native libraries
   * (`XR_RUNTIME_JSON`), names checked with {@linkcode validateEnvName}.
   */
  env?: Readonly<Record<string, string>>;
  /** Absolute paths bound read-only into the jail for its native libraries (no Deno flag). */
  mount?: readonly string[];
}

/** Everything needed to build a script's command line. */
export interface ChildCommandSpec {
  /** Absolute path of the deno binary. */
  denoPath: string;
  /** Absolute path of the script's bundle. */
  bundlePath: string;
  /** V8 old-space cap in MiB. @default 128 */
  heapMb: number;
  grants: ChildGrants;
}

/** A process to start: program, arguments and the complete environment. */
export interface ChildCommand {
  program: string;
  args: string[];
  /** The whole environment; nothing is inherited. */
  env: Record<string, string>;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5})$/;

/** Validates one `host:port` grant; throws ManifestError naming it. */
export function validateNetGrant(grant: unknown): string {
  if (typeof grant !== "string" || !HOST_PORT.test(grant)) {
    throw new ManifestError(
      `Invalid net grant ${
        JSON.stringify(grant)
      }: expected "host:port" with no wildcard, comma, "=" or whitespace`,
    );
  }
  const port = Number(grant.slice(grant.lastIndexOf(":") + 1));
  if (port < 1 || port > 65535) {
    throw new ManifestError(`Invalid net grant "${grant}": port must be 1-65535`);
  }
  return grant;
}

/**
 * Names no approval may set: each changes how Deno enforces its flags
 * (`DENO_PERMISSION_BROKER_PATH`, `DENO_V8_FLAGS`, …), loads code besides the
 * approved libraries (`LD_PRELOAD`, `GCONV_PATH`, `GLIBC_TUNABLES`), or where
 * the child's network and files go (proxies, `PATH`, `HOME`, `TMPDIR`).
 */
const RESERVED_ENV =
  /^(DENO_|LD_|NODE_|NPM_|RUST_|V8_|GLIBC_|MALLOC_|SSL_|DYLD_)|^(PATH|HOME|PWD|TMPDIR|NO_COLOR|GCONV_PATH|LOCPATH|NLSPATH|HOSTALIASES|RES_OPTIONS|LOCALDOMAIN|HTTP_PROXY|HTTPS_PROXY|ALL_PROXY|NO_PROXY|TZDIR)$/;

/** Validates the name of an approved environment variable; throws ManifestError naming it. */
export function validateEnvName(name: string): string {
  if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(name)) {
    throw new ManifestError(
      `Invalid environment variable name ${
        JSON.stringify(name)
      }: expected capital letters, digits and "_", starting with a letter (up to 64)`,
    );
  }
  if (RESERVED_ENV.test(name)) {
    throw new ManifestError(
      `Cannot approve environment variable "${name}": it steers Deno, the dynamic loader, glibc ` +
        `or where the child connects, which no approval may change`,
    );
  }
  return name;
}

/** Validates an approved environment variable's value: text without NUL, up to 4096 bytes. */
export function validateEnvValue(name: string, value: unknown): string {
  if (typeof value !== "string" || value.includes("\0") || value.length > 4096) {
    throw new ManifestError(
      `Invalid value for environment variable "${name}": expected a string without NUL, up to ` +
        `4096 characters`,
    );
  }
  return value;
}

function validatePath(path: string, what: string): string {
  if (!path.startsWith("/") || /[,=\n\r\0*]/.test(path)) {
    throw new ManifestError(
      `Invalid ${what} path ${JSON.stringify(path)}: must be absolute without , = * or newlines`,
    );
  }
  return path;
}

/** The deno arguments for a script, grants validated. */
export function deriveDenoArgs(spec: ChildCommandSpec): string[] {
  const heap = Math.floor(spec.heapMb);
  if (!(heap >= 16 && heap <= 65536)) throw new RangeError(`Invalid heap cap: ${spec.heapMb} MiB`);
  const args = [
    "run",
    "--no-prompt",
    "--no-remote",
    "--no-npm",
    "--no-config",
    "--no-lock",
    `--v8-flags=--max-old-space-size=${heap},--disallow-code-generation-from-strings`,
  ];
  const g = spec.grants;
  // Deno's --allow-net covers both connecting and listening: one flag for net and serve.
  const net = [...new Set([...g.net, ...(g.serve ?? [])])];
  if (net.length > 0) args.push(`--allow-net=${net.map(validateNetGrant).join(",")}`);
  const storage = g.storageDir === null ? [] : [validatePath(g.storageDir, "storage")];
  const write = [...storage, ...(g.write ?? []).map((p) => validatePath(p, "write"))];
  const read = [...new Set([...write, ...(g.read ?? []).map((p) => validatePath(p, "read"))])];
  if (read.length > 0) args.push(`--allow-read=${read.join(",")}`);
  if (write.length > 0) args.push(`--allow-write=${write.join(",")}`);
  const ffi = [...new Set((g.ffi ?? []).map((p) => validatePath(p, "ffi")))];
  if (ffi.length > 0) args.push(`--allow-ffi=${ffi.join(",")}`);
  args.push(validatePath(spec.bundlePath, "bundle"));
  // The script learns where its storage is from its arguments (Deno.args needs no permission).
  if (spec.grants.storageDir !== null) args.push(`--storage=${spec.grants.storageDir}`);
  // And a driver that it may listen: the guest then keeps Deno.serve and Deno.listen.
  if ((g.serve?.length ?? 0) > 0) args.push("--serve");
  // And one approved for gpu that navigator.gpu stays (hardening.ts hides it from the rest).
  if (g.gpu) args.push("--gpu");
  return args;
}

let vulkan: boolean | null = null;

/** Whether a Vulkan driver (an ICD manifest) is installed on this machine. */
function vulkanInstalled(): boolean {
  if (vulkan !== null) return vulkan;
  vulkan = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d"].some((dir) => {
    try {
      return [...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".json"));
    } catch {
      return false;
    }
  });
  return vulkan;
}

/** The complete command of a script's process, before any jail wraps it. */
export function deriveChildCommand(spec: ChildCommandSpec): ChildCommand {
  const gpu = spec.grants.gpu === true;
  const backend = gpu
    ? Deno.env.get("DENO_WEBGPU_BACKEND") ?? (vulkanInstalled() ? "vulkan" : undefined)
    : undefined;
  // Checked again here, whoever built the grants (a remote host receives them over NATS).
  const approved = Object.entries(spec.grants.env ?? {}).map((
    [name, value],
  ) => [validateEnvName(name), validateEnvValue(name, value)]);
  for (const path of spec.grants.mount ?? []) validatePath(path, "mount");
  return {
    program: spec.denoPath,
    args: deriveDenoArgs(spec),
    // Deno reads no variable a script could abuse from this set; an inherited
    // DENO_PERMISSION_BROKER_PATH, for one, would override every flag above.
    env: {
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      // A driver approved for gpu gets the world's choice of WebGPU backend, else Vulkan where a
      // Vulkan driver is installed: wgpu's GL backend on Mesa's llvmpipe cannot compile some of
      // three.js's shaders (BatchedMesh's), its Vulkan one on lavapipe can.
      ...(backend ? { DENO_WEBGPU_BACKEND: backend } : {}),
      // And a runtime folder (the jail's fresh /tmp): Vulkan's window-system probe complains
      // on stderr, once per adapter, when there is none.
      ...(gpu ? { XDG_RUNTIME_DIR: "/tmp" } : {}),
      // The owner's fixed values for its native libraries (Deno code cannot read them: no
      // --allow-env); none can override the two above (reserved names).
      ...Object.fromEntries(approved),
    },
  };
}
