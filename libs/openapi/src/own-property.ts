/**
 * Names from a spec become object keys. A plain assignment with the key "__proto__" sets the object's
 * prototype instead of a property, and `key in object` is true for "constructor" or "toString" on any
 * object: write with this, and test with Object.hasOwn, so every name is a plain own key.
 */
export function setOwnProperty<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
