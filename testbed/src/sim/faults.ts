import type { SimNode } from './node.js'
import type { ScenarioEvent } from '../scenario.js'
import type { Clock } from '../../../daemon/src/utils/clock.js'

/** An invocation on its way to, or running on, another node: a partition between the two ends it. */
export interface Flight {
  from: SimNode
  to: SimNode
  /** The stream closed under it: the caller passes it on, the node there drops it. */
  cut(): void
}

export interface FaultsComponents {
  clock: Clock
  /** The nodes a node or group name stands for, in the mesh as simulated (`--nodes` scales groups). */
  expand(ref: string): SimNode[]
  /** A node died: the others forget its adverts (the daemon drops a peer from its view on disconnect). */
  killed(node: SimNode): void
}

/**
 * The scenario's `events` in virtual time, as `testbed run` applies them to daemons (run.ts
 * `schedule`): `kill` (SIGKILL: what the node holds is lost, see SimNode.kill), `restart` (back
 * up, empty), `partition` (links between the two sides are cut: open streams close, new ones
 * are refused, adverts stop crossing), `heal`. `at` is seconds from the start of the run. A
 * node restarted during a partition comes back on its side of it, as with daemons.
 */
export class Faults {
  private sides: [Set<string>, Set<string>] | undefined
  private readonly flights = new Set<Flight>()

  /** Only a kill or a partition ends flights: without either in the scenario, none is followed (a Set entry per invocation saved). */
  private readonly ending: boolean

  constructor (private readonly events: ScenarioEvent[], private readonly components: FaultsComponents) {
    this.ending = events.some((e) => 'partition' in e || 'kill' in e)
  }

  /** Schedules every event; events at the same time apply in the scenario's order. */
  start (): void {
    for (const event of this.events) this.components.clock.setTimeout(() => { this.apply(event) }, event.at * 1000)
  }

  /** Whether a partition stands between two nodes now. */
  cut (a: SimNode, b: SimNode): boolean {
    if (this.sides == null) return false
    const [left, right] = this.sides
    return (left.has(a.name) && right.has(b.name)) || (right.has(a.name) && left.has(b.name))
  }

  /** Follows an invocation sent to another node until it is answered: the returned function ends the watch. */
  track (flight: Flight): () => void {
    if (!this.ending) return untracked
    this.flights.add(flight)
    return () => { this.flights.delete(flight) }
  }

  private apply (event: ScenarioEvent): void {
    if ('kill' in event) {
      for (const node of this.components.expand(event.kill)) this.kill(node)
    } else if ('restart' in event) {
      for (const node of this.components.expand(event.restart)) node.restart()
    } else if ('partition' in event) {
      this.partition(event.partition)
    } else {
      this.sides = undefined
    }
  }

  private kill (node: SimNode): void {
    node.kill()
    // its connections close: what it had sent elsewhere is dropped there (its client is gone)
    this.end((flight) => flight.from === node)
    this.components.killed(node)
  }

  private end (which: (flight: Flight) => boolean): void {
    for (const flight of [...this.flights]) {
      if (!which(flight)) continue
      this.flights.delete(flight)
      flight.cut()
    }
  }

  private partition (sides: [string[], string[]]): void {
    const names = (refs: string[]): Set<string> => new Set(refs.flatMap((ref) => this.components.expand(ref).map((n) => n.name)))
    this.sides = [names(sides[0]), names(sides[1])]
    // a partition cuts what is open now (daemon.ts hangs up on the peers it blocks)
    this.end((flight) => this.cut(flight.from, flight.to))
  }
}

const untracked = (): void => {}
