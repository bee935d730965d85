/// <reference lib="dom" />
// The inspector beside the view: the world's scripts and drivers with their state, its log, the
// entity list with a search, and the selected entity's components — editable as JSON when the
// world runs with --editable (the world validates every edit; a refusal comes back as a message).

type Plain = Record<string, number | boolean | string | number[]>;
type Components = Record<string, Plain>;

/** A script's or driver's state, as the runtime reports it. */
export interface ChildStatus {
  name: string;
  state: string;
  restarts: number;
  violations: number;
  errors?: number;
  stale?: boolean;
  erroring?: boolean;
  lastError: string | null;
}

/** The world's state, about once a second. */
export interface WorldStatus {
  tick: number;
  hz: number;
  p50: number;
  entities: number;
  scripts: ChildStatus[];
  drivers: ChildStatus[];
  log: string[];
}

/** What the inspector needs from the page. */
export interface InspectorSource {
  entities: ReadonlyMap<number, { components: Components }>;
  player: number;
  editable: boolean;
  edit(entity: number, component: string, values: Plain): void;
  say(text: string): void;
}

const element = (id: string) => document.getElementById(id)!;

/** A field's value as people read it: f32 noise rounded away (0.30000001 → 0.3), arrays inline. */
function shown(value: unknown): string {
  if (typeof value === "number") return String(Number(value.toPrecision(6)));
  if (Array.isArray(value)) return `[${value.map(shown).join(", ")}]`;
  return JSON.stringify(value);
}

/** An entity's components, one field per line under each component's name. */
export function describe(components: Components): string {
  return Object.entries(components).map(([name, fields]) =>
    `${name}\n${Object.entries(fields).map(([f, v]) => `  ${f}: ${shown(v)}`).join("\n")}`
  ).join("\n");
}

/** A component's values as editable JSON, rounded like {@linkcode describe}. */
function editableJson(value: Plain): string {
  return `{\n${
    Object.entries(value).map(([f, v]) => ` ${JSON.stringify(f)}: ${shown(v)}`).join(",\n")
  }\n}`;
}

export class Inspector {
  readonly #source: InspectorSource;
  readonly #list = element("entities");
  readonly #details = element("details");
  readonly #search = element("search") as HTMLInputElement;
  readonly #world = element("world");
  readonly #log = element("log");
  /** The selected entity (0: none). */
  selected = 0;
  /** The world's status as last sent. */
  status: WorldStatus | null = null;

  constructor(source: InspectorSource) {
    this.#source = source;
    this.#search.oninput = () => this.renderList();
  }

  /** Whether keys typed into `target` belong to the inspector rather than the controls. */
  owns(target: EventTarget | null): boolean {
    return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
  }

  select(id: number): void {
    this.selected = id;
    this.renderList();
  }

  /** The world's scripts and drivers, its tick times and its log, as the runtime sent them. */
  renderStatus(w: WorldStatus): void {
    const row = (kind: string, c: ChildStatus) => {
      const tr = document.createElement("tr");
      const bad = c.state !== "running" || c.stale || c.erroring || c.violations > 0;
      if (bad) tr.className = "bad";
      const cells = [
        `${kind} ${c.name}`,
        `${c.state}${c.stale ? " (stale)" : ""}${c.erroring ? " (erroring)" : ""}`,
        `${c.restarts} restarts`,
        `${c.violations} violations`,
      ];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      if (c.lastError) tr.title = c.lastError;
      return tr;
    };
    const head = document.createElement("div");
    head.textContent = `tick ${w.tick} · ${w.hz.toFixed(1)} Hz · p50 ${
      w.p50.toFixed(2)
    } ms · ${w.entities} entities · `;
    const graph = document.createElement("a");
    graph.href = "graph.svg";
    graph.target = "_blank";
    graph.textContent = "world graph";
    head.appendChild(graph);
    const table = document.createElement("table");
    for (const s of w.scripts) table.appendChild(row("system", s));
    for (const d of w.drivers) table.appendChild(row("driver", d));
    this.#world.replaceChildren(head, table);
    this.#log.textContent = w.log.slice(-20).join("\n");
    this.status = w;
  }

  /** The entity list (the first 500 matching the search) and the selected entity's details. */
  renderList(): void {
    const { entities, player, editable } = this.#source;
    const q = this.#search.value.trim().toLowerCase();
    const rows = [...entities].filter(([id, e]) =>
      q === "" || String(id).includes(q) ||
      Object.keys(e.components).some((c) => c.toLowerCase().includes(q))
    ).slice(0, 500);
    this.#list.replaceChildren(...rows.map(([id, e]) => {
      const li = document.createElement("li");
      li.textContent = `${id}${id === player ? " (you)" : ""}: ${
        Object.keys(e.components).join(", ")
      }`;
      if (id === this.selected) li.className = "selected";
      li.onclick = () => this.select(id);
      return li;
    }));
    const chosen = entities.get(this.selected);
    if (!chosen) {
      this.#details.textContent = "select an entity (in this list, or click it in the view)";
      return;
    }
    if (!editable) {
      this.#details.textContent = describe(chosen.components);
      return;
    }
    // Editable: each component as JSON with an apply button; the world validates the edit.
    this.#details.replaceChildren(
      ...Object.entries(chosen.components).map(([name, value]) => {
        const box = document.createElement("div");
        const area = document.createElement("textarea");
        area.value = editableJson(value);
        area.rows = Math.min(8, area.value.split("\n").length);
        area.style.width = "95%";
        const apply = document.createElement("button");
        apply.textContent = `apply ${name}`;
        apply.onclick = () => {
          try {
            this.#source.edit(this.selected, name, JSON.parse(area.value));
          } catch {
            this.#source.say(`${name}: not JSON`);
          }
        };
        box.append(document.createTextNode(name), area, apply);
        return box;
      }),
    );
  }
}
