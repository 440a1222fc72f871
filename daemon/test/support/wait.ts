/** Bounded polling for tests; one implementation, shared with the protocol tests. */
export { waitFor } from '../../../protocols/test/support/wait.js'
