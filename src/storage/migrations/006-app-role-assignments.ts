// Application permissions granted to application registrations (Graph's appRoleAssignment on the Passless API's
// service principal). Keyed by the application's appId, the client id its tokens carry, so issuing and checking a
// token reads one indexed row set; deleting the application deletes its grants.
export const name = 'app-role-assignments';

export const up = `
CREATE TABLE app_role_assignments (
  id uuid PRIMARY KEY,
  app_id uuid NOT NULL REFERENCES applications (app_id) ON DELETE CASCADE,
  app_role_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (app_id, app_role_id)
);

-- An application's service principal id is derived from its object id (md5 of 'passless-sp:' || id, as a uuid),
-- so it needs no column of its own; this index finds the application from it.
CREATE INDEX applications_by_service_principal ON applications ((md5('passless-sp:' || id::text)::uuid));
`;
