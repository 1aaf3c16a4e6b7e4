// Application registrations and their client secrets, each change committed with its audit record.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  type Application,
  MAX_PASSWORD_CREDENTIALS,
  type PasswordCredential,
  parseAddPassword,
  parseApplicationCreate,
  parseApplicationUpdate,
} from '../core/applications/applications.ts';
import type { Actor, TargetResource } from '../core/audit/audit.ts';
import { PasslessError } from '../core/errors.ts';
import { isUuid } from '../core/ids.ts';
import type { Db } from '../storage/database.ts';
import * as apps from '../storage/repositories/applications.repository.ts';
import type { Deps, RequestContext } from './deps.ts';
import { auditedClientChange } from './oidc-client-cache.ts';

const target = (app: Application, modifiedProperties?: TargetResource['modifiedProperties']): TargetResource => ({
  id: app.id,
  displayName: app.displayName,
  type: 'Application',
  ...(modifiedProperties && { modifiedProperties }),
});

const notFound = (id: string) =>
  new PasslessError('itemNotFound', {
    detail: `Resource '${id.slice(0, 200)}' does not exist or one of its queried reference-property objects are not present.`,
  });

/** Graph addresses an application by its object id (or, with `applications(appId='…')`, by its appId). */
export async function findApplication(db: Db, id: string, by: 'id' | 'appId' = 'id'): Promise<Application> {
  if (!isUuid(id)) throw notFound(id);
  const app =
    by === 'id'
      ? await apps.getApplication(db, id.toLowerCase())
      : await apps.getApplicationByAppId(db, id.toLowerCase());
  if (!app) throw notFound(id);
  return app;
}

export async function credentialsOf(db: Db, applications: Application[]): Promise<Map<string, PasswordCredential[]>> {
  const all = await apps.listPasswordCredentials(
    db,
    applications.map((a) => a.id),
  );
  const byApp = new Map<string, PasswordCredential[]>(applications.map((a) => [a.id, []]));
  for (const credential of all) byApp.get(credential.applicationId)?.push(credential);
  return byApp;
}

export async function createApplication(deps: Deps, ctx: RequestContext, actor: Actor, body: Record<string, unknown>) {
  const fields = parseApplicationCreate(body);
  return auditedClientChange(deps, ctx, async ({ trx, now, audit }) => {
    const app = await apps.createApplication(trx, { ...fields, id: randomUUID(), appId: randomUUID(), createdAt: now });
    await audit('addApplication', {
      initiatedBy: actor,
      targets: [
        target(app, [
          { displayName: 'AppId', oldValue: null, newValue: JSON.stringify(app.appId) },
          { displayName: 'DisplayName', oldValue: null, newValue: JSON.stringify(app.displayName) },
          // Skipping consent is worth a line of its own in the record of who created what.
          ...(app.isFirstParty ? [{ displayName: 'isFirstParty', oldValue: null, newValue: 'true' }] : []),
        ]),
      ],
    });
    return app;
  });
}

export async function updateApplication(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  id: string,
  body: Record<string, unknown>,
): Promise<Application> {
  const changes = parseApplicationUpdate(body);
  return auditedClientChange(deps, ctx, async ({ trx, audit }) => {
    const before = await apps.lockApplication(trx, id);
    if (!before) throw notFound(id);
    const after = await apps.updateApplication(trx, id, changes);
    if (!after) throw notFound(id);
    const modifiedProperties = (Object.keys(changes) as (keyof typeof changes)[]).map((key) => ({
      displayName: key,
      oldValue: JSON.stringify(before[key] ?? null),
      newValue: JSON.stringify(after[key] ?? null),
    }));
    await audit('updateApplication', { initiatedBy: actor, targets: [target(after, modifiedProperties)] });
    return after;
  });
}

export async function deleteApplication(deps: Deps, ctx: RequestContext, actor: Actor, app: Application) {
  await auditedClientChange(deps, ctx, async ({ trx, audit }) => {
    if (!(await apps.deleteApplication(trx, app.id))) throw notFound(app.id);
    await audit('deleteApplication', { initiatedBy: actor, targets: [target(app)] });
  });
}

/**
 * A client secret of 256 random bits (base64url, 43 characters). Only its SHA-256 is stored: with that much
 * entropy a fast hash is enough (ASVS 5.0 6.5.2); `hint` keeps the first three characters, as Entra does.
 */
export function secretVerifier(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

function describeKey(credential: PasswordCredential): string {
  return `[KeyIdentifier=${credential.keyId},KeyType=Password,KeyUsage=Verify,DisplayName=${credential.displayName ?? ''}]`;
}

export async function addPassword(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  id: string,
  body: Record<string, unknown>,
): Promise<{ credential: PasswordCredential; secretText: string }> {
  const now = deps.clock();
  const { displayName, endDateTime } = parseAddPassword(body, now);
  const secretText = randomBytes(32).toString('base64url');
  return auditedClientChange(deps, { ...ctx, now }, async ({ trx, audit }) => {
    const app = await apps.lockApplication(trx, id);
    if (!app) throw notFound(id);
    const existing = (await apps.listPasswordCredentials(trx, [app.id])).length;
    if (existing >= MAX_PASSWORD_CREDENTIALS) {
      throw new PasslessError('badRequest', {
        detail: `An application may have at most ${MAX_PASSWORD_CREDENTIALS} client secrets; remove one with removePassword first.`,
      });
    }
    const credential: PasswordCredential = {
      keyId: randomUUID(),
      applicationId: app.id,
      displayName,
      hint: secretText.slice(0, 3),
      startDateTime: now,
      endDateTime,
    };
    await apps.addPasswordCredential(trx, {
      ...credential,
      secretVerifier: secretVerifier(secretText),
      createdAt: now,
    });
    await audit('updateApplicationSecrets', {
      initiatedBy: actor,
      targets: [target(app, [{ displayName: 'KeyDescription', oldValue: null, newValue: describeKey(credential) }])],
      resultReason: 'Client secret added',
    });
    return { credential, secretText };
  });
}

export async function removePassword(
  deps: Deps,
  ctx: RequestContext,
  actor: Actor,
  id: string,
  body: Record<string, unknown>,
): Promise<void> {
  const keys = Object.keys(body);
  const keyId = body.keyId;
  if (keys.some((k) => k !== 'keyId') || typeof keyId !== 'string' || !isUuid(keyId)) {
    throw new PasslessError('badRequest', {
      detail: 'The body must be {"keyId": "<guid>"}, the keyId of the client secret to remove.',
    });
  }
  await auditedClientChange(deps, ctx, async ({ trx, audit }) => {
    const app = await apps.lockApplication(trx, id);
    if (!app) throw notFound(id);
    const removed = await apps.removePasswordCredential(trx, app.id, keyId.toLowerCase());
    if (!removed) {
      throw new PasslessError('itemNotFound', { detail: `This application has no client secret with keyId ${keyId}.` });
    }
    await audit('updateApplicationSecrets', {
      initiatedBy: actor,
      targets: [target(app, [{ displayName: 'KeyDescription', oldValue: describeKey(removed), newValue: null }])],
      resultReason: 'Client secret removed',
    });
  });
}
