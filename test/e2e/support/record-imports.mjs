// Loaded with `--import` into a gateway process under test: registers record-imports-hooks.mjs, which
// appends every @opentelemetry package the process imports to the file named by MODELGATE_IMPORT_LOG.
import { register } from "node:module";

register("./record-imports-hooks.mjs", import.meta.url, { data: { file: process.env.MODELGATE_IMPORT_LOG } });
