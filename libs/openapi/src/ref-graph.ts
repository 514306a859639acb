import { invalidSpec } from './spec-errors';
import { resolveJsonPointer } from './json-pointer';

/** What one `$ref` target holds before any reference in it is followed. */
export interface TargetInfo {
  /** Objects and arrays of the target itself, references excluded. */
  nodes: number;
  /** Approximate JSON bytes of the target itself, references excluded. */
  bytes: number;
  /** The references in it, with how often each occurs. */
  refs: Map<string, number>;
}

export function isRef(value: unknown): value is { $ref: string } & Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { $ref?: unknown }).$ref === 'string';
}

/**
 * Counts a value's own nodes and bytes and collects its `$ref`s, without following them. Iterative, so
 * a deep document cannot overflow the stack here (the depth guard has bounded it already anyway).
 */
export function describeLocal(root: unknown): TargetInfo {
  const info: TargetInfo = { nodes: 0, bytes: 0, refs: new Map() };
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') {
      info.bytes += typeof value === 'string' ? value.length + 2 : 6;
      continue;
    }
    if (isRef(value)) info.refs.set(value.$ref, (info.refs.get(value.$ref) ?? 0) + 1);
    else info.nodes++;
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && isRef(value)) continue;
      info.bytes += key.length + 4;
      stack.push(child);
    }
  }
  return info;
}

/**
 * The graph of local references of one bundled document: targets looked up once, and which targets are
 * recursive (a strongly connected component with a cycle, found with Tarjan's algorithm, iteratively).
 */
export class RefGraph {
  private readonly infos = new Map<string, TargetInfo>();
  private readonly targets = new Map<string, unknown>();
  private readonly component = new Map<string, number>();
  private readonly cyclic = new Set<number>();
  private readonly index = new Map<string, number>();
  private readonly low = new Map<string, number>();
  private nextIndex = 0;
  private nextComponent = 0;

  constructor(private readonly document: Record<string, unknown>) {}

  /** The value a `$ref` points at; a dangling one makes the spec invalid, as a validator would say. */
  target(ref: string): unknown {
    if (this.targets.has(ref)) return this.targets.get(ref);
    const value = resolveJsonPointer(this.document, ref);
    if (value === undefined) throw invalidSpec(`The spec has a $ref to "${ref}", which points at nothing in the document.`, [{ ref }]);
    this.targets.set(ref, value);
    return value;
  }

  info(ref: string): TargetInfo {
    let info = this.infos.get(ref);
    if (!info) {
      info = describeLocal(this.target(ref));
      this.infos.set(ref, info);
    }
    return info;
  }

  /** True when `from` and `to` lie on one cycle of references: following `to` from inside `from` is recursion. */
  sameCycle(from: string, to: string): boolean {
    const a = this.componentOf(from);
    return this.cyclic.has(a) && a === this.componentOf(to);
  }

  isRecursive(ref: string): boolean {
    return this.cyclic.has(this.componentOf(ref));
  }

  private componentOf(ref: string): number {
    if (!this.component.has(ref)) this.tarjan(ref);
    return this.component.get(ref)!;
  }

  private tarjan(root: string): void {
    const stack: string[] = [];
    const onStack = new Set<string>();
    const enter = (ref: string) => {
      this.index.set(ref, this.nextIndex);
      this.low.set(ref, this.nextIndex++);
      stack.push(ref);
      onStack.add(ref);
      return { ref, edges: [...this.info(ref).refs.keys()], next: 0 };
    };
    const work = [enter(root)];
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.next < frame.edges.length) {
        const to = frame.edges[frame.next++];
        if (!this.index.has(to)) work.push(enter(to));
        else if (onStack.has(to)) this.low.set(frame.ref, Math.min(this.low.get(frame.ref)!, this.index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) this.low.set(parent.ref, Math.min(this.low.get(parent.ref)!, this.low.get(frame.ref)!));
      if (this.low.get(frame.ref) !== this.index.get(frame.ref)) continue;
      const id = this.nextComponent++;
      let size = 0;
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        this.component.set(member, id);
        size++;
      } while (member !== frame.ref);
      if (size > 1 || this.info(frame.ref).refs.has(frame.ref)) this.cyclic.add(id);
    }
  }
}
