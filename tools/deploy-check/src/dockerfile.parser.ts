/** One instruction of a Dockerfile, continuation lines joined. */
export interface DockerInstruction {
  keyword: string;
  args: string;
  line: number;
}

export interface DockerStage {
  name: string | undefined;
  /** The FROM argument as written (may contain ${ARG}). */
  from: string;
  /** The FROM argument with global ARG defaults substituted. */
  image: string;
  instructions: DockerInstruction[];
}

export interface ParsedDockerfile {
  globalArgs: Record<string, string>;
  stages: DockerStage[];
}

/**
 * A small Dockerfile reader for our checks (there is no Docker engine or hadolint on the build
 * machines): comments and parser directives dropped, backslash continuations joined, instructions
 * grouped by stage, global ARG defaults substituted in FROM.
 */
export function parseDockerfile(text: string): ParsedDockerfile {
  const instructions: DockerInstruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (pending === undefined && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending !== undefined && trimmed.startsWith('#')) return; // comment inside a continuation
    const body = trimmed.endsWith('\\') ? trimmed.slice(0, -1) : trimmed;
    pending =
      pending === undefined ? { text: body, line: i + 1 } : { text: `${pending.text} ${body}`, line: pending.line };
    if (!trimmed.endsWith('\\')) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text.trim());
      if (m)
        instructions.push({
          keyword: m[1]!.toUpperCase(),
          args: m[2]!.replace(/\s+/g, ' ').trim(),
          line: pending.line,
        });
      pending = undefined;
    }
  });

  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      const from = m?.[1] ?? ins.args;
      const image = from.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, k: string) => globalArgs[k] ?? '');
      stages.push({ name: m?.[2], from, image, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const [k, v = ''] = ins.args.split('=');
        globalArgs[k!.trim()] = v.trim();
      }
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}
