/**
 * How a command finds the `local` stack's services: `npm run local` records
 * their addresses and generated credentials in `.local/services.json`
 * (gitignored, mode 0600). Nothing here is ever read from a stack file:
 * the local credentials are generated per machine, and a stack file is
 * committed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalServices } from "./services";

/** `.local/services.json` is there but unreadable: the fix is to run `npm run local` again. */
export class LocalServicesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LocalServicesError";
  }
}

export const LOCAL_SERVICES_FILE = join(".local", "services.json");

/** What `npm run local` recorded under `root`, or undefined when it has not run there. */
export function readLocalServices(root: string): Partial<LocalServices> | undefined {
  const file = join(root, LOCAL_SERVICES_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Partial<LocalServices>;
  } catch {
    throw new LocalServicesError(
      `${LOCAL_SERVICES_FILE} is not valid JSON; run \`npm run local\` again`,
    );
  }
}

/** The local stand-in app's health URL, when `npm run local` started it. */
export function localAppHealthUrl(root: string): string | undefined {
  const url = readLocalServices(root)?.app?.url;
  return typeof url === "string" ? `${url.replace(/\/+$/, "")}/api/health` : undefined;
}
