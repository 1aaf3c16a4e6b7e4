// Sign-in log error codes. Entra's where Entra publishes one (50053 locked, 50057 disabled); Passless's own
// 9001xx (pass) and 9002xx (passkey) otherwise, since no TAP-specific AADSTS codes are public (graph-entra.md §3).
export const SIGN_IN_CODES = {
  success: { errorCode: 0, failureReason: '' },
  tooManyAttempts: {
    errorCode: 50053,
    failureReason: 'Sign-in with a Temporary Access Pass is throttled after repeated failures.',
  },
  accountDisabled: { errorCode: 50057, failureReason: 'The user account is disabled.' },
  tapIncorrect: {
    errorCode: 900101,
    failureReason: 'Temporary Access Pass is incorrect, or the account has no pass or does not exist.',
  },
  tapExpired: { errorCode: 900102, failureReason: 'Temporary Access Pass has expired.' },
  tapNotYetValid: { errorCode: 900103, failureReason: 'Temporary Access Pass is not valid yet.' },
  tapAlreadyUsed: { errorCode: 900104, failureReason: 'One-time Temporary Access Pass was already used.' },
  tapNotAllowed: {
    errorCode: 900105,
    failureReason: 'Temporary Access Pass sign in was blocked due to User Credential Policy.',
  },
  passkeyNotRecognized: {
    errorCode: 900201,
    failureReason:
      'The passkey is not registered to an enabled account, or belongs to another account than the one named.',
  },
  passkeyVerificationFailed: { errorCode: 900202, failureReason: 'The passkey assertion failed verification.' },
  flowExpired: {
    errorCode: 900301,
    failureReason: 'The sign-in had expired, was finished, or its challenge was already used (a possible replay).',
  },
} as const;

export type SignInOutcome = keyof typeof SIGN_IN_CODES;
