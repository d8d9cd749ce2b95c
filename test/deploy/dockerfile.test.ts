// Static checks of the Dockerfile (no Docker engine here): stages, base image against
// package.json engines, COPY sources against the repo and .dockerignore, non-root user, ports and
// health check against the server's defaults, entrypoint flags against our CLI.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli.ts';
import { loadConfig } from '../../src/config/load.ts';
import { CONFIG_SCHEMA } from '../../src/config/schema.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

interface Instruction {
  readonly op: string;
  readonly args: string;
}

interface Stage {
  readonly image: string;
  readonly name: string;
  readonly body: Instruction[];
}

/** Instructions in order, with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const space = full.search(/\s/);
    out.push({ op: full.slice(0, space).toUpperCase(), args: full.slice(space + 1).trim() });
  }
  return out;
}

function stages(list: readonly Instruction[]): Stage[] {
  const args = new Map<string, string>();
  const out: Stage[] = [];
  for (const ins of list) {
    if (ins.op === 'ARG' && out.length === 0) {
      const [name = '', value = ''] = ins.args.split('=');
      args.set(name, value);
    } else if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      assert.ok(m, `FROM ${ins.args}: expected "FROM image [AS name]"`);
      const image = (m[1] ?? '').replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => {
        const value = args.get(a ?? b ?? '');
        assert.ok(value !== undefined, `FROM uses undefined ARG ${a ?? b ?? ''}`);
        return value;
      });
      out.push({ image, name: m[2] ?? '', body: [] });
    } else {
      out.at(-1)?.body.push(ins);
    }
  }
  return out;
}

/** JSON-array ("exec") form of CMD, ENTRYPOINT or HEALTHCHECK CMD. */
function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  assert.ok(Array.isArray(parsed) && parsed.every((x) => typeof x === 'string'), args);
  return parsed;
}

function copies(stage: Stage): { from: string | null; sources: string[]; dest: string }[] {
  return stage.body
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words[0]?.startsWith('--from=') ? words.shift()!.slice(7) : null;
      assert.ok(!words.some((w) => w.startsWith('--')), `COPY ${i.args}: unexpected option`);
      const dest = words.pop() ?? '';
      return { from, sources: words, dest };
    });
}

function workdir(stage: Stage): string {
  return stage.body.filter((i) => i.op === 'WORKDIR').at(-1)?.args ?? '/';
}

function defaultOf(key: string): number {
  const value = CONFIG_SCHEMA.find((d) => d.key === key)?.default;
  assert.equal(typeof value, 'number', `schema default of ${key}`);
  return value as number;
}

/** Whether an allow-list .dockerignore ("**" then "!path" lines) lets `path` into the context. */
function contextIncludes(ignore: string, path: string): boolean {
  let included = true;
  for (const raw of ignore.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = negate ? line.slice(1) : line;
    const matches =
      pattern === '**' ||
      pattern === path ||
      (pattern.endsWith('/**') &&
        (path === pattern.slice(0, -3) || path.startsWith(pattern.slice(0, -2))));
    if (matches) included = negate;
  }
  return included;
}

const dockerfile = instructions(read('Dockerfile'));
const all = stages(dockerfile);
const build = all.find((s) => s.name === 'build');
const runtime = all.at(-1);

test('two stages: "build" compiles, the last ("runtime") runs', () => {
  assert.equal(all.length, 2);
  assert.ok(build, 'a stage named build');
  assert.equal(runtime?.name, 'runtime');
  assert.ok(build.body.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)));
  assert.ok(build.body.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)));
  const install = runtime.body.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
  assert.match(install?.args ?? '', /--omit=dev/, 'runtime installs production dependencies only');
});

test('base images are a Node LTS line that satisfies package.json engines', () => {
  const pkg = JSON.parse(read('package.json')) as { engines?: { node?: string } };
  const engines = /^>=\s*(\d+)\.\d+\.\d+$/.exec(pkg.engines?.node ?? '');
  assert.ok(engines, `package.json engines.node should be ">=X.Y.Z", got ${pkg.engines?.node}`);
  const minMajor = Number(engines[1]);
  for (const stage of all) {
    const m = /^node:(\d+)(?:[.-][\w.-]*)?$/.exec(stage.image);
    assert.ok(m, `${stage.name}: base image ${stage.image} should be an official node:N image`);
    const major = Number(m[1]);
    assert.ok(major >= 22, `${stage.image}: Node ${major} is not a current LTS line (>= 22)`);
    assert.equal(major % 2, 0, `${stage.image}: odd Node majors never become LTS`);
    assert.ok(major >= minMajor, `${stage.image}: older than engines ${pkg.engines?.node}`);
  }
  assert.equal(all[0]?.image, runtime?.image, 'build and runtime share a base (same Node)');
});

