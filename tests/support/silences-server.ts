import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { RunningFixture, methodNotAllowed, pathSegments, readJsonBody, sendError, sendJson, startFixtureServer } from './fixture-http';

/**
 * A faithful implementation of tests/fixtures/silences.yaml: a silence is accepted only when its time
 * range is ordered (startsAt < endsAt) and has not ended (endsAt after now), else 422; a body that is
 * not a NewSilence (missing or unknown field, not an RFC 3339 date-time) is 400. Ids are UUIDs.
 * `now` replaces the clock, so a test can place "now" where it needs it.
 */
export interface Silence {
  id: string;
  comment: string;
  createdBy?: string;
  startsAt: string;
  endsAt: string;
}

export interface SilencesServerOptions {
  now?: () => number;
}

export interface RunningSilences extends RunningFixture {
  silences(): Silence[];
}

const FIELDS = new Set(['comment', 'createdBy', 'startsAt', 'endsAt']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 3339 date-time (JSON Schema's "date-time"): full date, "T", full time with a zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export async function startSilencesServer(options: SilencesServerOptions = {}): Promise<RunningSilences> {
  const now = options.now ?? Date.now;
  const silences = new Map<string, Silence>();

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = pathSegments(url);
    if (!segments || segments[0] !== 'silences' || segments.length > 2) return sendError(res, 404, `no route ${url.pathname}`);
    if (segments.length === 1) {
      if (req.method === 'GET') return sendJson(res, 200, [...silences.values()]);
      if (req.method === 'POST') return create(req, res);
      return methodNotAllowed(res, 'GET, POST');
    }
    if (req.method !== 'GET' && req.method !== 'DELETE') return methodNotAllowed(res, 'GET, DELETE');
    if (!UUID.test(segments[1])) return sendError(res, 400, 'silenceId must be a UUID');
    const silence = silences.get(segments[1].toLowerCase());
    if (!silence) return sendError(res, 404, `no silence ${segments[1]}`);
    if (req.method === 'GET') return sendJson(res, 200, silence);
    silences.delete(silence.id);
    res.writeHead(204).end();
  }

  async function create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readJsonBody(req);
    if ('status' in read) return sendError(res, read.status, read.message);
    const problem = newSilenceProblem(read.value);
    if (problem) return sendError(res, 400, problem);
    const body = read.value as Omit<Silence, 'id'>;
    const startsAt = Date.parse(body.startsAt);
    const endsAt = Date.parse(body.endsAt);
    if (!(startsAt < endsAt)) return sendError(res, 422, 'startsAt must be before endsAt');
    if (!(endsAt > now())) return sendError(res, 422, 'endsAt must be in the future');
    const silence: Silence = { id: randomUUID(), ...body };
    silences.set(silence.id, silence);
    sendJson(res, 201, silence);
  }

  const fixture = await startFixtureServer(handle);
  return { ...fixture, silences: () => [...silences.values()] };
}

function newSilenceProblem(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be a NewSilence object';
  const silence = body as Record<string, unknown>;
  const unknown = Object.keys(silence).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) return `unknown property ${unknown}`;
  if (typeof silence.comment !== 'string' || silence.comment === '') return 'comment is required, a non-empty string';
  if (silence.createdBy !== undefined && typeof silence.createdBy !== 'string') return 'createdBy must be a string';
  for (const field of ['startsAt', 'endsAt']) {
    const value = silence[field];
    if (typeof value !== 'string' || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) return `${field} is required, an RFC 3339 date-time`;
  }
  return null;
}
