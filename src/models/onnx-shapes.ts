import type { Dim, Model } from '../onnx/index.js';

/**
 * Sets the declared shapes of graph outputs, with named symbolic dimensions as Optimum exports carry them
 * (`batch_size`, `height`), where the builder's shape inference could not follow an op such as DepthToSpace.
 */
export function withOutputShapes(model: Model, shapes: Readonly<Record<string, readonly Dim[]>>): Model {
  return {
    ...model,
    graph: {
      ...model.graph,
      outputs: model.graph.outputs.map((o) => {
        const shape = shapes[o.name];
        return shape === undefined ? o : { ...o, shape };
      }),
    },
  };
}
