import { AppError } from '@spectest/contracts';

/**
 * Refuses documents nested deeper than `maxDepth`, and object inputs with cycles.
 * Iterative so that the guard itself cannot overflow the stack it protects.
 */
export function assertDepthWithin(root: unknown, maxDepth: number): void {
  const stack: { value: unknown; depth: number; leaving: boolean }[] = [{ value: root, depth: 0, leaving: false }];
  const onPath = new Set<object>();
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.value === null || typeof frame.value !== 'object') continue;
    const node = frame.value as object;
    if (frame.leaving) {
      onPath.delete(node);
      continue;
    }
    if (frame.depth > maxDepth) {
      throw new AppError('spec_too_deep', `The spec nests deeper than ${maxDepth} levels.`, 400);
    }
    if (onPath.has(node)) {
      throw new AppError('invalid_spec', 'The spec object contains a cycle; send a plain JSON document.', 400);
    }
    onPath.add(node);
    stack.push({ value: node, depth: frame.depth, leaving: true });
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: frame.depth + 1, leaving: false });
    }
  }
}
