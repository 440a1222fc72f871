/**
 * Sandbox process entry: runs the invocations the daemon sends, one at a time. A guest that makes
 * V8 abort (docs/sandbox.md, "Process isolation") ends this process, never the daemon, which
 * answers the call with a named error and puts a spare in its place.
 */
import { serveParent } from '../utils/serve-parent.js'
import { run } from './run.js'

serveParent(run)
