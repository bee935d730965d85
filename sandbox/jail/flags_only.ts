/**
 * The fallback when no OS jail is available: the command runs as derived,
 * limited by Deno's permission flags alone.
 *
 * @module
 */
import type { ChildCommand } from "../command/mod.ts";
import type { Isolation, Jail, JailMounts } from "./jail.ts";

/** No OS isolation: `wrap` returns the command unchanged. */
export class FlagsOnlyJail implements Jail {
  readonly isolation: Isolation = "flags-only";
  readonly description: string;

  /** @param reason Why no OS jail is available, shown in the description. */
  constructor(reason: string) {
    this.description = `FLAGS-ONLY, NO OS JAIL (${reason}): scripts are limited by Deno's ` +
      `permission flags (and the bundler and in-child host), without the mount and network ` +
      `namespaces that would back them up if a way around the flags were found; ` +
      `install bubblewrap (Debian package "bubblewrap") to jail them`;
  }

  wrap(command: ChildCommand, _mounts: JailMounts): ChildCommand {
    return command;
  }
}
