/**
 * Rewriting of converted TensorFlow graphs (model.json GraphDefs): fused convolution / matmul nodes
 * split into plain op, bias and activation nodes.
 */
import { fail, show } from '../errors';
import { PREACT_SUFFIX } from './layerIndex';

/** A node of a GraphDef in model.json (the parts we read or write). @internal */
export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; list?: { s?: string[] }; f?: number; b?: boolean; i?: string | number; type?: string }>;
  device?: string;
}

const b64decode = (s: string): string =>
  typeof atob === 'function' ? atob(s) : Buffer.from(s, 'base64').toString('latin1');
const b64encode = (s: string): string =>
  typeof btoa === 'function' ? btoa(s) : Buffer.from(s, 'latin1').toString('base64');

const FUSED_BASE: Readonly<Record<string, string>> = {
  _FusedConv2D: 'Conv2D',
  FusedDepthwiseConv2dNative: 'DepthwiseConv2dNative',
  _FusedMatMul: 'MatMul',
};
const ACTIVATION_OPS: Readonly<Record<string, string>> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};
const FUSION_ATTRS = new Set(['fused_ops', 'num_args', 'epsilon', 'leakyrelu_alpha']);
/** Suffix of the raw (pre-bias) convolution node created when unfusing; not listed as a layer. */
const RAW_SUFFIX = '/_unfused';

/**
 * Splits every `_FusedConv2D`, `FusedDepthwiseConv2dNative` and `_FusedMatMul` node of a model.json
 * GraphDef into plain `Conv2D`/`DepthwiseConv2dNative`/`MatMul`, `BiasAdd` and activation nodes.
 *
 * Why: under gradients tfjs keeps a fused op fused when its activation is linear (bias only, as in
 * conv + folded BatchNorm), and then always computes the filter gradient too (one custom gradient
 * function): input gradients ~20× slower on cpu, and a failure on wasm (no `Conv2DBackpropFilter`).
 * Plain ops compute only the gradients asked for. (With a non-linear activation tfjs already falls
 * back to plain ops under gradients; splitting still exposes the pre-activation value.) The last node keeps the fused node's name, so the
 * graph's wiring is unchanged; the value before the activation gets the name `'<node>/preact'`
 * (Lucid's `..._pre_relu` tensors). Nodes whose fusion cannot be split (e.g. an unknown activation)
 * are kept as they are.
 *
 * @example
 * ```ts
 * const { topology, preactNames } = unfuseGraphTopology(artifacts.modelTopology);
 * ```
 * @param topology a GraphDef JSON object (`{ node: [...], ... }`), not modified.
 * @returns a new topology, the `/preact` node names created, and the internal node names.
 */
export function unfuseGraphTopology(topology: unknown): { topology: { node: GraphNode[] }; preactNames: string[]; internalNames: string[] } {
  const t = topology as { node?: GraphNode[] };
  if (!t || !Array.isArray(t.node)) fail('model.unfuseGraphTopology', `topology must be a GraphDef object with a node list, but got ${show(topology)}.`);
  const preactNames: string[] = [];
  const internalNames: string[] = [];
  const nodes: GraphNode[] = [];
  for (const node of t.node) {
    const base = FUSED_BASE[node.op];
    const fusedOps = (node.attr?.fused_ops?.list?.s ?? []).map((s) => b64decode(s).toLowerCase());
    const supported = fusedOps.every((op, i) => (op === 'biasadd' && i === 0) || (ACTIVATION_OPS[op] !== undefined && i === fusedOps.length - 1));
    if (base === undefined || !supported || fusedOps.length === 0) {
      nodes.push(node);
      continue;
    }
    const inputs = node.input ?? [];
    const data = inputs.filter((i) => !i.startsWith('^'));
    const control = inputs.filter((i) => i.startsWith('^'));
    const args = data.slice(2);
    const attr: NonNullable<GraphNode['attr']> = {};
    for (const [k, v] of Object.entries(node.attr ?? {})) if (!FUSION_ATTRS.has(k)) attr[k] = v;
    const T = node.attr?.T ?? { type: 'DT_FLOAT' };
    const hasBias = fusedOps[0] === 'biasadd';
    const act = hasBias ? fusedOps[1] : fusedOps[0];
    let argIndex = 0;
    let current = `${node.name}${RAW_SUFFIX}`;
    nodes.push({ ...node, op: base, input: [data[0], data[1], ...control], attr, name: current });
    internalNames.push(current);
    if (hasBias) {
      const name = act === undefined ? node.name : `${node.name}${PREACT_SUFFIX}`;
      nodes.push({ name, op: 'BiasAdd', input: [current, args[argIndex++]], attr: { T, data_format: { s: b64encode('NHWC') } } });
      current = name;
    }
    if (act !== undefined) {
      if (!hasBias) {
        // The raw convolution is the pre-activation value.
        const name = `${node.name}${PREACT_SUFFIX}`;
        nodes.push({ name, op: 'Identity', input: [current], attr: { T } });
        current = name;
      }
      preactNames.push(`${node.name}${PREACT_SUFFIX}`);
      const actNode: GraphNode = { name: node.name, op: ACTIVATION_OPS[act], input: [current], attr: { T } };
      if (act === 'prelu') actNode.input = [current, args[argIndex++]];
      if (act === 'leakyrelu') actNode.attr = { T, alpha: { f: node.attr?.leakyrelu_alpha?.f ?? 0.2 } };
      nodes.push(actNode);
    }
  }
  return { topology: { ...(topology as object), node: nodes }, preactNames, internalNames };
}
