// Request bodies taken from the field reports in ../shared/seeds, exactly as administrators send them.

/** The body of seed 000's `$tapConfig` (Update-MgPolicyAuthenticationMethodPolicyAuthenticationMethodConfiguration). */
export const SEED_000_TAP_CONFIG = {
  '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
  id: 'TemporaryAccessPass',
  state: 'enabled',
  defaultLifetimeInMinutes: 480,
  defaultLength: 12,
  minimumLifetimeInMinutes: 60,
  maximumLifetimeInMinutes: 480,
  isUsableOnce: false,
  includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
};
