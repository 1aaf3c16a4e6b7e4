// node-oidc-provider's storage adapter over the oidc_payloads table (one instance per model name).
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { isUuid } from '../../core/ids.ts';
import type { Deps } from '../../services/deps.ts';
import { findClient } from '../../services/oidc-client-cache.ts';
import * as payloads from '../../storage/repositories/oidc-payloads.repository.ts';
import { toClientMetadata } from './clients.ts';

const DEVICE_CODE_GRACE_SECONDS = 10 * 60;

export type AdapterClass = new (model: string) => Adapter;

export function createOidcAdapter(deps: Pick<Deps, 'db' | 'clock'>): AdapterClass {
  const { db, clock } = deps;
  return class KyselyOidcAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      // A device code is kept a while past its expiry so the polling device is told `expired_token` (the
      // provider checks expiry itself) instead of a bare "not found".
      const keep = expiresIn ? expiresIn + (this.model === 'DeviceCode' ? DEVICE_CODE_GRACE_SECONDS : 0) : 0;
      const expiresAt = keep ? new Date(clock().getTime() + keep * 1000) : null;
      await payloads.upsertOidcPayload(db, { model: this.model, id, payload: { ...payload }, expiresAt });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      // Clients are application registrations (cached two seconds, forgotten on every change this instance makes).
      if (this.model === 'Client') {
        if (!isUuid(id)) return undefined;
        const record = await findClient(deps, id);
        return record ? (toClientMetadata(record) as AdapterPayload) : undefined;
      }
      return (await payloads.findOidcPayload(db, this.model, id, clock())) as AdapterPayload | undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await payloads.findOidcPayloadByUserCode(db, this.model, userCode, clock())) as
        | AdapterPayload
        | undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await payloads.findOidcPayloadByUid(db, this.model, uid, clock())) as AdapterPayload | undefined;
    }

    async consume(id: string): Promise<void> {
      await payloads.consumeOidcPayload(db, this.model, id, clock());
    }

    async destroy(id: string): Promise<void> {
      await payloads.destroyOidcPayload(db, this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await payloads.revokeOidcPayloadsByGrantId(db, this.model, grantId);
    }
  };
}
