/**
 * Checks of parsed JSON that several handlers make at their edge, written once. Hand-written (no
 * schema library, nothing compiled at module load): the inference gateway and the ingest record
 * validator call them on their hot paths.
 */

/** An object as JSON.parse makes them: not null, not an array (a parsed body, an event, a nested value). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The two ways a text can fail to be a JSON object. */
export interface JsonObjectMessages {
  /** The message when JSON.parse refuses the text. */
  readonly notJson: string;
  /** The message when the text is JSON but not an object (an array, null, a string...). */
  readonly notObject: string;
}

/**
 * Parses `text` as a JSON object. Text that is not JSON, or JSON that is not an object, throws the
 * caller's own error type with the caller's message, so each handler keeps its error contract
 * (e.g. a DriftInputError fails the invocation, a MalformedMessageError dead-letters a message).
 */
export function parseJsonObject(
  text: string,
  ErrorType: new (message: string) => Error,
  messages: JsonObjectMessages,
): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ErrorType(messages.notJson);
  }
  if (!isJsonObject(json)) throw new ErrorType(messages.notObject);
  return json;
}

/** The scalar feature types Plinth's input contracts declare (the gateway's INPUT_SCHEMA, ingest's dataset schema). */
export type ScalarType = 'number' | 'integer' | 'string' | 'boolean';

/**
 * Whether the parsed JSON value `v` is of `type`, without coercion: `number` is finite, `integer`
 * is a safe integer (one JSON.parse holds exactly), `string` and `boolean` are what they say.
 */
export function isScalarOfType(type: ScalarType, v: unknown): v is number | string | boolean {
  switch (type) {
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
  }
}
