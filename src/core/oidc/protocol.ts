// Protocol names shared by the provider, the API and the CLI.

/** RFC 8628's grant type for the device authorization grant. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The built-in public client of `npx passless login` (first-party, device flow only). */
export const CLI_CLIENT_ID = 'passless-cli';
