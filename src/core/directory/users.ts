// Users: validation of the Graph create/update bodies and the Graph projection. No password exists:
// `passwordProfile` (and anything that could set a password) is refused, never stored.
import { PasslessError } from '../errors.ts';

export interface User {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mailNickname: string;
  mail: string | null;
  accountEnabled: boolean;
  employeeHireDate: Date | null;
  createdAt: Date;
}

export interface UserChanges {
  userPrincipalName?: string;
  displayName?: string;
  mailNickname?: string;
  mail?: string | null;
  accountEnabled?: boolean;
  employeeHireDate?: Date | null;
}

// Graph allows A-Z a-z 0-9 ' . - _ ! # ^ ~ in the local part (graph-entra.md §7).
const UPN =
  /^[A-Za-z0-9'._!#^~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAIL_NICKNAME = /^[A-Za-z0-9'._!#^~-]{1,64}$/;
const MAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const PASSWORD_FIELDS = ['passwordProfile', 'password', 'passwordPolicies'];

function bad(message: string): never {
  throw new PasslessError('badRequest', { detail: message });
}

/** The case-insensitive key UPNs are unique by. */
export function upnKey(upn: string): string {
  return upn.trim().toLowerCase();
}

export function validateUpn(value: unknown): string {
  if (typeof value !== 'string' || !UPN.test(value.trim()) || value.includes('..') || value.startsWith('.')) {
    bad(
      "userPrincipalName must look like name@domain (letters, digits and ' . - _ ! # ^ ~ before the @, a domain name after it).",
    );
  }
  return value.trim();
}

function validateDisplayName(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 256) {
    bad('displayName must be a non-empty string of at most 256 characters.');
  }
  return value.trim();
}

function validateMailNickname(value: unknown): string {
  if (typeof value !== 'string' || !MAIL_NICKNAME.test(value)) {
    bad("mailNickname must be 1-64 characters: letters, digits and ' . - _ ! # ^ ~.");
  }
  return value;
}

function validateMail(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !MAIL.test(value)) bad('mail must be an email address or null.');
  return value;
}

function validateHireDate(value: unknown): Date | null {
  if (value === null) return null;
  const date = typeof value === 'string' ? new Date(value) : null;
  // Years beyond 9999 parse in JavaScript but no database column (or person) has them.
  if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) {
    bad('employeeHireDate must be an ISO 8601 date and time, or null.');
  }
  return date;
}

function refusePasswords(body: Record<string, unknown>): void {
  for (const field of PASSWORD_FIELDS) {
    if (field in body) {
      bad(`${field} is not supported: Passless accounts never have a password. Issue a Temporary Access Pass instead.`);
    }
  }
}

const CREATE_FIELDS = new Set([
  'accountEnabled',
  'displayName',
  'mailNickname',
  'userPrincipalName',
  'mail',
  'employeeHireDate',
  '@odata.type',
]);

export function parseUserCreate(body: Record<string, unknown>): Omit<User, 'id' | 'createdAt'> {
  refusePasswords(body);
  for (const field of Object.keys(body)) {
    if (!CREATE_FIELDS.has(field)) bad(`${field} is not a supported property of a user.`);
  }
  const userPrincipalName = validateUpn(body.userPrincipalName);
  const accountEnabled = body.accountEnabled ?? true;
  if (typeof accountEnabled !== 'boolean') bad('accountEnabled must be true or false.');
  return {
    userPrincipalName,
    displayName: validateDisplayName(body.displayName),
    // Graph requires mailNickname; we derive it from the UPN when absent, as the admin console would.
    mailNickname: validateMailNickname(body.mailNickname ?? userPrincipalName.split('@')[0]),
    mail: body.mail === undefined ? null : validateMail(body.mail),
    accountEnabled,
    employeeHireDate: body.employeeHireDate === undefined ? null : validateHireDate(body.employeeHireDate),
  };
}

export function parseUserUpdate(body: Record<string, unknown>): UserChanges {
  refusePasswords(body);
  const changes: UserChanges = {};
  for (const [field, value] of Object.entries(body)) {
    if (field === 'userPrincipalName') changes.userPrincipalName = validateUpn(value);
    else if (field === 'displayName') changes.displayName = validateDisplayName(value);
    else if (field === 'mailNickname') changes.mailNickname = validateMailNickname(value);
    else if (field === 'mail') changes.mail = validateMail(value);
    else if (field === 'employeeHireDate') changes.employeeHireDate = validateHireDate(value);
    else if (field === 'accountEnabled') {
      if (typeof value !== 'boolean') bad('accountEnabled must be true or false.');
      changes.accountEnabled = value;
    } else if (field !== '@odata.type') bad(`${field} is not a property of a user that can be updated.`);
  }
  if (Object.keys(changes).length === 0) bad('The request body names no property to update.');
  return changes;
}

export function renderUser(user: User): Record<string, unknown> {
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    mailNickname: user.mailNickname,
    mail: user.mail,
    accountEnabled: user.accountEnabled,
    createdDateTime: user.createdAt.toISOString(),
    employeeHireDate: user.employeeHireDate ? user.employeeHireDate.toISOString() : null,
  };
}
