// TEMPORARY minimal version (embedded only); the full one (template image, PostgreSQL) replaces it.
import { PGlite } from '@electric-sql/pglite';
import { type DatabaseHandle, fromPGlite } from '../../src/storage/connection.ts';
import { migrate } from '../../src/storage/migrate.ts';

let template: Promise<Blob> | undefined;

export async function createTestDatabase(): Promise<DatabaseHandle> {
  template ??= (async () => {
    const client = await PGlite.create();
    const handle = fromPGlite(client);
    await migrate(handle.db);
    const dump = await client.dumpDataDir('none');
    await handle.close();
    return dump;
  })();
  return fromPGlite(await PGlite.create({ loadDataDir: await template }));
}
