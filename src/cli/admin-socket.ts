// A local-only control channel for the running embedded server: a Unix socket in the data directory,
// mode 0600, so only the account that owns the data can use it. CLI commands that change data of a
// running embedded deployment go through it instead of opening the (single-owner) data directory.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';

export function adminSocketPath(dataDir: string): string {
  return join(dataDir, 'admin.sock');
}

export type AdminHandler = (command: string, body: Record<string, unknown>) => Promise<unknown>;

export async function listenAdminSocket(dataDir: string, handler: AdminHandler): Promise<Server> {
  const path = adminSocketPath(dataDir);
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      raw += chunk;
      if (raw.length > 8192) req.destroy();
    });
    req.on('end', async () => {
      try {
        const result = await handler(String(req.url).slice(1), raw ? JSON.parse(raw) : {});
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      } catch (error) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: (error as Error).message }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return server;
}

export function callAdminSocket(dataDir: string, command: string, body: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: adminSocketPath(dataDir), path: `/${command}`, method: 'POST' }, (res) => {
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        raw += chunk;
      });
      res.on('end', () => {
        const parsed = JSON.parse(raw || '{}');
        if (res.statusCode === 200) resolve(parsed);
        else reject(new Error(parsed.error ?? `admin socket answered ${res.statusCode}`));
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
