import type { DockerInstruction, DockerStage, ParsedDockerfile } from './dockerfile.parser';

/** What a target must be; `ffmpeg` true = must install Debian ffmpeg, false = must not. */
export interface TargetRule {
  name: string;
  ffmpeg: boolean;
  healthcheck: boolean;
}

/** The images we ship and what each must contain. */
export const TARGET_RULES: TargetRule[] = [
  // The gateway probes every uploaded video with ffprobe (422 before anything is queued).
  { name: 'api-proxy', ffmpeg: true, healthcheck: true },
  { name: 'worker', ffmpeg: true, healthcheck: false },
  { name: 'edge-agent', ffmpeg: true, healthcheck: false },
  { name: 'migrate', ffmpeg: false, healthcheck: false },
  { name: 'server', ffmpeg: true, healthcheck: true },
];

export const RUNTIME_BASE_IMAGE = /^node:20(\.\d+)*-bookworm-slim$/;

/** The stage and the stages it builds on, base first (a stage FROM another stage inherits it). */
export function stageChain(df: ParsedDockerfile, name: string): DockerStage[] {
  const chain: DockerStage[] = [];
  let current = df.stages.find((s) => s.name === name);
  while (current) {
    chain.unshift(current);
    const parent = current.image;
    current = df.stages.find((s) => s.name === parent);
  }
  return chain;
}

const lastOf = (ins: DockerInstruction[], keyword: string) => [...ins].reverse().find((i) => i.keyword === keyword);

/** Every rule broken, as readable sentences; [] when the Dockerfile is fine. */
export function checkDockerfile(df: ParsedDockerfile, targets: TargetRule[] = TARGET_RULES): string[] {
  const problems: string[] = [];
  const stageNames = new Set(df.stages.map((s) => s.name).filter(Boolean));

  for (const stage of df.stages) {
    if (!stageNames.has(stage.image)) {
      const [, tag] = stage.image.split(/:(?=[^/]+$)/);
      if (!tag) problems.push(`FROM ${stage.from}: no tag (pin a version)`);
      else if (tag === 'latest' || /(^|-)latest$/.test(tag)) problems.push(`FROM ${stage.from}: "latest" tag`);
    }
    for (const ins of stage.instructions) {
      if (ins.keyword === 'ADD' && /https?:\/\//.test(ins.args)) problems.push(`line ${ins.line}: ADD from a URL`);
      if (ins.keyword !== 'RUN') continue;
      if (/\bnpm (install|i)\b/.test(ins.args))
        problems.push(`line ${ins.line}: npm install in an image (use npm ci with the lockfile)`);
      if (/apt-get install/.test(ins.args)) {
        if (!/--no-install-recommends/.test(ins.args))
          problems.push(`line ${ins.line}: apt-get install without --no-install-recommends`);
        if (!/rm -rf \/var\/lib\/apt\/lists/.test(ins.args))
          problems.push(`line ${ins.line}: apt lists not removed in the same RUN`);
        if (!/apt-get update/.test(ins.args))
          problems.push(`line ${ins.line}: apt-get install without apt-get update in the same RUN`);
      }
    }
  }

  const build = df.stages.find((s) => s.name === 'build');
  const buildRuns =
    build?.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' && ') ?? '';
  if (!build) problems.push('no "build" stage');
  else {
    if (!/npm ci\b/.test(buildRuns)) problems.push('build stage does not run npm ci');
    if (!/npm (prune|ci)\b[^&]*--omit=dev/.test(buildRuns))
      problems.push('build stage never drops dev dependencies (npm prune --omit=dev)');
  }

  for (const rule of targets) {
    const chain = stageChain(df, rule.name);
    if (chain.length === 0) {
      problems.push(`target ${rule.name}: missing`);
      continue;
    }
    const all = chain.flatMap((s) => s.instructions);
    const root = chain[0]!;
    if (!RUNTIME_BASE_IMAGE.test(root.image))
      problems.push(`target ${rule.name}: base image ${root.image} is not node:20 bookworm-slim`);
    const user = lastOf(all, 'USER');
    if (!user || /^(root|0)(:|$)/.test(user.args))
      problems.push(`target ${rule.name}: runs as root (no non-root USER)`);
    const hasFfmpeg = all.some((i) => i.keyword === 'RUN' && /apt-get install[^&]*\bffmpeg\b/.test(i.args));
    if (rule.ffmpeg && !hasFfmpeg) problems.push(`target ${rule.name}: does not install Debian ffmpeg`);
    if (!rule.ffmpeg && hasFfmpeg) problems.push(`target ${rule.name}: installs ffmpeg it does not need`);
    const hc = lastOf(all, 'HEALTHCHECK');
    const hasHealthcheck = hc !== undefined && hc.args !== 'NONE';
    if (rule.healthcheck && !hasHealthcheck) problems.push(`target ${rule.name}: no HEALTHCHECK`);
    if (rule.healthcheck && hasHealthcheck && !/\/api\/health/.test(hc.args))
      problems.push(`target ${rule.name}: HEALTHCHECK does not probe /api/health`);
    if (!lastOf(all, 'CMD') && !lastOf(all, 'ENTRYPOINT')) problems.push(`target ${rule.name}: no CMD or ENTRYPOINT`);
    for (const ins of all) {
      if (ins.keyword === 'COPY' && !/--from=/.test(ins.args))
        problems.push(
          `target ${rule.name}: line ${ins.line} copies from the build context (copy built output from the build stage)`,
        );
      if (ins.keyword === 'COPY' && /--from=build\s+(--chown=\S+\s+)?\/app\s/.test(ins.args))
        problems.push(`target ${rule.name}: line ${ins.line} copies the whole build stage`);
    }
  }
  return problems;
}
