// What a consent page shows and when a remembered consent covers a request. Pure.

const DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'See your name and username',
  email: 'See your email address',
  offline_access: 'Stay signed in: keep access to what you allowed when you are not using the app',
};

export function describeScope(scope: string): string {
  if (DESCRIPTIONS[scope]) return DESCRIPTIONS[scope];
  if (scope.endsWith('/.default')) return 'Use every permission an administrator granted to this app, as you';
  const name = scope.includes('/') ? scope.slice(scope.lastIndexOf('/') + 1) : scope;
  return `Act as you on the Passless API with the permission ${name} (never beyond your own roles)`;
}

/** Splits a scope parameter, dropping duplicates and empties, order kept. */
export function splitScopes(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return [...new Set(value.split(' ').filter((s) => s.length > 0))];
}

/** A remembered consent covers a request when every requested scope was allowed before. */
export function consentCovers(remembered: readonly string[] | null, requested: readonly string[]): boolean {
  if (!remembered) return false;
  const allowed = new Set(remembered);
  return requested.every((scope) => allowed.has(scope));
}
