// The CommonJS entry's types (index.d.ts) through require.
import sdk = require('bsa-lms')

export function make(token: string): sdk.Client {
  return new sdk.Client({ token })
}
export const isLms = (e: unknown): e is sdk.LmsError => e instanceof sdk.LmsError
