import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { entraAlias, mayBeEntraAlias } from './entra-aliases.ts';

const TENANT = '6f1c2a9e-4b7d-4c3e-9a51-0d2e8f7b3c10';

describe('Entra-style endpoint aliases', () => {
  test('each Entra endpoint is the provider endpoint it stands for, query string kept', () => {
    assert.equal(
      entraAlias(`/${TENANT}/oauth2/v2.0/authorize?client_id=a&scope=openid`, TENANT),
      '/auth?client_id=a&scope=openid',
    );
    assert.equal(entraAlias(`/${TENANT}/oauth2/v2.0/token`, TENANT), '/token');
    assert.equal(
      entraAlias(`/${TENANT}/oauth2/v2.0/token?client-request-id=9c1b`, TENANT),
      '/token?client-request-id=9c1b',
    );
    assert.equal(entraAlias(`/${TENANT}/oauth2/v2.0/devicecode`, TENANT), '/device/auth');
    assert.equal(
      entraAlias(`/${TENANT}/oauth2/v2.0/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.test%2F`, TENANT),
      '/session/end?post_logout_redirect_uri=https%3A%2F%2Fapp.test%2F',
    );
    assert.equal(
      entraAlias(`/${TENANT}/v2.0/.well-known/openid-configuration`, TENANT),
      '/.well-known/openid-configuration',
    );
  });

  test('the tenant is the tenant id in any case, organizations or common', () => {
    assert.equal(entraAlias(`/${TENANT.toUpperCase()}/oauth2/v2.0/token`, TENANT), '/token');
    assert.equal(entraAlias('/organizations/oauth2/v2.0/token', TENANT), '/token');
    assert.equal(entraAlias('/common/oauth2/v2.0/authorize?x=1', TENANT), '/auth?x=1');
    assert.equal(
      entraAlias('/Organizations/v2.0/.well-known/openid-configuration', TENANT),
      '/.well-known/openid-configuration',
    );
  });

  test('another tenant, consumers, or a name that is not an alias is no alias (it 404s like any unknown path)', () => {
    assert.equal(entraAlias('/6f1c2a9e-4b7d-4c3e-9a51-0d2e8f7b3c11/oauth2/v2.0/token', TENANT), null);
    assert.equal(entraAlias('/consumers/oauth2/v2.0/token', TENANT), null);
    assert.equal(entraAlias('/contoso.onmicrosoft.com/oauth2/v2.0/token', TENANT), null);
    assert.equal(entraAlias(`/${TENANT}/oauth2/v2.0/userinfo`, TENANT), null);
    assert.equal(entraAlias(`/${TENANT}/oauth2/token`, TENANT), null, 'the v1 endpoints are not aliased');
    assert.equal(entraAlias(`/${TENANT}/.well-known/openid-configuration`, TENANT), null);
    assert.equal(entraAlias(`/${TENANT}/oauth2/v2.0/token/`, TENANT), null);
    assert.equal(entraAlias(`/${TENANT}/oauth2/v2.0/token/extra`, TENANT), null);
    assert.equal(entraAlias(`/x/${TENANT}/oauth2/v2.0/token`, TENANT), null);
    assert.equal(entraAlias('/oauth2/v2.0/token', TENANT), null);
    assert.equal(entraAlias('/token', TENANT), null, "the provider's own paths are not aliases");
    // The query string never makes a path an alias.
    assert.equal(entraAlias(`/token?x=/${TENANT}/oauth2/v2.0/token`, TENANT), null);
  });

  test('the cheap pre-check says no to every path that cannot be an alias', () => {
    assert.equal(mayBeEntraAlias(`/${TENANT}/oauth2/v2.0/token?a=b`), true);
    assert.equal(mayBeEntraAlias('/anything/v2.0/.well-known/openid-configuration'), true);
    assert.equal(mayBeEntraAlias('/v1.0/users'), false);
    assert.equal(mayBeEntraAlias('/token'), false);
    assert.equal(mayBeEntraAlias('/assets/app.css?v=/x/oauth2/v2.0/token'), false);
  });
});
