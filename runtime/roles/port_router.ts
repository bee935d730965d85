/**
 * The dataflow graph's ports (DESIGN §9): a driver sends bytes on one of its
 * `outputs`, and the runtime hands them to the drivers whose `inputs` are
 * wired to it — by name and type unless the world owner wired them in
 * `syncra.json` `"dataflow"` — within a budget per tick. A driver never
 * receives on a port it did not declare; bytes over the budget are dropped,
 * and the sender is told once.
 *
 * @module
 */
import type { DriverManifest } from "./driver_manifest.ts";

/** One wire the owner drew: `"driver.port"` to `"driver.port"`. */
export interface PortWire {
  from: string;
  to: string;
}

/** What a port router needs of a driver. */
export interface PortEndpoint {
  readonly name: string;
  /** The manifest of the version that runs now, if any. */
  readonly activeManifest: DriverManifest | null;
  /** Hands bytes to the running version, on its input `port`. */
  deliver(port: string, from: string, bytes: Uint8Array): void;
  /** Tells the world's owner something about this driver. */
  warn(message: string): void;
}

/** What one output may send per tick. */
export interface PortBudget {
  messages: number;
  bytes: number;
}

/** The defaults of {@linkcode PortBudget}: 64 messages and 1 MiB per output per tick. */
export const DEFAULT_PORT_BUDGET: Readonly<PortBudget> = Object.freeze({
  messages: 64,
  bytes: 1024 * 1024,
});

/** The wires between running drivers' ports, and the traffic on them this tick. */
export class PortRouter {
  readonly #endpoints: PortEndpoint[] = [];
  readonly #wiring: readonly PortWire[] | null;
  readonly #budget: Readonly<PortBudget>;
  readonly #used = new Map<string, { messages: number; bytes: number }>();
  readonly #warned = new Set<string>();

  /** `wiring` null: ports connect by name and type. */
  constructor(
    wiring: readonly PortWire[] | null,
    budget: Readonly<PortBudget> = DEFAULT_PORT_BUDGET,
  ) {
    this.#wiring = wiring;
    this.#budget = budget;
  }

  add(endpoint: PortEndpoint): void {
    this.#endpoints.push(endpoint);
  }

  /** A new tick for `endpoint`: its outputs' budgets start over. */
  beginTick(endpoint: PortEndpoint): void {
    for (const key of this.#used.keys()) {
      if (key.startsWith(`${endpoint.name}.`)) this.#used.delete(key);
    }
  }

  /** Where bytes on `from`'s output `port` go: the drivers and their input ports. */
  targets(from: PortEndpoint, port: string): { to: PortEndpoint; port: string }[] {
    const type = from.activeManifest?.outputs[port];
    if (type === undefined) return [];
    const out: { to: PortEndpoint; port: string }[] = [];
    if (this.#wiring) {
      for (const wire of this.#wiring) {
        if (wire.from !== `${from.name}.${port}`) continue;
        const [name, input] = wire.to.split(".") as [string, string];
        const to = this.#endpoints.find((e) => e.name === name);
        // Only a port the receiver declared, of the same type: anything else is not delivered.
        if (to?.activeManifest?.inputs[input] === type) out.push({ to, port: input });
      }
      return out;
    }
    for (const to of this.#endpoints) {
      if (to !== from && to.activeManifest?.inputs[port] === type) out.push({ to, port });
    }
    return out;
  }

  /** Routes bytes sent on `from`'s output `port`, within its budget. */
  route(from: PortEndpoint, port: string, bytes: Uint8Array): void {
    const key = `${from.name}.${port}`;
    const used = this.#used.get(key) ?? { messages: 0, bytes: 0 };
    if (
      used.messages + 1 > this.#budget.messages || used.bytes + bytes.length > this.#budget.bytes
    ) {
      if (!this.#warned.has(key)) {
        this.#warned.add(key);
        from.warn(
          `port "${port}" sent more than ${this.#budget.messages} messages or ` +
            `${this.#budget.bytes} bytes in one tick: the excess is dropped`,
        );
      }
      return;
    }
    used.messages++;
    used.bytes += bytes.length;
    this.#used.set(key, used);
    for (const { to, port: input } of this.targets(from, port)) {
      to.deliver(input, from.name, bytes);
    }
  }
}
