/**
 * Ferry's engine under test in Node: a clock and timers that move only when
 * told to, a transport answered from a script, and the conformance suite a
 * custom `OutboxStore` must pass. Needs Vitest (an optional peer dependency):
 * `storeConformance` registers Vitest tests, so importing this entry loads
 * `vitest`. These are `@ferry/core/testing`'s, under the kit's name.
 *
 * @packageDocumentation
 */
export { ScriptedTransport, VirtualClock, storeConformance } from '@ferry/core/testing';
export type { StoreHarness } from '@ferry/core/testing';
