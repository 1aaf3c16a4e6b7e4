// node-oidc-provider's storage adapter over the oidc_payloads table (one instance per model name). Inside a
// request's unit (payload-unit.ts) writes are held until the request's handling ends and finds may be answered by
// rows read along earlier; outside one, every call goes to the database at once.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { isUuid } from '../../core/ids.ts';
import type { Deps } from '../../services/deps.ts';
import { findClient } from '../../services/oidc-client-cache.ts';
import * as payloads from '../../storage/repositories/oidc-payloads.repository.ts';
import { toClientMetadata } from './clients.ts';
import { currentPayloadUnit } from './payload-unit.ts';

const DEVICE_CODE_GRACE_SECONDS = 10 * 60;

export type AdapterClass = new (model: string) => Adapter;

export function createOidcAdapter(deps: Pick<Deps, 'db' | 'clock'>): AdapterClass {
  const { db, clock } = deps;
  // Replay detection (a client assertion's or a DPoP proof's jti) is written at once: held to the end of the request,
  // two requests with the same jti would have longer to both get through.
  const currentUnit = (model: string) => (model === 'ReplayDetection' ? undefined : currentPayloadUnit());
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
      const unit = currentUnit(this.model);
      if (unit) await unit.upsert(this.model, id, payload as payloads.OidcPayload, expiresAt);
      else await payloads.upsertOidcPayload(db, { model: this.model, id, payload: { ...payload }, expiresAt });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      // Clients are application registrations (cached two seconds, forgotten on every change this instance makes).
      if (this.model === 'Client') {
        if (!isUuid(id)) return undefined;
        const record = await findClient(deps, id);
        return record ? (toClientMetadata(record) as AdapterPayload) : undefined;
      }
      const unit = currentUnit(this.model);
      if (unit) return (await unit.find(this.model, id, clock())) as AdapterPayload | undefined;
      return (await payloads.findOidcPayload(db, this.model, id, clock())) as AdapterPayload | undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const unit = currentUnit(this.model);
      if (!unit) return (await payloads.findOidcPayloadByUserCode(db, this.model, userCode, clock())) as AdapterPayload;
      const read = () => payloads.findOidcPayloadRow(db, this.model, 'userCode', userCode, clock());
      return (await unit.findBy(this.model, 'userCode', userCode, read)) as AdapterPayload | undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const unit = currentUnit(this.model);
      if (!unit) return (await payloads.findOidcPayloadByUid(db, this.model, uid, clock())) as AdapterPayload;
      const read = () => payloads.findOidcPayloadRow(db, this.model, 'uid', uid, clock());
      return (await unit.findBy(this.model, 'uid', uid, read)) as AdapterPayload | undefined;
    }

    async consume(id: string): Promise<void> {
      const unit = currentUnit(this.model);
      if (unit) unit.consume(this.model, id, clock());
      else await payloads.consumeOidcPayload(db, this.model, id, clock());
    }

    async destroy(id: string): Promise<void> {
      const unit = currentUnit(this.model);
      if (unit) unit.destroy(this.model, id);
      else await payloads.destroyOidcPayload(db, this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      // Rare (a replayed code or refresh token, a revoked consent) and it touches rows nobody named: the unit's
      // writes go first, then the revocation, and the unit forgets what it read.
      const unit = currentUnit(this.model);
      await unit?.flush();
      await payloads.revokeOidcPayloadsByGrantId(db, this.model, grantId);
      unit?.forgetReads();
    }
  };
}
