/**
 * The page protocol now lives in `@ferry/core/protocol`, so that the page
 * client imports it without the worker stack; `@ferry/sw/protocol` and this
 * module re-export it for the host's own files and for existing imports.
 */
export * from '@ferry/core/protocol';
