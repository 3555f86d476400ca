// ES module entry of bsa-lms/testing (the implementation is the CommonJS ./testing.js).
import testing from './testing.js'

export const { Sandbox, SandboxAdminError, EMAIL, PASSWORD, FAULT_KINDS } = testing
