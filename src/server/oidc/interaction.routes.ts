// Where the provider sends a browser to sign in or consent. Not built yet (issue 3, step 2): no application can
// be registered, so no authorization request gets this far; the page says so instead of pretending.
import type { FastifyInstance } from 'fastify';
import { INTERACTION_PATH } from './provider.ts';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Not available yet · Passless</title></head>
<body>
<h1>Sign-in for applications is not enabled yet</h1>
<p>This Passless deployment cannot sign you in to applications yet. Close this page and return to the application.</p>
</body>
</html>
`;

export function registerOidcInteractionRoutes(app: FastifyInstance): void {
  app.get(
    `${INTERACTION_PATH}/:uid`,
    { schema: { params: { type: 'object', properties: { uid: { type: 'string', maxLength: 200 } } } } },
    async (_request, reply) => reply.code(400).type('text/html; charset=utf-8').send(PAGE),
  );
}
