export { ferryLink } from './ferryLink.ts';
export type { FerryLinkOptions, FerryLinkTransformer } from './ferryLink.ts';
