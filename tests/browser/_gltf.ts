/**
 * Small glTF 2.0 models made from boxes and pyramids, one flat-shaded
 * material each, with the buffer embedded (a single `.gltf` file): the
 * viewer's tests load them, and the example world's tree was made with it.
 *
 * @module
 */

/** A part of a model: an axis-aligned box or a four-sided pyramid, in one colour. */
export interface Part {
  shape: "box" | "pyramid";
  /** Centre of the box; centre of the pyramid's base. */
  at: [number, number, number];
  size: [number, number, number];
  color: [number, number, number];
  /** Light it gives off itself (so that tests see its colour whatever the lights). */
  emissive?: [number, number, number];
}

type V = [number, number, number];

function boxTriangles([cx, cy, cz]: V, [sx, sy, sz]: V): V[][] {
  const x0 = cx - sx / 2, x1 = cx + sx / 2, y0 = cy - sy / 2, y1 = cy + sy / 2;
  const z0 = cz - sz / 2, z1 = cz + sz / 2;
  const quad = (a: V, b: V, c: V, d: V) => [[a, b, c], [a, c, d]];
  return [
    ...quad([x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]), // +z
    ...quad([x1, y0, z0], [x0, y0, z0], [x0, y1, z0], [x1, y1, z0]), // -z
    ...quad([x1, y0, z1], [x1, y0, z0], [x1, y1, z0], [x1, y1, z1]), // +x
    ...quad([x0, y0, z0], [x0, y0, z1], [x0, y1, z1], [x0, y1, z0]), // -x
    ...quad([x0, y1, z1], [x1, y1, z1], [x1, y1, z0], [x0, y1, z0]), // +y
    ...quad([x0, y0, z0], [x1, y0, z0], [x1, y0, z1], [x0, y0, z1]), // -y
  ];
}

function pyramidTriangles([cx, cy, cz]: V, [sx, sy, sz]: V): V[][] {
  const top: V = [cx, cy + sy, cz];
  const a: V = [cx - sx / 2, cy, cz + sz / 2], b: V = [cx + sx / 2, cy, cz + sz / 2];
  const c: V = [cx + sx / 2, cy, cz - sz / 2], d: V = [cx - sx / 2, cy, cz - sz / 2];
  return [[a, b, top], [b, c, top], [c, d, top], [d, a, top], [a, d, c], [a, c, b]];
}

function normal([a, b, c]: V[]): V {
  const u = [b![0] - a![0], b![1] - a![1], b![2] - a![2]];
  const v = [c![0] - a![0], c![1] - a![1], c![2] - a![2]];
  const n: V = [
    u[1]! * v[2]! - u[2]! * v[1]!,
    u[2]! * v[0]! - u[0]! * v[2]!,
    u[0]! * v[1]! - u[1]! * v[0]!,
  ];
  const length = Math.hypot(...n) || 1;
  return [n[0] / length, n[1] / length, n[2] / length];
}

/** The `.gltf` text of a model made of `parts`. */
export function gltfModel(parts: readonly Part[]): string {
  const floats: number[] = [];
  const accessors: unknown[] = [], bufferViews: unknown[] = [], primitives: unknown[] = [];
  for (const [index, part] of parts.entries()) {
    const triangles = part.shape === "box"
      ? boxTriangles(part.at, part.size)
      : pyramidTriangles(part.at, part.size);
    const positions = triangles.flat();
    const normals = triangles.flatMap((t) => [normal(t), normal(t), normal(t)]);
    for (const [name, values] of [["POSITION", positions], ["NORMAL", normals]] as const) {
      const offset = floats.length * 4;
      floats.push(...values.flat());
      bufferViews.push({
        buffer: 0,
        byteOffset: offset,
        byteLength: values.length * 12,
        target: 34962,
      });
      const min = [0, 1, 2].map((k) => Math.min(...values.map((v) => v[k]!)));
      const max = [0, 1, 2].map((k) => Math.max(...values.map((v) => v[k]!)));
      accessors.push({
        bufferView: bufferViews.length - 1,
        componentType: 5126,
        count: values.length,
        type: "VEC3",
        ...(name === "POSITION" ? { min, max } : {}),
      });
    }
    primitives.push({
      attributes: { POSITION: accessors.length - 2, NORMAL: accessors.length - 1 },
      material: index,
    });
  }
  const bytes = new Uint8Array(new Float32Array(floats).buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return JSON.stringify({
    asset: { version: "2.0", generator: "syncra tests/browser/_gltf.ts" },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives }],
    materials: parts.map((p) => ({
      pbrMetallicRoughness: {
        baseColorFactor: [...p.color, 1],
        metallicFactor: 0,
        roughnessFactor: 0.8,
      },
      ...(p.emissive ? { emissiveFactor: p.emissive } : {}),
    })),
    buffers: [{
      byteLength: bytes.length,
      uri: `data:application/octet-stream;base64,${btoa(binary)}`,
    }],
    bufferViews,
    accessors,
  });
}
