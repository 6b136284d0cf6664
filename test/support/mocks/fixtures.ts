/**
 * A raw configuration or parsed YAML document as tests build, mutate and read
 * it. Deliberately loose: tests construct shapes the schema rejects.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures must be able to hold any (also invalid) shape
export type Loose = Record<string, any>;
