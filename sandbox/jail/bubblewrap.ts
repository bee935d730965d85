/**
 * The bubblewrap jail (DESIGN §4). A jailed script's process gets a mount
 * namespace holding only the deno binary, the shared libraries it links (found
 * with `ldd`) and the dynamic loader, the bundle (read-only, at its own path so
 * the command line stays true), an empty `/tmp` tmpfs for deno's cache, `/proc`,
 * a minimal `/dev` and, when granted, its storage folder (read-write), a driver's
 * approved paths, libraries and `mount` paths (read-only); the root
 * is read-only. It also gets new user, pid, ipc, uts and cgroup namespaces,
 * a network namespace of its own (only loopback) unless it holds a net grant,
 * no capabilities, a new session (no controlling terminal) and dies with the
 * runtime.
 *
 * bubblewrap passes every inherited descriptor on to its payload, and
 * `Deno.Command` does not close descriptors the runtime itself inherited
 * without close-on-exec (from a shell, an IDE, a CI runner). Inside the jail
 * such a descriptor is a way out: `import("file:///proc/self/fd/7")` opens the
 * host file behind it. So the jail starts with a bash one-liner that closes
 * every descriptor above 2 and then execs bwrap (POSIX sh cannot name
 * descriptors above 9).
 *
 * When the runtime runs as root, the jailed process is still uid 0 for files
 * on the host (without any capability): everything it can reach is what the
 * mounts above expose, so run the runtime as an ordinary user where possible.
 *
 * @module
 */
import { type ChildCommand, requireExecutable } from "../command/mod.ts";
import type { Isolation, Jail, JailMounts } from "./jail.ts";
import { denyListenFilter } from "./seccomp_filter.ts";

/** Deno's cache folder inside the jail, on the fresh `/tmp` tmpfs. */
export const JAIL_DENO_DIR = "/tmp/deno_dir";

/** The host name a jailed process sees. */
export const JAIL_HOSTNAME = "syncra";

/** Name resolution files bound read-only when the script holds a net grant. */
const NET_FILES = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf"] as const;

/**
 * What a native library (ffi) needs besides itself: the system's shared
 * libraries, read-only, and the loader's cache that finds them.
 */
const SYSTEM_LIBRARIES = [
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/etc/ld.so.cache",
] as const;

/**
 * What WebGPU needs besides the system's libraries: the Vulkan and GL
 * drivers' manifests and settings, and (for a real GPU) the device nodes and
 * what Mesa reads of sysfs to find them. All read-only but /dev/dri.
 */
const GPU_FILES = [
  "/usr/share/vulkan",
  "/etc/vulkan",
  "/usr/share/glvnd",
  "/usr/share/drirc.d",
  "/etc/drirc",
  "/sys/dev/char",
  "/sys/devices",
] as const;

/**
 * Closes every descriptor above 2, then execs its arguments with the seccomp
 * filter file (its first argument) open as descriptor 3, for `--seccomp 3`.
 */
const CLOSE_FDS_SCRIPT = '[ -d /proc/self/fd ] || { echo "syncra: cannot list /proc/self/fd ' +
  'to close inherited descriptors" >&2; exit 126; }; for f in /proc/self/fd/*; do n=${f##*/}; ' +
  'case $n in 0|1|2|*[!0-9]*) ;; *) { eval "exec $n>&-"; } 2>/dev/null ;; esac; done; ' +
  'filter=$1; shift; exec "$@" 3<"$filter"';

/** A file bound read-only into the jail: `source` on the host, `path` inside. */
export interface JailFile {
  readonly source: string;
  readonly path: string;
}

/** Options of {@linkcode BubblewrapJail.create}. */
export interface BubblewrapJailOptions {
  /** The deno binary the jail holds (symlinks are resolved). */
  denoPath: string;
  /** @default the first `bwrap` on PATH */
  bwrapPath?: string;
  /** @default the first `bash` on PATH */
  bashPath?: string;
  /** @default the first `ldd` on PATH */
  lddPath?: string;
}

/** Everything a {@linkcode BubblewrapJail} is built from. */
export interface BubblewrapJailConfig {
  bwrapPath: string;
  bwrapVersion: string;
  bashPath: string;
  /** The real file of the deno binary. */
  denoRealPath: string;
  /** The libraries and the dynamic loader deno needs, at the paths it loads them from. */
  libraries: readonly JailFile[];
  /** The compiled seccomp filter file. */
  seccompPath: string;
}

