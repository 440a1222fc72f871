/** State models on the invoke protocol (`InvokeState.Model`) <-> the daemon's names. */
import { InvokeState } from '../../../protocols/src/invoke/index.js'
import type { StateModel } from '../state/index.js'

const TO_WIRE: Record<StateModel, InvokeState.Model> = {
  'in-client': InvokeState.Model.IN_CLIENT,
  'in-function': InvokeState.Model.IN_FUNCTION,
  'in-edge': InvokeState.Model.IN_EDGE,
  external: InvokeState.Model.EXTERNAL
}

export function modelToWire (model: StateModel): InvokeState.Model {
  return TO_WIRE[model]
}

/** The model a request names; undefined for NONE or a value this node does not know (a newer peer's). */
export function modelFromWire (model: InvokeState.Model): StateModel | undefined {
  return (Object.keys(TO_WIRE) as StateModel[]).find((name) => TO_WIRE[name] === model)
}
