import { AppError, Endpoint } from '@spectest/contracts';
import { RefGraph, TargetInfo, describeLocal, isRef } from './ref-graph';
import { invalidSpec } from './spec-errors';
import { setOwnProperty } from './own-property';

/** Marker key left where a schema was not expanded; the value is the `$ref` that was not followed. */
export const RECURSION_CUT_KEY = 'x-spectest-recursive-ref';

const NAMED_SCHEMA = /^#\/components\/schemas\/[^/]+$/;

export interface ResolveLimits {
  /** Named schemas (components/schemas) expanded inside one another in one operation's view. */
  maxSchemaNesting: number;
  /** Nodes of one operation's resolved view, shared schemas counted where used. */
  maxNodes: number;
  /** Approximate JSON bytes of one operation's resolved view, shared schemas counted where used. */
  maxBytes: number;
}

/** How far one operation's view is expanded, decided before any of it is built. */
export interface OperationPlan {
  /** Named-schema nesting used: maxSchemaNesting, or less when the full expansion is over the limits. */
  nesting: number;
  nodes: number;
  bytes: number;
  /** A named schema was left as a marker because of the nesting bound. */
  nestingCut: boolean;
}

/** The parts of one operation with every local `$ref` replaced by what it points at (see OperationResolver). */
export interface ResolvedOperation {
  pathItem: Record<string, unknown>;
  operation: Record<string, unknown>;
  plan: OperationPlan;
}

interface Size {
  nodes: number;
  bytes: number;
  nestingCut: boolean;
}

type Edge = { nesting: number } | { cut: 'recursive' | 'nesting' };

const MARKER_BYTES = 120;
const EXPANDED_PARTS = ['parameters', 'requestBody'] as const;
/** A chain of references to references longer than this is a loop (a -> b -> a) or an attack. */
const MAX_REF_HOPS = 64;

/**
 * Resolves the references of one operation of a bundled document, lazily, one operation at a time.
 *
 * The document keeps its `$ref`s; a view replaces each with the object it points at. What a reference
 * expands to depends only on (target, nesting left), so each expansion is built once and shared by every
 * operation that uses it: memory stays near the document's size however densely schemas refer to one
 * another, and the per-operation limits bound what a consumer walking a view as a tree can meet.
 * - following a named schema (components/schemas) costs one level of nesting; at zero it is a marker;
 * - following a reference back into the cycle it was reached from (recursion) is allowed once more, then a marker.
 * Parameters and the request body are expanded (cases are built from them). Responses are resolved down
 * to their media types only: a response schema stays as written, with its references, because cases carry
 * it as their expectation (stored, shipped in the artifact next to the document that defines the targets).
 * An operation whose view would pass maxNodes / maxBytes is expanded less deep (plan.nesting); when even
 * nesting 0 passes them, the spec is refused with `spec_too_large`.
 */
export class OperationResolver {
  readonly graph: RefGraph;
  private readonly sizes = new Map<string, Size>();
  private readonly expanded = new Map<string, unknown>();
  private readonly plans = new Map<string, OperationPlan>();

  constructor(
    readonly document: Record<string, unknown>,
    readonly limits: ResolveLimits,
  ) {
    this.graph = new RefGraph(document);
  }

  /** The path item of a path, following a path-item `$ref`. */
  pathItem(path: string): Record<string, unknown> | undefined {
    const item = record(record(this.document.paths)[path]);
    if (!isRef(item)) return item;
    return record(this.graph.target(item.$ref));
  }

  /** Decides the nesting of one operation's view (memoised); refuses the spec when no nesting fits. */
  plan(endpoint: Pick<Endpoint, 'key' | 'method' | 'path'>): OperationPlan {
    const known = this.plans.get(endpoint.key);
    if (known) return known;
    const { pathItem, operation } = this.source(endpoint);
    const local = describeLocal([pathItem.parameters ?? null, ...EXPANDED_PARTS.map((part) => operation[part] ?? null)]);
    let plan: OperationPlan | null = null;
    for (let nesting = this.limits.maxSchemaNesting; nesting >= 0 && !plan; nesting--) {
      const size = this.sizeOfRefs(local, null, nesting);
      if (size.nodes <= this.limits.maxNodes && size.bytes <= this.limits.maxBytes) plan = { nesting, ...size };
    }
    if (!plan) {
      const size = this.sizeOfRefs(local, null, 0);
      throw new AppError(
        'spec_too_large',
        `The operation ${endpoint.key} is over the limits of one operation (SPEC_MAX_EXPANDED_NODES ${this.limits.maxNodes} nodes, ` +
          `SPEC_MAX_EXPANDED_BYTES ${this.limits.maxBytes} bytes) even with no named schema expanded: ` +
          `${size.nodes} nodes, about ${size.bytes} bytes. Split the spec or shorten that operation.`,
        413,
        [{ endpoint: endpoint.key, nodes: size.nodes, bytes: size.bytes }],
      );
    }
    this.plans.set(endpoint.key, plan);
    return plan;
  }

