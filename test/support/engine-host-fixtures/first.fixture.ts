import { validateAndTrace } from './validate-and-trace';

test('validates on this file\'s engine', () => validateAndTrace('first'));
