// PGlite does not lock its data directory, and two processes writing one directory silently lose data
// (measured: see docs/architecture.md). So the embedded database is owned by exactly one process, proved by
// a lock file created atomically with the owner's pid; a lock whose pid is gone is stale and taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockFilePath(dataDir: string): string {
  return join(dataDir, 'passless.lock');
}

/** Takes the lock or throws DataDirLockedError naming the holder; returns the release function. */
export function acquireDataDirLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = lockFilePath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLockedError(
          `The embedded database in ${dataDir} is in use by process ${holder} (a running Passless server). ` +
            'Stop it first, give this process its own PASSLESS_DATA_DIR, or use PostgreSQL (DATABASE_URL) to run several instances.',
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirLockedError(`Could not take the lock ${path}; another process keeps creating it.`);
}

/** The pid of a live process holding the lock, or null. */
export function readLockHolder(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(lockFilePath(dataDir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}
