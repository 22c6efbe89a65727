import * as tf from '@tensorflow/tfjs-core';

/** A node of tfjs's gradient tape (tfjs-core 4.x `TapeNode`, not exported by the package). */
interface TapeNode {
  readonly id: number;
  readonly kernelName: string;
  outputs: tf.Tensor[];
  inputs: Record<string, tf.Tensor>;
  readonly gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  readonly saved?: tf.Tensor[];
}

/** The members of tfjs-core 4.x's `Engine` this file drives (private in its typings, stable since 2.x). */
interface EngineInternals {
  readonly state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, fn: () => T): T;
}

/**
 * `tf.engine().gradients(f, xs)` — the same tape, gradient functions and summation order, hence the same values —
 * that frees as it goes. tfjs keeps every intermediate gradient (each node's `dy`, each partial `dx` it adds up) and
 * every node's saved tensors until the whole backward pass ends, so at its peak a step holds about one more copy of
 * the activations and, for a weight used k times (two dropout views, micro-batches), k + 1 copies of its gradient.
 * Here a node's output gradients, its partial sums and its saved tensors are released as soon as the node is done.
 * Inside another gradient computation (higher-order gradients) nothing is freed early, as in tfjs.
 *
 * @param onGradient when given, called with x's index and its gradient as soon as that gradient is complete (after
 *   the earliest node that reads x has been processed) instead of returning it; the callback owns the tensor (dispose
 *   it, or `tf.keep` it), so all gradients never need to be resident at once.
 * @returns `value` (f's result) and the gradient of each x (undefined where y does not depend on it, or where it went
 *   to `onGradient`)
 */
export function gradientsFreeingAsItGoes(
  f: () => tf.Tensor,
  xs: readonly tf.Tensor[],
  onGradient?: (index: number, grad: tf.Tensor) => void,
): { value: tf.Tensor; grads: Array<tf.Tensor | undefined> } {
  const engine = tf.engine() as unknown as EngineInternals;
  const outermost = engine.state.gradientDepth === 0;
  let tape: TapeNode[] = [];
  const value = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => {
      const out = engine.tidy('forward', f);
      tape = engine.state.activeTape ?? [];
      return out;
    },
  );
  if (!(value instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const filtered = filteredNodes(tape, xs, value);
  const wanted = new Set(xs.map((x) => x.id));
  // Index of the earliest node reading each x: once the backward walk has passed it, x's gradient is complete.
  const firstUse = new Map<number, number>();
  filtered.forEach((node, i) => {
    for (const input of Object.values(node.inputs)) if (wanted.has(input.id) && !firstUse.has(input.id)) firstUse.set(input.id, i);
  });
  const completedAt = new Map<number, number[]>();
  xs.forEach((x, k) => {
    const at = firstUse.get(x.id);
    if (at !== undefined) completedAt.set(at, [...(completedAt.get(at) ?? []), k]);
  });
  return engine.tidy('backward', () => {
    const seed = tf.ones(value.shape);
    // Only tensors made by this backward pass are ever freed early (never a variable or a forward tensor that a
    // gradient function might hand back); tensor ids only grow.
    const firstId = seed.id;
    const grads = new Map<number, tf.Tensor>([[value.id, seed]]);
    // How many map entries hold each tensor object: a gradient function may hand back its dy unchanged.
    const holders = new Map<tf.Tensor, number>();
    const hold = (t: tf.Tensor, delta: number): void => {
      holders.set(t, (holders.get(t) ?? 0) + delta);
    };
    hold(grads.get(value.id) as tf.Tensor, 1);
    const release = (t: tf.Tensor): void => {
      if (outermost && t.id >= firstId && (holders.get(t) ?? 0) <= 0) {
        holders.delete(t);
        t.dispose();
      }
    };
    for (let i = filtered.length - 1; i >= 0; i--) {
      const node = filtered[i] as TapeNode;
      const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
      if (node.gradient === undefined) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const inputGradients = node.gradient(dys);
      const done: tf.Tensor[] = [];
      for (const inputName in node.inputs) {
        const gradient = inputGradients[inputName];
        if (gradient === undefined) {
          throw new Error(`Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients).join(', ')}.`);
        }
        const dx = tf.tidy(gradient);
        const x = node.inputs[inputName] as tf.Tensor;
        if (dx.dtype !== 'float32') {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' dtype, but has '${dx.dtype}'`);
        }
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
        }
        const current = grads.get(x.id);
        if (current === undefined) {
          grads.set(x.id, dx);
          hold(dx, 1);
        } else {
          const sum = tf.add(current, dx);
          grads.set(x.id, sum);
          hold(sum, 1);
          hold(current, -1);
          done.push(current, dx);
        }
      }
      // Each tensor is made by one node: once that node has run, its outputs' gradients are spent.
      for (const o of node.outputs) {
        const dy = grads.get(o.id);
        if (dy === undefined || wanted.has(o.id)) continue;
        grads.delete(o.id);
        hold(dy, -1);
        done.push(dy);
      }
      if (onGradient !== undefined) {
        for (const k of completedAt.get(i) ?? []) {
          const x = xs[k] as tf.Tensor;
          const grad = grads.get(x.id);
          if (grad === undefined) continue;
          grads.delete(x.id);
          hold(grad, -1);
          // A tensor still held under another key is handed over as a clone (same buffer), so the callback may dispose it.
          onGradient(k, (holders.get(grad) ?? 0) > 0 ? grad.clone() : grad);
          if ((holders.get(grad) ?? 0) <= 0) holders.delete(grad);
        }
      }
      for (const t of new Set(done)) release(t);
      if (outermost) node.saved?.forEach((t) => t.dispose());
    }
    const out = xs.map((x) => grads.get(x.id));
    if (outermost) {
      for (const node of tape) node.saved?.forEach((t) => t.dispose());
      engine.state.activeTape = null;
    }
    return { value, grads: out } as unknown as tf.TensorContainer;
  }) as unknown as { value: tf.Tensor; grads: Array<tf.Tensor | undefined> };
}

/** tfjs's `getFilteredNodesXToY`: the nodes on a path from some x to y, their inputs pruned to those that depend on an x. */
function filteredNodes(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      node.outputs.forEach((output) => fromX.add(output.id));
      nodesFromX.add(node.id);
    }
  }
  const leadToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((output) => leadToY.has(output.id))) {
      for (const input of Object.values(node.inputs)) leadToY.add(input.id);
      nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, input] of Object.entries(node.inputs)) if (fromX.has(input.id)) inputs[name] = input;
    out.push({ ...node, inputs, outputs: node.outputs });
  }
  return out;
}