async function run(program: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(program, {
    args,
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", LC_ALL: "C" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(
      `"${program} ${args.join(" ")}" failed with exit code ${output.code}: ${stderr || stdout}`,
    );
  }
  return stdout;
}

/** The libraries `ldd` lists for `binary`, at the paths the loader finds them. */
async function sharedLibraries(lddPath: string, binary: string): Promise<JailFile[]> {
  const text = await run(lddPath, [binary]);
  const files = new Map<string, JailFile>();
  for (const line of text.split("\n")) {
    if (line.includes("=> not found")) {
      throw new Error(`"${binary}" needs a library that is missing: ${line.trim()}`);
    }
    const path = /=>\s*(\/\S+)\s+\(0x/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(0x/.exec(line)?.[1];
    if (path !== undefined && !files.has(path)) {
      files.set(path, { source: await Deno.realPath(path), path });
    }
  }
  return [...files.values()];
}

function checkMountPath(path: string, what: string): string {
  const segments = path.split("/");
  if (
    !path.startsWith("/") || path === "/" || path.endsWith("/") || path.includes("\0") ||
    segments.some((s, i) => i > 0 && (s === "" || s === "." || s === "..")) ||
    ["proc", "dev"].includes(segments[1] ?? "") || path === JAIL_DENO_DIR ||
    path.startsWith(`${JAIL_DENO_DIR}/`) || JAIL_DENO_DIR.startsWith(`${path}/`)
  ) {
    throw new TypeError(
      `Cannot mount ${what} ${JSON.stringify(path)} in the jail: expected a normalized ` +
        `absolute path outside /proc, /dev, /tmp and ${JAIL_DENO_DIR}`,
    );
  }
  return path;
}

/** Runs each script's process in its own bubblewrap sandbox. */
export class BubblewrapJail implements Jail {
  readonly isolation: Isolation = "jail";
  readonly description: string;
  readonly bwrapPath: string;
  readonly bashPath: string;
  /** The compiled seccomp filter (see seccomp_filter.ts), passed to bwrap as descriptor 3. */
  readonly seccompPath: string;
  readonly denoRealPath: string;
  readonly libraries: readonly JailFile[];
  #realPaths = new Map<string, string>();

  constructor(config: BubblewrapJailConfig) {
    this.seccompPath = config.seccompPath;
    this.bwrapPath = config.bwrapPath;
    this.bashPath = config.bashPath;
    this.denoRealPath = config.denoRealPath;
    this.libraries = config.libraries;
    this.description = `${config.bwrapVersion} jail: a mount namespace holding only deno, ` +
      `its ${config.libraries.length} libraries, the bundle, an empty /tmp, /proc, /dev and any ` +
      `granted storage folder; no network unless granted; new user, pid, ipc, uts and cgroup ` +
      `namespaces; no capabilities; no bind or listen (seccomp); new session; dies with the ` +
      `runtime; no inherited descriptors`;
  }

  /** Finds bwrap, bash and the libraries of deno; runs nothing inside a jail yet. */
  static async create(options: BubblewrapJailOptions): Promise<BubblewrapJail> {
    const bwrapPath = options.bwrapPath ?? requireExecutable("bwrap");
    const bwrapVersion = (await run(bwrapPath, ["--version"])).trim() || "bubblewrap";
    const denoRealPath = await Deno.realPath(options.denoPath);
    // A private file (created exclusively, mode 0600), removed when the runtime exits.
    const seccompPath = await Deno.makeTempFile({ prefix: "syncra-seccomp-", suffix: ".bpf" });
    await Deno.writeFile(seccompPath, denyListenFilter());
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(seccompPath);
      } catch {
        // Already gone.
      }
    });
    return new BubblewrapJail({
      seccompPath,
      bwrapPath,
      bwrapVersion,
      bashPath: options.bashPath ?? requireExecutable("bash"),
      denoRealPath,
      libraries: await sharedLibraries(options.lddPath ?? requireExecutable("ldd"), denoRealPath),
    });
  }

  /**
   * Runs `deno --version` in a jail with the flags scripts get (no network);
   * throws with bubblewrap's own message when it cannot.
   */
  async probe(): Promise<void> {
    const command = { program: this.denoRealPath, args: ["--version"], env: {} };
    const output = await new Deno.Command(this.bashPath, {
      args: this.#launch(command, null),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    if (!output.success || !stdout.startsWith("deno ")) {
      const detail = new TextDecoder().decode(output.stderr).trim() || stdout.trim();
      throw new Error(
        `A probe run of deno inside "${this.bwrapPath}" failed with exit code ${output.code}: ` +
          (detail || "no output"),
      );
    }
  }

  /**
   * The exact environment the jailed process sees: the command's, plus
   * `DENO_DIR` on the tmpfs and the `PWD` bubblewrap always exports.
   */
  childEnv(command: ChildCommand): Record<string, string> {
    return { ...command.env, DENO_DIR: JAIL_DENO_DIR, PWD: "/" };
  }

  wrap(command: ChildCommand, mounts: JailMounts): ChildCommand {
    return { program: this.bashPath, args: this.#launch(command, mounts), env: {} };
  }

  #realPath(path: string): string {
    let real = this.#realPaths.get(path);
    if (real === undefined) {
      real = Deno.realPathSync(path);
      this.#realPaths.set(path, real);
    }
    return real;
  }

  /** bash's arguments: close descriptors, then exec bwrap with its flags. */
  #launch(command: ChildCommand, mounts: JailMounts | null): string[] {
    if (this.#realPath(command.program) !== this.denoRealPath) {
      throw new TypeError(
        `Cannot jail "${command.program}": this jail holds "${this.denoRealPath}" only`,
      );
    }
    const args = [
      // bash takes a socket on fd 0 for an rsh/ssh session and sources ~/.bashrc, even with -c;
      // what a bashrc prints would land on the frame channel.
      "--norc",
      "-c",
      CLOSE_FDS_SCRIPT,
      "syncra-close-fds",
      this.seccompPath,
      this.bwrapPath,
      "--unshare-all",
    ];
    // No script may bind or listen, even on an address it may connect to; only a driver
    // approved for `serve` may, on the addresses its --allow-net names.
    if (!mounts?.serve) args.push("--seccomp", "3");
    if (mounts?.net || mounts?.serve) args.push("--share-net");
    args.push("--die-with-parent", "--new-session", "--cap-drop", "ALL");
    args.push("--hostname", JAIL_HOSTNAME, "--clearenv");
    for (const [key, value] of Object.entries(this.childEnv(command))) {
      if (key === "" || key.includes("=") || key.includes("\0")) {
        throw new TypeError(`Invalid environment variable name ${JSON.stringify(key)}`);
      }
      if (key !== "PWD") args.push("--setenv", key, value);
    }
    // The tmpfs comes first: later binds below /tmp (a bundle there) stay visible.
    args.push("--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev");
    for (const library of this.libraries) args.push("--ro-bind", library.source, library.path);
    args.push("--ro-bind", this.denoRealPath, command.program);
    if (mounts !== null) {
      const bundle = checkMountPath(mounts.bundlePath, "bundle");
      args.push("--ro-bind", bundle, bundle);
      if (mounts.storageDir !== null) {
        const storage = checkMountPath(mounts.storageDir, "storage folder");
        args.push("--bind", storage, storage);
      }
      if (mounts.net) { for (const file of NET_FILES) args.push("--ro-bind-try", file, file); }
      for (const path of mounts.readPaths ?? []) {
        // -try: a path the world does not have yet (an empty assets folder) is simply absent.
        args.push("--ro-bind-try", checkMountPath(path, "read path"), path);
      }
      for (const path of mounts.writePaths ?? []) {
        args.push("--bind", checkMountPath(path, "write path"), path);
      }
      const ffi = mounts.ffi ?? [];
      if (ffi.length > 0 || mounts.gpu) {
        for (const path of SYSTEM_LIBRARIES) args.push("--ro-bind-try", path, path);
      }
      for (const path of ffi) args.push("--ro-bind-try", checkMountPath(path, "library"), path);
      for (const path of mounts.mount ?? []) {
        args.push("--ro-bind-try", checkMountPath(path, "mount path"), path);
      }
      if (mounts.gpu) {
        for (const path of GPU_FILES) args.push("--ro-bind-try", path, path);
        args.push("--dev-bind-try", "/dev/dri", "/dev/dri");
      }
    }
    args.push("--remount-ro", "/", "--chdir", "/", "--", command.program, ...command.args);
    return args;
  }
}
