/**
 * A mistake in what the user declared (config, props, a waiver), found at synth. The app entry
 * prints its message, which says what to change, without a stack trace from inside CDK.
 */
export class PlinthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
