/**
 * 128 random bits as two decimal numbers: op ids, idempotency keys, request ids. `getRandomValues` works in
 * insecure contexts too (page mode), unlike `randomUUID`.
 */
export const newId = (): string => crypto.getRandomValues(new BigUint64Array(2)).join('-');
