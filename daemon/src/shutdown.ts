/**
 * How long a stopping node lets what runs finish (`shutdown.drainMs`): the default executor
 * timeout (5 s) plus room for a fetch and a compile, so an ordinary call started before the stop
 * still answers.
 */
export const DEFAULT_DRAIN_MS = 10_000
/**
 * What stopping takes beyond the drain: the executor's processes, libp2p, the store. A stop
 * that takes longer (a wedged socket) is cut short by `faasmesh daemon`.
 */
export const STOP_MARGIN_MS = 10_000
