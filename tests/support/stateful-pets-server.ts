import { IncomingMessage, ServerResponse } from 'node:http';
import { RunningFixture, methodNotAllowed, pathSegments, readJsonBody, sendError, sendJson, startFixtureServer } from './fixture-http';

/**
 * A faithful implementation of tests/fixtures/stateful-pets.yaml, under /v1: the store starts empty,
 * POST assigns ids (1, 2, ... in creation order) and answers 201 with the pet and its Location, GET/PUT/
 * DELETE by id answer 404 for an id never created or deleted, PUT replaces every field but the id. A body
 * that sends the read-only `id`, an unknown property, or breaks a constraint is refused with 400.
 */
export interface StatefulPet {
  id: number;
  name: string;
  tag?: string;
  status: 'available' | 'adopted';
}

export interface RunningStatefulPets extends RunningFixture {
  /** The pets stored now, by id: what a test left behind. */
  pets(): StatefulPet[];
}

const BASE = 'v1';
const STATUSES = ['available', 'adopted'];
const ALLOWED = new Set(['id', 'name', 'tag', 'status']);

export async function startStatefulPetsServer(): Promise<RunningStatefulPets> {
  const pets = new Map<number, StatefulPet>();
  let nextId = 1;

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = pathSegments(url);
    if (!segments || segments[0] !== BASE || segments[1] !== 'pets' || segments.length > 3) return sendError(res, 404, `no route ${url.pathname}`);
    if (segments.length === 2) {
      if (req.method === 'GET') return list(res, url);
      if (req.method === 'POST') return create(req, res);
      return methodNotAllowed(res, 'GET, POST');
    }
    if (!['GET', 'PUT', 'DELETE'].includes(req.method ?? '')) return methodNotAllowed(res, 'GET, PUT, DELETE');
    if (!/^[1-9]\d*$/.test(segments[2]) || !Number.isSafeInteger(Number(segments[2]))) return sendError(res, 400, 'petId must be an integer of at least 1');
    const id = Number(segments[2]);
    const pet = pets.get(id);
    if (req.method === 'PUT') {
      // The body is judged before the id, as a framework validating the request would.
      const body = await petBody(req, res);
      if (!body) return;
      if (!pet) return sendError(res, 404, `no pet ${id}`);
      const replaced = { id, ...body };
      pets.set(id, replaced);
      return sendJson(res, 200, replaced);
    }
    if (!pet) return sendError(res, 404, `no pet ${id}`);
    if (req.method === 'GET') return sendJson(res, 200, pet);
    pets.delete(id);
    res.writeHead(204).end();
  }

  function list(res: ServerResponse, url: URL): void {
    const unknown = [...url.searchParams.keys()].find((key) => key !== 'limit' && key !== 'tag');
    if (unknown !== undefined) return sendError(res, 400, `unknown query parameter ${unknown}`);
    let limit = 20;
    const raw = url.searchParams.get('limit');
    if (raw !== null) {
      if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100) return sendError(res, 400, 'limit must be an integer from 1 to 100');
      limit = Number(raw);
    }
    const tag = url.searchParams.get('tag');
    if (tag !== null && codePoints(tag) > 50) return sendError(res, 400, 'tag must be at most 50 characters');
    const page = [...pets.values()].filter((p) => tag === null || p.tag === tag).slice(0, limit);
    return sendJson(res, 200, page);
  }

  async function create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await petBody(req, res);
    if (!body) return;
    const pet = { id: nextId++, ...body };
    pets.set(pet.id, pet);
    sendJson(res, 201, pet, { location: `/${BASE}/pets/${pet.id}` });
  }

  /** The pet fields of a valid body, or null after answering why it is not. */
  async function petBody(req: IncomingMessage, res: ServerResponse): Promise<Omit<StatefulPet, 'id'> | null> {
    const read = await readJsonBody(req);
    if ('status' in read) {
      sendError(res, read.status, read.message);
      return null;
    }
    const problem = petProblem(read.value);
    if (problem) {
      sendError(res, 400, problem);
      return null;
    }
    const pet = read.value as Record<string, string | undefined>;
    return { name: pet.name!, ...(pet.tag !== undefined ? { tag: pet.tag } : {}), status: (pet.status ?? 'available') as StatefulPet['status'] };
  }

  const fixture = await startFixtureServer(handle);
  return { ...fixture, pets: () => [...pets.values()] };
}

function petProblem(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be a Pet object';
  const pet = body as Record<string, unknown>;
  const unknown = Object.keys(pet).find((key) => !ALLOWED.has(key));
  if (unknown !== undefined) return `unknown property ${unknown}`;
  if (pet.id !== undefined) return 'id is read-only: the server assigns it';
  if (typeof pet.name !== 'string') return pet.name === undefined ? 'name is required' : 'name must be a string';
  if (codePoints(pet.name) < 1 || codePoints(pet.name) > 100) return 'name must be 1 to 100 characters';
  if (pet.tag !== undefined && (typeof pet.tag !== 'string' || codePoints(pet.tag) > 50)) return 'tag must be a string of at most 50 characters';
  if (pet.status !== undefined && !STATUSES.includes(pet.status as string)) return `status must be one of ${STATUSES.join(', ')}`;
  return null;
}

/** JSON Schema's minLength/maxLength count code points, not UTF-16 units. */
function codePoints(text: string): number {
  return [...text].length;
}