  /** The operation with its parameters (path-level ones too), request body and responses resolved (see the class). */
  resolve(endpoint: Pick<Endpoint, 'key' | 'method' | 'path'>): ResolvedOperation {
    const plan = this.plan(endpoint);
    const { pathItem, operation } = this.source(endpoint);
    const resolvedItem: Record<string, unknown> = { ...pathItem };
    if (pathItem.parameters !== undefined) resolvedItem.parameters = this.expand(pathItem.parameters, null, plan.nesting);
    const resolved: Record<string, unknown> = { ...operation };
    for (const part of EXPANDED_PARTS) {
      if (operation[part] !== undefined) resolved[part] = this.expand(operation[part], null, plan.nesting);
    }
    if (operation.responses !== undefined) resolved.responses = this.responses(operation.responses);
    resolvedItem[endpoint.method] = resolved;
    return { pathItem: resolvedItem, operation: resolved, plan };
  }

  /** Response objects and their media types resolved; schemas, headers, links and examples as written. */
  private responses(value: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [code, raw] of Object.entries(record(this.dereferenced(value)))) {
      const response = record(this.dereferenced(raw));
      const content = response.content === undefined ? undefined : Object.fromEntries(
        Object.entries(record(this.dereferenced(response.content))).map(([type, media]) => [type, record(this.dereferenced(media))]),
      );
      out[code] = content === undefined ? { ...response } : { ...response, content };
    }
    return out;
  }

  /** The value itself, or what its chain of `$ref`s ends at (siblings of a `$ref` are dropped here). */
  dereferenced(value: unknown): unknown {
    let current = value;
    for (let hops = 0; isRef(current); hops++) {
      if (hops >= MAX_REF_HOPS) throw invalidSpec(`The $ref "${current.$ref}" is part of a chain of ${MAX_REF_HOPS} references that never reaches a value.`);
      current = this.graph.target(current.$ref);
    }
    return current;
  }

  private source(endpoint: Pick<Endpoint, 'key' | 'method' | 'path'>) {
    const pathItem = this.pathItem(endpoint.path);
    const operation = pathItem?.[endpoint.method];
    if (!pathItem || !operation || typeof operation !== 'object') throw new Error(`No operation ${endpoint.key} in the document`);
    return { pathItem, operation: operation as Record<string, unknown> };
  }

  private edge(from: string | null, to: string, nesting: number): Edge {
    if (from !== null && this.graph.sameCycle(from, to)) return nesting >= 1 ? { nesting: 0 } : { cut: 'recursive' };
    if (NAMED_SCHEMA.test(to)) return nesting >= 1 ? { nesting: nesting - 1 } : { cut: 'nesting' };
    return { nesting };
  }

  private sizeOfRefs(local: TargetInfo, from: string | null, nesting: number): Size {
    const size: Size = { nodes: local.nodes, bytes: local.bytes, nestingCut: false };
    for (const [ref, count] of local.refs) {
      const edge = this.edge(from, ref, nesting);
      if ('cut' in edge) {
        size.nodes += count;
        size.bytes += count * (ref.length + MARKER_BYTES);
        if (edge.cut === 'nesting') size.nestingCut = true;
        continue;
      }
      const inner = this.sizeOf(ref, edge.nesting);
      size.nodes += count * inner.nodes;
      size.bytes += count * inner.bytes;
      size.nestingCut ||= inner.nestingCut;
    }
    return size;
  }

  private sizeOf(ref: string, nesting: number): Size {
    const key = `${nesting}|${ref}`;
    let size = this.sizes.get(key);
    if (!size) {
      size = this.sizeOfRefs(this.graph.info(ref), ref, nesting);
      this.sizes.set(key, size);
    }
    return size;
  }

  /** A copy of an inline value with its references resolved; `from` is the reference whose target it lies in. */
  private expand(value: unknown, from: string | null, nesting: number): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.expand(item, from, nesting));
    if (isRef(value)) return this.follow(value, from, nesting);
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) setOwnProperty(out, key, this.expand(child, from, nesting));
    return out;
  }

  private follow(ref: { $ref: string } & Record<string, unknown>, from: string | null, nesting: number): unknown {
    const edge = this.edge(from, ref.$ref, nesting);
    const base = 'cut' in edge ? marker(ref.$ref, edge.cut) : this.expandTarget(ref.$ref, edge.nesting);
    const siblings = Object.entries(ref).filter(([key]) => key !== '$ref');
    if (siblings.length === 0 || base === null || typeof base !== 'object' || Array.isArray(base)) return base;
    // A reference with siblings (OpenAPI 3.1): the target's keywords, then the siblings'.
    const own = Object.fromEntries(siblings.map(([key, child]) => [key, this.expand(child, from, nesting)]));
    return { ...(base as Record<string, unknown>), ...own };
  }

  private expandTarget(ref: string, nesting: number): unknown {
    const key = `${nesting}|${ref}`;
    if (this.expanded.has(key)) return this.expanded.get(key);
    const target = this.graph.target(ref);
    // A chain (a -> b -> a) reaching itself again is cut by the nesting rules; the entry guards the loop meanwhile.
    this.expanded.set(key, marker(ref, 'recursive'));
    const out = isRef(target) ? this.follow(target, ref, nesting) : this.expand(target, ref, nesting);
    this.expanded.set(key, out);
    return out;
  }
}

function marker(ref: string, cut: 'recursive' | 'nesting'): Record<string, unknown> {
  const description = cut === 'recursive' ? `Recursive reference to ${ref} (cut here)` : `Reference to ${ref}, not expanded here (cut here)`;
  return { description, [RECURSION_CUT_KEY]: ref };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
