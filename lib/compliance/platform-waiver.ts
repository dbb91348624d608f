/**
 * Who answers for Plinth's own acknowledgements (those written inside its constructs), and the day
 * they come up for review. One place, so the platform team renews them all in one change: spread
 * it into every `acknowledgeFinding()` Plinth makes, next to the rule and the reason.
 *
 * Renewing means a review of every acknowledgement that carries it (`docs/compliance.md`); the
 * gate refuses an expiry more than twelve months after the synth.
 */
export const PLATFORM_WAIVER = { owner: 'ml-platform', expires: '2027-06-30' } as const;
