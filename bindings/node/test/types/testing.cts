// bsa-lms/testing's types as a CommonJS requirer sees them.
import testing = require('bsa-lms/testing')

export async function reset(): Promise<string> {
  const sandbox = await testing.Sandbox.start()
  await sandbox.reset()
  await sandbox.unauthorized(1)
  await sandbox.expireTokens()
  await sandbox.setTokenLifetime(0)
  await sandbox.setRollbackStop('undo-approval')
  await sandbox.setTransactionShape('alt')
  // @ts-expect-error: not a fault kind
  await sandbox.fault('/v1/**', 'explode')
  const url = sandbox.url
  await sandbox.close()
  return url + testing.EMAIL
}
