import { IncomingMessage, ServerResponse } from 'node:http';
import { RunningFixture, methodNotAllowed, readBody, sendError, sendJson, startFixtureServer } from './fixture-http';

/**
 * A faithful implementation of tests/fixtures/petstore.yaml, including its input validation, for
 * running generated suites against. Faults break it on purpose, each in one place, so a test can
 * prove the generated suite notices each one:
 * - wrong_status: POST /pets answers 200 instead of the documented 201;
 * - missing_required_field: GET /pets/{petId} leaves out the required `name`;
 * - wrong_type: GET /pets gives `id` as a string, the schema says integer;
 * - accepts_invalid_input: POST /pets stores any JSON body, with any content type, and answers 201.
 * `faulty: true` turns on all four.
 */
export const PETSTORE_FAULTS = ['wrong_status', 'missing_required_field', 'wrong_type', 'accepts_invalid_input'] as const;
export type PetstoreFault = (typeof PETSTORE_FAULTS)[number];

export interface PetstoreServerOptions {
  faulty?: boolean;
  faults?: PetstoreFault[];
}

export type RunningPetstore = RunningFixture;

interface Pet {
  id: number;
  name: string;
  tag?: string;
}

export async function startPetstoreServer(opts: PetstoreServerOptions = {}): Promise<RunningPetstore> {
  const pets = new Map<number, Pet>([
    [1, { id: 1, name: 'Fluffy', tag: 'cat' }],
    [2, { id: 2, name: 'Rex', tag: 'dog' }],
    [3, { id: 3, name: 'Bubbles' }],
  ]);
  const faults = new Set<PetstoreFault>(opts.faulty ? PETSTORE_FAULTS : (opts.faults ?? []));

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = url.pathname.split('/').filter((s) => s !== '');
    if (segments[0] !== 'pets' || segments.length > 2) return sendError(res, 404, `no route ${url.pathname}`);

    if (segments.length === 1) {
      if (req.method === 'GET') return listPets(res, url);
      if (req.method === 'POST') return createPet(req, res);
      return methodNotAllowed(res, 'GET, POST');
    }
    if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
    const pet = pets.get(Number(decodeURIComponent(segments[1])));
    if (!pet || !/^\d+$/.test(decodeURIComponent(segments[1]))) return sendError(res, 404, 'pet not found');
    if (faults.has('missing_required_field')) return sendJson(res, 200, { id: pet.id, tag: pet.tag });
    return sendJson(res, 200, pet);
  }

  function listPets(res: ServerResponse, url: URL): void {
    const raw = url.searchParams.get('limit');
    let limit = 100;
    if (raw !== null) {
      if (!/^-?\d+$/.test(raw)) return sendError(res, 400, 'limit must be an integer');
      limit = Number(raw);
      if (limit > 100) return sendError(res, 400, 'limit must be at most 100');
      if (limit < 0) return sendError(res, 400, 'limit must not be negative');
    }
    const page = [...pets.values()].sort((a, b) => a.id - b.id).slice(0, limit);
    res.setHeader('x-next', '/pets?limit=' + limit);
    return sendJson(res, 200, faults.has('wrong_type') ? page.map((p) => ({ ...p, id: String(p.id) })) : page);
  }

  async function createPet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const text = await readBody(req);
    if (text === null) return sendError(res, 413, 'body too large');
    const validating = !faults.has('accepts_invalid_input');
    if (validating && type !== 'application/json') return sendError(res, 415, 'send application/json');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return sendError(res, 400, 'malformed JSON');
    }
    const problem = validatePet(body);
    if (problem && validating) return sendError(res, 400, problem);
    if (problem) {
      res.writeHead(201).end();
      return;
    }
    const pet = body as Pet;
    pets.set(pet.id, { id: pet.id, name: pet.name, ...(pet.tag !== undefined ? { tag: pet.tag } : {}) });
    res.writeHead(faults.has('wrong_status') ? 200 : 201).end();
  }

  return startFixtureServer(handle);
}

function validatePet(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be a Pet object';
  const pet = body as Record<string, unknown>;
  if (pet.id === undefined) return 'id is required';
  if (!Number.isSafeInteger(pet.id)) return 'id must be an integer';
  if (pet.name === undefined) return 'name is required';
  if (typeof pet.name !== 'string') return 'name must be a string';
  if (pet.tag !== undefined && typeof pet.tag !== 'string') return 'tag must be a string';
  return null;
}
