// Generates schema.d.ts from the contract the way openapi-typescript's documentation tells
// integrators to: its Node API, with `format: binary` typed as Blob (the command line types
// every string as string), so file bodies are bytes in the client, not text.
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { writeFileSync } from "node:fs";

const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(new URL("../../openapi.yaml", import.meta.url), {
  transform(schema) {
    if (schema.format === "binary") return BLOB;
    return undefined;
  },
});
writeFileSync(new URL("./schema.d.ts", import.meta.url), astToString(ast));
