import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  K8S_DIR,
  SERVICE_NAMES,
  checkImagesAndCommands,
  checkIntakeMemory,
  checkK8sEnv,
  checkKustomizationFiles,
  checkOperations,
  checkPrometheus,
  checkProbes,
  checkReferences,
  checkServiceSet,
  clone,
  isExample,
  k8sYamlFiles,
  loadExamples,
  loadK8sBase,
  loadKustomization,
  ofKind,
  parseYamlDocs,
  podSpecOf,
  rootPackageJson,
  serviceOfDeployment,
  validateK8sObject,
  type K8sDoc,
} from './deploy-checks';

const base = loadK8sBase();
const deploymentOf = (docs: K8sDoc[], name: string): K8sDoc => {
  const d = ofKind(docs, 'Deployment').find((x) => serviceOfDeployment(x) === name);
  if (!d) throw new Error(`no Deployment for ${name}`);
  return d;
};
const containerOf = (docs: K8sDoc[], name: string) => podSpecOf(deploymentOf(docs, name).obj)!.containers[0];

describe('k8s/ kustomize base', () => {
  it('parses every YAML file in k8s/', () => {
    for (const file of k8sYamlFiles()) {
      expect(() => parseYamlDocs(fs.readFileSync(path.join(K8S_DIR, file), 'utf8'), file)).not.toThrow();
    }
    expect(() => parseYamlDocs('a: [1,\n', 'broken.yaml')).toThrow(/broken\.yaml/);
  });

  it('lists every manifest in kustomization.yaml resources, and nothing that does not exist', () => {
    const k = loadKustomization();
    expect(k.kind).toBe('Kustomization');
    expect(checkKustomizationFiles(k.resources, k8sYamlFiles())).toEqual([]);
    expect(k8sYamlFiles().filter(isExample).sort()).toEqual(expect.arrayContaining(['secret.example.yaml']));
  });

  it('reports a missing or an unlisted manifest', () => {
    const k = loadKustomization();
    const files = k8sYamlFiles();
    expect(checkKustomizationFiles([...k.resources, 'nope.yaml'], files)).toContainEqual(expect.stringMatching(/nope\.yaml, which does not exist/));
    expect(checkKustomizationFiles(k.resources.filter((r: string) => r !== 'gateway.yaml'), files)).toContainEqual(expect.stringMatching(/gateway\.yaml is not listed/));
    expect(checkKustomizationFiles([...k.resources, 'secret.example.yaml'], files)).toContainEqual(expect.stringMatching(/example/));
  });

  it('validates every object (and the examples) with kubernetes-models', () => {
    const all = [...base, ...loadExamples()];
    expect(all.length).toBeGreaterThan(10);
    expect(all.flatMap(validateK8sObject)).toEqual([]);
  });

  it('kubernetes-models validation catches a schema error', () => {
    const broken = clone(deploymentOf(base, 'intake'));
    podSpecOf(broken.obj)!.containers[0].ports[0].containerPort = '3000';
    expect(validateK8sObject(broken)).toContainEqual(expect.stringMatching(/containerPort must be integer/));
    expect(validateK8sObject({ file: 'x', obj: { apiVersion: 'v9', kind: 'Thing', metadata: { name: 'x' } } })).toContainEqual(expect.stringMatching(/no kubernetes-models class/));
  });

  it('has one Deployment and one Service per service, and no Secret in the base', () => {
    expect(checkServiceSet(base)).toEqual([]);
    expect(ofKind(base, 'Service').map((s) => s.obj.metadata.name).sort()).toEqual(SERVICE_NAMES.map((n) => `spectest-${n}`).sort());
    expect(ofKind(base, 'Secret')).toEqual([]);
    expect(checkServiceSet(base.filter((d) => serviceOfDeployment(d) !== 'packager'))).toContainEqual(expect.stringMatching(/packager/));
  });

  it('wires liveness and readiness probes to /health/live and /health/ready on the PORT container port', () => {
    expect(checkProbes(base)).toEqual([]);
  });

  it('reports a probe on the wrong path or port', () => {
    const wrongPath = clone(base);
    containerOf(wrongPath, 'gateway').readinessProbe.httpGet.path = '/health/live';
    expect(checkProbes(wrongPath)).toContainEqual(expect.stringMatching(/spectest-gateway: readinessProbe path \/health\/live, expected \/health\/ready/));

    const wrongPort = clone(base);
    containerOf(wrongPort, 'packager').ports[0].containerPort = 3000;
    expect(checkProbes(wrongPort)).toContainEqual(expect.stringMatching(/spectest-packager: no containerPort 3004/));

    const wrongEnv = clone(base);
    containerOf(wrongEnv, 'intake').env.find((e: any) => e.name === 'PORT').value = '3004';
    expect(checkProbes(wrongEnv)).toContainEqual(expect.stringMatching(/PORT 3004, but intake listens on 3000/));

    const noLiveness = clone(base);
    delete containerOf(noLiveness, 'spec-parser').livenessProbe;
    expect(checkProbes(noLiveness)).toContainEqual(expect.stringMatching(/spectest-spec-parser: container spec-parser has no livenessProbe/));
  });

  it('annotates pods for Prometheus on /metrics at the service port', () => {
    expect(checkPrometheus(base)).toEqual([]);
    const broken = clone(base);
    deploymentOf(broken, 'ai-enhancer').obj.spec.template.metadata.annotations['prometheus.io/port'] = '3000';
    expect(checkPrometheus(broken)).toContainEqual(expect.stringMatching(/ai-enhancer.*prometheus.io\/port 3000, expected 3003/));
  });

  it('resolves every secretKeyRef, configMapRef, ServiceAccount, selector, HPA and PDB target', () => {
    expect(checkReferences(base)).toEqual([]);
  });

  it('reports references to objects that are not defined', () => {
    const badSecret = clone(base);
    containerOf(badSecret, 'intake').env.find((e: any) => e.name === 'AUTH_JWT_SECRET').valueFrom.secretKeyRef.name = 'other-secrets';
    expect(checkReferences(badSecret)).toContainEqual(expect.stringMatching(/unknown Secret other-secrets/));

    const badKey = clone(base);
    containerOf(badKey, 'intake').env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef.key = 'DB_URL';
    expect(checkReferences(badKey)).toContainEqual(expect.stringMatching(/spectest-secrets has no key DB_URL/));

    const badConfig = clone(base);
    containerOf(badConfig, 'gateway').envFrom[0].configMapRef.name = 'spectest-cfg';
    expect(checkReferences(badConfig)).toContainEqual(expect.stringMatching(/unknown ConfigMap spectest-cfg/));

    const badHpa = clone(base);
    ofKind(badHpa, 'HorizontalPodAutoscaler')[0].obj.spec.scaleTargetRef.name = 'spectest-nothing';
    expect(checkReferences(badHpa)).toContainEqual(expect.stringMatching(/scaleTargetRef Deployment\/spectest-nothing/));

    const badService = clone(base);
    ofKind(badService, 'Service')[0].obj.spec.ports[0].targetPort = 'metrics';
    expect(checkReferences(badService)).toContainEqual(expect.stringMatching(/targetPort metrics/));
  });

  it('gives every service its env, with secrets only from the Secret', () => {
    expect(checkK8sEnv(base)).toEqual([]);
    const literal = clone(base);
    const c = containerOf(literal, 'gateway');
    c.env = c.env.map((e: any) => (e.name === 'AUTH_JWT_SECRET' ? { name: e.name, value: 'hunter2' } : e));
    expect(checkK8sEnv(literal)).toContainEqual(expect.stringMatching(/AUTH_JWT_SECRET must come from a secretKeyRef/));
    const missing = clone(base);
    const ai = containerOf(missing, 'ai-enhancer');
    ai.envFrom = [];
    expect(checkK8sEnv(missing)).toContainEqual(expect.stringMatching(/spectest-ai-enhancer: env OLLAMA_URL missing/));
    const lax = clone(base);
    ofKind(lax, 'ConfigMap')[0].obj.data.AUTH_REQUIRE_EXP = 'false';
    expect(checkK8sEnv(lax)).toContainEqual(expect.stringMatching(/AUTH_REQUIRE_EXP must be "true"/));
  });

  it("fits intake's upload memory in its container beside the process itself", () => {
    expect(checkIntakeMemory(base)).toEqual([]);
    const small = clone(base);
    containerOf(small, 'intake').resources.limits.memory = '384Mi';
    expect(checkIntakeMemory(small)).toContainEqual(expect.stringMatching(/UPLOAD_MEMORY_BYTES 335544320 leaves less than/));
    const unset = clone(base);
    containerOf(unset, 'intake').env = containerOf(unset, 'intake').env.filter((e: any) => e.name !== 'UPLOAD_MEMORY_BYTES');
    containerOf(unset, 'intake').resources.limits.memory = '256Mi';
    expect(checkIntakeMemory(unset)).toContainEqual(expect.stringMatching(/UPLOAD_MEMORY_BYTES 335544320/));
  });

  it('runs one image everywhere, each service with its own entrypoint, and migrates in a Job', () => {
    expect(checkImagesAndCommands(base)).toEqual([]);
    const job = ofKind(base, 'Job')[0];
    expect(podSpecOf(job.obj)!.containers[0].command).toEqual(['npm', 'run', 'migrate']);
  });

  it('reports a second image, a wrong command, or no migration', () => {
    const twoImages = clone(base);
    containerOf(twoImages, 'packager').image = 'spectest-packager';
    expect(checkImagesAndCommands(twoImages)).toContainEqual(expect.stringMatching(/one image/));

    const wrongCmd = clone(base);
    containerOf(wrongCmd, 'gateway').command = ['node', 'services/intake/dist/main.js'];
    expect(checkImagesAndCommands(wrongCmd)).toContainEqual(expect.stringMatching(/does not start gateway/));

    const noScript = { ...rootPackageJson(), scripts: { ...rootPackageJson().scripts, 'start:gateway': undefined } };
    const npmCmd = clone(base);
    containerOf(npmCmd, 'gateway').command = ['npm', 'run', 'start:gateway'];
    expect(checkImagesAndCommands(npmCmd)).toEqual([]);
    expect(checkImagesAndCommands(npmCmd, noScript)).toContainEqual(expect.stringMatching(/start:gateway, which package.json does not define/));

    expect(checkImagesAndCommands(base.filter((d) => d.obj.kind !== 'Job'))).toContainEqual(expect.stringMatching(/migrations/));
  });

  it('drains before SIGKILL, runs as non-root with resources, and has HPA/PDB where needed', () => {
    expect(checkOperations(base)).toEqual([]);
    for (const d of ofKind(base, 'Deployment')) {
      expect(podSpecOf(d.obj)!.securityContext.runAsNonRoot).toBe(true);
    }
  });

  it('reports a short grace period, root, missing resources, HPA or PDB', () => {
    const shortGrace = clone(base);
    podSpecOf(deploymentOf(shortGrace, 'packager').obj)!.terminationGracePeriodSeconds = 25;
    expect(checkOperations(shortGrace)).toContainEqual(expect.stringMatching(/spectest-packager: terminationGracePeriodSeconds 25s/));

    const root = clone(base);
    podSpecOf(deploymentOf(root, 'intake').obj)!.securityContext.runAsNonRoot = false;
    expect(checkOperations(root)).toContainEqual(expect.stringMatching(/runAsNonRoot/));

    const noLimits = clone(base);
    delete containerOf(noLimits, 'spec-parser').resources;
    expect(checkOperations(noLimits)).toContainEqual(expect.stringMatching(/spec-parser lacks cpu\/memory requests/));

    const noHpa = base.filter((d) => !(d.obj.kind === 'HorizontalPodAutoscaler' && d.obj.spec.scaleTargetRef.name === 'spectest-ai-enhancer'));
    expect(checkOperations(noHpa)).toContainEqual(expect.stringMatching(/ai-enhancer needs a HorizontalPodAutoscaler/));

    const noPdb = base.filter((d) => !(d.obj.kind === 'PodDisruptionBudget' && d.obj.metadata.name === 'spectest-intake'));
    expect(checkOperations(noPdb)).toContainEqual(expect.stringMatching(/intake needs a PodDisruptionBudget/));
  });

  it('ships the Secret only as an example, with the keys the Deployments read', () => {
    const example = loadExamples().find((d) => d.obj.kind === 'Secret');
    expect(example?.obj.metadata.name).toBe('spectest-secrets');
    expect(Object.keys(example?.obj.stringData ?? {}).sort()).toEqual(['AUTH_JWT_SECRET', 'DATABASE_URL']);
    expect(loadKustomization().resources).not.toContain('secret.example.yaml');
  });

  it('documents how to apply the base in k8s/README.md', () => {
    const readme = fs.readFileSync(path.join(K8S_DIR, 'README.md'), 'utf8');
    expect(readme).toMatch(/kubectl apply -k/);
    expect(readme).toMatch(/spectest-secrets/);
    expect(readme).toMatch(/affinity/i);
  });
});
