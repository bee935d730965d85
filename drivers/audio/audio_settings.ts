/**
 * The audio driver's settings (`ctx.config`, from `syncra.json` or the
 * world's `--audio` and `--audio-out` flags), checked: a bad value is a
 * problem to log, and the driver runs on with the default for it.
 *
 * @module
 */

/** What the driver runs with. */
export interface AudioSettings {
  /** Absolute path of the WAV file to write, or null for none. @default null */
  out: string | null;
  /** Absolute path of the world's assets folder ("" for none). @default "" */
  assets: string;
  /**
   * The world's tick rate: one block of 48000 / hz frames per tick (0, an
   * unpaced world, counts as 60). @default 60
   */
  hz: number;
}

/** The settings and what was wrong with the config, if anything. */
export function audioSettings(
  config: Readonly<Record<string, unknown>>,
): { settings: AudioSettings; problems: string[] } {
  const problems: string[] = [];
  const settings: AudioSettings = { out: null, assets: "", hz: 60 };
  const { out, assets, hz } = config;
  if (typeof out === "string" && out.startsWith("/")) settings.out = out;
  else if (out !== undefined && out !== null) {
    problems.push(`setting "out" must be an absolute path or null, got ${JSON.stringify(out)}`);
  }
  if (typeof assets === "string" && (assets === "" || assets.startsWith("/"))) {
    settings.assets = assets;
  } else if (assets !== undefined) {
    problems.push(`setting "assets" must be an absolute path, got ${JSON.stringify(assets)}`);
  }
  if (typeof hz === "number" && Number.isFinite(hz) && hz >= 1 && hz <= 1000) settings.hz = hz;
  else if (hz !== undefined && hz !== 0) {
    problems.push(`setting "hz" must be a tick rate of 1 to 1000, got ${JSON.stringify(hz)}: 60`);
  }
  return { settings, problems };
}
