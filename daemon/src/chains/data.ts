/**
 * Chain data on this node: the outputs it keeps for the next steps (under the producing step's
 * invocation id), and the gathering of a step's input from wherever its parts are: this node's
 * own cache, or the nodes that produced them, directly over `/faasmesh/chain-data/1.0.0`. The
 * entry node is not on that path (DESIGN.md section 11).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { ChainDataUnavailableError, PayloadTooLargeError } from '../errors.js'
import { combineInputs } from './combine.js'
import type { OutputCache } from './outputs.js'
import type { ChainData } from '../../../protocols/src/chain-data/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Parts of one step's input fetched at once: at most this many answers (each up to 4 MiB) in memory beyond the cap. */
const PARALLEL_FETCHES = 4

/** Where one part of a step's input is. */
export interface StepInput {
  /** Peer id of the node that holds it. */
  peer: string
  /** The producing step's invocation id. */
  ref: string
  /** The producing step's id. */
  step: string
  bytes: number
}

export interface Gathered {
  input: Uint8Array
  /** Bytes that crossed the network to get it (0: every part was here). */
  moved: number
}

export interface ChainDataStoreComponents {
  self: string
  /** Largest input a step may gather (the executor's `maxInputBytes`): what a peer's references can make this node fetch. */
  maxInputBytes: number
  outputs: OutputCache
  /** The protocol: absent on a node built without it (tests), which then holds only its own. */
  protocol?: Pick<ChainData, 'fetch' | 'setSource'>
  log: Logger
}

export class ChainDataStore {
  constructor (private readonly components: ChainDataStoreComponents) {
    // what peers may fetch: an output is found only by its invocation id, which its chain's entry node chose at random
    components.protocol?.setSource((ref) => components.outputs.get(ref))
  }

  keep (ref: string, output: Uint8Array): void {
    this.components.outputs.put(ref, output)
  }

  /**
   * The step's input, its parts fetched a few at a time: the references come from a peer, and
   * what they make this node hold is bounded by its input cap, whatever sizes they claim.
   */
  async gather (inputs: StepInput[], options: AbortOptions = {}): Promise<Gathered> {
    const { maxInputBytes, self } = this.components
    const claimed = inputs.reduce((sum, i) => sum + i.bytes, 0)
    if (claimed > maxInputBytes) throw new PayloadTooLargeError(`the step's input would be ${claimed} bytes; the limit is ${maxInputBytes}`)
    let moved = 0
    let held = 0
    const parts: Array<{ step: string, bytes: Uint8Array }> = new Array(inputs.length)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < inputs.length) {
        const index = next++
        const part = inputs[index]!
        const bytes = await this.part(part, options)
        held += bytes.byteLength
        if (held > maxInputBytes) throw new PayloadTooLargeError(`the step's input parts came to more than the limit of ${maxInputBytes} bytes`)
        if (part.peer !== self) moved += bytes.byteLength
        parts[index] = { step: part.step, bytes }
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, inputs.length) }, worker))
    return { input: combineInputs(parts), moved }
  }

  private async part (part: StepInput, options: AbortOptions): Promise<Uint8Array> {
    const { self, outputs, protocol } = this.components
    if (part.peer === self) {
      const kept = outputs.get(part.ref)
      if (kept == null) throw new ChainDataUnavailableError(`the output of step "${part.step}" is no longer kept here`)
      return kept
    }
    if (protocol == null) throw new ChainDataUnavailableError('this node cannot fetch chain data')
    let peer
    try {
      peer = peerIdFromString(part.peer)
    } catch {
      throw new ChainDataUnavailableError(`the input of step "${part.step}" is said to be on "${part.peer.slice(0, 60)}", which is no peer id`)
    }
    try {
      return await protocol.fetch(peer, part.ref, options)
    } catch (err: any) {
      if (options.signal?.aborted === true) throw options.signal.reason ?? err
      this.components.log('could not fetch the output of step %s from %s: %s', part.step, part.peer, err?.message ?? err)
      throw new ChainDataUnavailableError(`the output of step "${part.step}" could not be fetched from ${part.peer} (${String(err?.name ?? 'Error')}: ${String(err?.message ?? err).slice(0, 200)})`)
    }
  }
}
