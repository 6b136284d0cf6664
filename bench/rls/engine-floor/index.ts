/**
 * The engine floor: a Pulumi program with the same number of dynamic
 * resources as the RLS benchmark, each doing nothing. Run by the same CLI,
 * language host, runtime options and kind of backend in the same run, its
 * `up` is what any 250 dynamic resources cost here, so the RLS figure divided
 * by it is this project's own cost. With BENCH_FLOOR_PAYLOAD_BYTES the same
 * resources carry as much state as RlsTable resources do, which separates the
 * cost of state size (the file backend rewrites the whole state per step)
 * from the cost of the provider's work. With BENCH_FLOOR_SECRET=1 each
 * resource also carries a secret input the size of a connection string, as an
 * RlsTable does, which the backend encrypts in every checkpoint. With
 * BENCH_FLOOR_SHAPE_FILE the state also has an RlsTable's shape (below).
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";

const COUNT = Number(process.env.BENCH_FLOOR_RESOURCES ?? 250);
// Optional: inputs this large, so state weighs what an RlsTable's does (the floor's outputs repeat its inputs).
const PAYLOAD = "x".repeat(Number(process.env.BENCH_FLOOR_PAYLOAD_BYTES ?? 0));
// As long as a connection string and secret like one, but not one: the floor connects nowhere, and a
// URL-shaped value would be what secrets:scan exists to catch.
const SECRET = process.env.BENCH_FLOOR_SECRET === "1" ? pulumi.secret("s".repeat(70)) : undefined;

// Optional: an RlsTable's inputs, the outputs it adds and the inputs its outputs leave out, as a JSON
// file, so the state has the same shape too (nested policies and catalog states, not one string): the
// engine handles state value by value, so shape costs time as well as size.
const SHAPE = process.env.BENCH_FLOOR_SHAPE_FILE
  ? (JSON.parse(readFileSync(process.env.BENCH_FLOOR_SHAPE_FILE, "utf8")) as {
      inputs: Record<string, unknown>;
    })
  : undefined;

const noop: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    // Read here, in the provider process, not captured: a captured value would be serialized into
    // every resource's state with the provider and weigh the floor down.
    const file = process.env.BENCH_FLOOR_SHAPE_FILE;
    const shape = file ? JSON.parse(require("node:fs").readFileSync(file, "utf8")) : {};
    const outs: Record<string, unknown> = { ...inputs, ...(shape.added ?? {}) };
    for (const key of (shape.omitted ?? []) as string[]) delete outs[key];
    return { id: String(inputs.name), outs };
  },
  async diff() {
    return { changes: false };
  },
};

class Noop extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(
      noop,
      name,
      {
        ...(SHAPE?.inputs ?? {}),
        name,
        payload: PAYLOAD,
        ...(SECRET ? { connection: SECRET } : {}),
      },
      {},
      "bench",
      "Noop",
    );
  }
}

for (let i = 0; i < COUNT; i++) new Noop(`noop-${String(i).padStart(3, "0")}`);
