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
 * RlsTable does, which the backend encrypts in every checkpoint.
 */
import * as pulumi from "@pulumi/pulumi";

const COUNT = Number(process.env.BENCH_FLOOR_RESOURCES ?? 250);
// Optional: inputs this large, so state weighs what an RlsTable's does (outputs repeat inputs).
const PAYLOAD = "x".repeat(Number(process.env.BENCH_FLOOR_PAYLOAD_BYTES ?? 0));
// As long as a connection string and secret like one, but not one: the floor connects nowhere, and a
// URL-shaped value would be what secrets:scan exists to catch.
const SECRET = process.env.BENCH_FLOOR_SECRET === "1" ? pulumi.secret("s".repeat(70)) : undefined;

const noop: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: String(inputs.name), outs: inputs };
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
      { name, payload: PAYLOAD, ...(SECRET ? { connection: SECRET } : {}) },
      {},
      "bench",
      "Noop",
    );
  }
}

for (let i = 0; i < COUNT; i++) new Noop(`noop-${String(i).padStart(3, "0")}`);
