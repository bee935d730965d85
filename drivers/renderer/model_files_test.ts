import assert from "node:assert/strict";
import { readModel } from "./model_files.ts";

Deno.test("a .gltf's buffers and images beside it are inlined; one outside the assets folder is refused", async () => {
  const assets = await Deno.makeTempDir({ prefix: "syncra_models_" });
  try {
    await Deno.mkdir(`${assets}/models/textures`, { recursive: true });
    await Deno.writeFile(`${assets}/models/mesh.bin`, new Uint8Array([1, 2, 3, 250]));
    await Deno.writeFile(`${assets}/models/textures/bark.png`, new Uint8Array([137, 80, 78, 71]));
    const gltf = {
      asset: { version: "2.0" },
      buffers: [{ uri: "mesh.bin", byteLength: 4 }, {
        uri: "data:application/octet-stream;base64,AA==",
      }],
      images: [{ uri: "textures/bark.png" }],
    };
    await Deno.writeTextFile(`${assets}/models/tree.gltf`, JSON.stringify(gltf));
    const { bytes } = await readModel(assets, "models/tree.gltf");
    const inlined = JSON.parse(new TextDecoder().decode(bytes));
    assert.equal(inlined.buffers[0].uri, "data:application/octet-stream;base64,AQID+g==");
    assert.equal(inlined.buffers[1].uri, "data:application/octet-stream;base64,AA==");
    assert.equal(inlined.images[0].uri, "data:image/png;base64,iVBORw==");

    for (const uri of ["../../secret.bin", "/etc/passwd", "https://example.com/x.bin", ".hidden"]) {
      await Deno.writeTextFile(`${assets}/models/bad.gltf`, JSON.stringify({ buffers: [{ uri }] }));
      await assert.rejects(
        () => readModel(assets, "models/bad.gltf"),
        /not a file inside the assets folder/,
        uri,
      );
    }
    await assert.rejects(
      () => readModel(assets, "../x.glb"),
      /not a path inside the assets folder/,
    );
  } finally {
    await Deno.remove(assets, { recursive: true });
  }
});
