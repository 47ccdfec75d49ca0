export { Objective, INPUT } from './objective';
export type { Lookup, ObjectiveFn, ObjectiveLike } from './objective';