test('every COPY source is in the repo and in the build context, or a build output', () => {
  const ignore = read('.dockerignore');
  const outDir = (
    JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { outDir: string } }
  ).compilerOptions.outDir;
  for (const stage of all) {
    for (const copy of copies(stage)) {
      for (const source of copy.sources) {
        if (copy.from === null) {
          assert.ok(existsSync(`${ROOT}${source}`), `COPY ${source}: no such file in the repo`);
          assert.ok(contextIncludes(ignore, source), `COPY ${source}: excluded by .dockerignore`);
        } else {
          const from = all.find((s) => s.name === copy.from);
          assert.ok(from, `COPY --from=${copy.from}: no such stage`);
          assert.equal(
            source,
            posix.join(workdir(from), outDir),
            `COPY --from=${copy.from} ${source}: tsconfig.build.json writes to ${outDir}`,
          );
        }
      }
    }
  }
  assert.ok(!contextIncludes(ignore, 'node_modules'), 'node_modules stays out of the context');
  assert.ok(!contextIncludes(ignore, 'dist'), 'a local dist/ stays out of the context');
});

test('runs as a non-root user', () => {
  const user = runtime?.body.filter((i) => i.op === 'USER').at(-1)?.args;
  assert.ok(user !== undefined, 'runtime stage sets USER');
  assert.ok(!/^(root|0)(:|$)/.test(user), `USER ${user} is root`);
  const body = runtime?.body ?? [];
  const after = body.slice(body.findLastIndex((i) => i.op === 'USER'));
  assert.ok(!after.some((i) => i.op === 'RUN'), 'no RUN after USER (installs run as root)');
});

test('EXPOSE and HEALTHCHECK match the server defaults in src/config/schema.ts', () => {
  const port = defaultOf('port');
  const httpport = defaultOf('httpport');
  assert.equal(port, 53);
  const exposed = (runtime?.body ?? [])
    .filter((i) => i.op === 'EXPOSE')
    .flatMap((i) => i.args.split(/\s+/))
    .map((p) => (p.includes('/') ? p : `${p}/tcp`))
    .sort();
  assert.deepEqual(exposed, [`${httpport}/tcp`, `${port}/tcp`, `${port}/udp`].sort());

  const health = runtime?.body.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
  const cmd = /^(?:--\S+\s+)*CMD\s+(\[.*\])$/.exec(health);
  assert.ok(cmd, `HEALTHCHECK should use the exec form: ${health}`);
  const argv = execForm(cmd[1] ?? '');
  assert.equal(argv[0], 'node', 'slim images have no curl: the check runs node');
  const url = new URL(/fetch\('([^']+)'\)/.exec(argv.join(' '))?.[1] ?? 'missing:');
  assert.equal(url.hostname, '127.0.0.1');
  assert.equal(Number(url.port), httpport);
  assert.equal(url.pathname, '/health');
});

test('ENTRYPOINT runs the built CLI; CMD flags parse and point at the copied config', () => {
  const entry = execForm(runtime?.body.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]');
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
  assert.deepEqual(entry, ['node', posix.join(workdir(runtime!), pkg.bin['mesos-dns-ts'] ?? '?')]);
  const cmd = execForm(runtime?.body.find((i) => i.op === 'CMD')?.args ?? '[]');
  const parsed = parseArgs(cmd);
  assert.equal(parsed.kind, 'run');
  const configCopy = copies(runtime!).find((c) => c.sources.includes('deploy/config.json'));
  assert.ok(parsed.kind === 'run' && configCopy);
  assert.equal(parsed.configFile, configCopy.dest);
  // Flags appended after the image name must work too (docker run IMAGE -config=... -port=5353).
  const more = parseArgs([...cmd, '-port=5353', '-zk=zk://127.0.0.1:2181/mesos']);
  assert.ok(more.kind === 'run');
  assert.equal(more.overrides.port, 5353);
});

test('the image default config loads and serves the default ports on all interfaces', () => {
  const { config } = loadConfig({ file: `${ROOT}deploy/config.json`, resolvConf: '/dev/null' });
  assert.equal(config.port, defaultOf('port'));
  assert.equal(config.httpport, defaultOf('httpport'));
  assert.equal(config.listener, '0.0.0.0');
  assert.equal(config.HTTPListener, '0.0.0.0', 'health checks from the host need 0.0.0.0');
  assert.ok(config.httpon && config.dnson);
});
