/**
 * Where a command's relative paths start: the directory the user ran npm
 * from (npm sets INIT_CWD, then moves to the package root to run the
 * script), else the process's own.
 */
export function startDir(env: NodeJS.ProcessEnv, cwd?: string): string {
  return cwd ?? env.INIT_CWD ?? process.cwd();
}
