#!/usr/bin/env node
// The one test command (`npm test`). Runs every *.test.ts under src/, test/ and e2e/ with Node's test runner:
//
//   embedded   unit/API tests on PGlite (always)
//   postgres   the same files again on PostgreSQL, except *.embedded.test.ts: PASSLESS_TEST_DATABASE_URL if set,
//              else a throwaway cluster started by scripts/start-test-postgres.sh (needs the server binaries)
//   browser    e2e/ files, once, on PGlite (needs Chromium: /usr/bin/chromium or PASSLESS_CHROMIUM)
//
// A pass whose tool is missing is skipped with the install command, or fails the run when
// PASSLESS_TEST_REQUIRE_ALL=1 (CI). Ends with one line: `N passed, N failed[, N skipped]`.
//
//   npm test                                   everything
//   npm test -- test/kit/database.test.ts      one file (or a directory), still on both databases
//   npm test -- onboarding                     files whose path contains "onboarding"
//   npm test -- --test-name-pattern=consent    options starting with - go to `node --test` (use the = form)
//
// Environment: PASSLESS_TEST_DATABASE_URL, PASSLESS_CHROMIUM, PASSLESS_PG_BIN, PASSLESS_TEST_PG_PORT,
// PASSLESS_TEST_CONCURRENCY (default 2), PASSLESS_TEST_REQUIRE_ALL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const TEST_DIRS = ['src', 'test', 'e2e'];
const START_POSTGRES = join(ROOT, 'scripts', 'start-test-postgres.sh');
const REQUIRE_ALL = process.env.PASSLESS_TEST_REQUIRE_ALL === '1';
const CONCURRENCY = process.env.PASSLESS_TEST_CONCURRENCY || '2';
const INSTALL = {
  chromium: 'sudo apt-get install -y chromium',
  postgres: 'sudo apt-get install -y postgresql',
};

// ---- which files ----------------------------------------------------------------------------------------

function findTests(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findTests(path, out);
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function usage() {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    .split('\n')
    .slice(1);
  const end = lines.findIndex((line) => !line.startsWith('//'));
  console.log(
    lines
      .slice(0, end)
      .map((line) => line.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
}

/** Returns { files (relative to ROOT, sorted), nodeArgs } or exits with a message. */
function selectFiles(args) {
  const nodeArgs = [];
  const explicit = new Set();
  const filters = [];
  // `npm test -- x` runs in the package root; INIT_CWD is where the developer typed it.
  const bases = [...new Set([process.env.INIT_CWD, process.cwd(), ROOT].filter(Boolean))];
  for (const arg of args) {
    if (arg === '-h' || arg === '--help') {
      usage();
      process.exit(0);
    }
    if (arg.startsWith('-')) {
      nodeArgs.push(arg);
      continue;
    }
    const path = bases.map((base) => resolve(base, arg)).find((candidate) => existsSync(candidate));
    if (!path) {
      filters.push(arg);
      continue;
    }
    if (statSync(path).isDirectory()) for (const file of findTests(path)) explicit.add(file);
    else explicit.add(path);
  }
  let files = explicit.size > 0 ? [...explicit] : TEST_DIRS.flatMap((dir) => findTests(join(ROOT, dir)));
  files = files.map((file) => relative(ROOT, file));
  if (filters.length > 0) files = files.filter((file) => filters.some((filter) => file.includes(filter)));
  files.sort();
  if (files.length === 0) {
    const what = [...args.filter((arg) => !arg.startsWith('-'))].join(' ');
    console.error(what ? `No test files match: ${what}` : `No *.test.ts files under ${TEST_DIRS.join(', ')}`);
    process.exit(1);
  }
  return { files, nodeArgs };
}

// ---- tools ----------------------------------------------------------------------------------------------

function findChromium() {
  const path = process.env.PASSLESS_CHROMIUM || '/usr/bin/chromium';
  return { path, found: existsSync(path) };
}

function findPostgresBin() {
  if (process.env.PASSLESS_PG_BIN) {
    return existsSync(join(process.env.PASSLESS_PG_BIN, 'initdb')) ? process.env.PASSLESS_PG_BIN : undefined;
  }
  let versions = [];
  try {
    versions = readdirSync('/usr/lib/postgresql');
  } catch {
    return undefined;
  }
  const bins = versions
    .filter((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`))
    .sort((a, b) => Number(a) - Number(b));
  return bins.length > 0 ? `/usr/lib/postgresql/${bins.at(-1)}/bin` : undefined;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** A throwaway cluster: { url, dir } once started. stop() is synchronous so it also works from 'exit'. */
class ThrowawayPostgres {
  dir = mkdtempSync(join(tmpdir(), 'passless-pg-'));
  stopped = false;

  async start() {
    const fixedPort = process.env.PASSLESS_TEST_PG_PORT;
    let lastError = '';
    for (let attempt = 0; attempt < (fixedPort ? 1 : 3); attempt++) {
      const port = fixedPort || String(await freePort());
      const result = await run('bash', [START_POSTGRES, this.dir, port], {
        // Its own session: a Ctrl-C in the terminal must not stop the server under a running pass.
        detached: true,
        env: { ...process.env, PASSLESS_PG_BIN: process.env.PASSLESS_PG_BIN || findPostgresBin() },
      });
      if (result.code === 0) return result.stdout.trim().split('\n').at(-1);
      lastError = result.stderr.trim();
    }
    throw new Error(`could not start PostgreSQL with ${relative(ROOT, START_POSTGRES)}:\n${lastError}`);
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    spawnSync('bash', [START_POSTGRES, '--stop', this.dir], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command, args, options) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (error) => resolveRun({ code: 1, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => resolveRun({ code: code ?? 1, stdout, stderr }));
  });
}

// ---- running a pass -------------------------------------------------------------------------------------

let currentChild;
let interrupted;

const SUMMARY_LINE = /^(?:# |ℹ )(tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$/;

function runPass({ name, files, env, nodeArgs }) {
  const reporter =
    process.stdout.isTTY && !nodeArgs.some((arg) => arg.startsWith('--test-reporter')) ? ['--test-reporter=spec'] : [];
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${CONCURRENCY}`, ...reporter, ...nodeArgs, ...files];
  console.log(`\n=== ${name}: ${files.length} file(s), node ${process.version} ===`);
  const started = Date.now();
  return new Promise((resolvePass) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['inherit', 'pipe', 'inherit'] });
    currentChild = child;
    // Stream through while keeping the runner's closing counts; the last occurrence wins, because test
    // output can show up as `# ...` lines earlier in the stream.
    const counts = {};
    let partial = '';
    child.stdout.setEncoding('utf8'); // whole characters per chunk (the spec reporter prints ℹ)
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const match = SUMMARY_LINE.exec(line);
        if (match) counts[match[1]] = Number(match[2]);
      }
    });
    child.on('close', (code, signal) => {
      currentChild = undefined;
      const match = SUMMARY_LINE.exec(partial);
      if (match) counts[match[1]] = Number(match[2]);
      resolvePass({ name, files, code: code ?? 1, signal, counts, ms: Date.now() - started });
    });
  });
}

// ---- main -----------------------------------------------------------------------------------------------

async function main() {
  const { files, nodeArgs } = selectFiles(process.argv.slice(2));
  const isBrowser = (file) => file.split(sep)[0] === 'e2e';
  const unitFiles = files.filter((file) => !isBrowser(file));
  const postgresFiles = unitFiles.filter((file) => !file.endsWith('.embedded.test.ts'));
  const browserFiles = files.filter(isBrowser);

  const chromium = findChromium();
  const databaseUrl = process.env.PASSLESS_TEST_DATABASE_URL;
  const postgresBin = databaseUrl ? undefined : findPostgresBin();

  const skipped = []; // { name, reason }
  if (browserFiles.length > 0 && !chromium.found) {
    skipped.push({
      name: 'browser',
      reason: `Chromium not found at ${chromium.path}: ${browserFiles.length} browser test file(s) under e2e/ not run. Install it: ${INSTALL.chromium}`,
    });
  }
  if (postgresFiles.length > 0 && !databaseUrl && !postgresBin) {
    skipped.push({
      name: 'postgres',
      reason: `PostgreSQL not found (no ${process.env.PASSLESS_PG_BIN ? `${process.env.PASSLESS_PG_BIN}/initdb` : '/usr/lib/postgresql/*/bin/initdb'}, PASSLESS_TEST_DATABASE_URL unset): the PostgreSQL pass is not run. Install it: ${INSTALL.postgres}`,
    });
  }
  if (skipped.length > 0 && REQUIRE_ALL) {
    for (const { reason } of skipped) console.error(`PASSLESS_TEST_REQUIRE_ALL=1 and ${reason}`);
    process.exitCode = 1;
    return;
  }
  for (const { reason } of skipped) console.log(`SKIPPED: ${reason}`);
  const isSkipped = (name) => skipped.some((skip) => skip.name === name);

  const embeddedEnv = { ...process.env };
  delete embeddedEnv.PASSLESS_TEST_DATABASE_URL;

  // Start the throwaway cluster now, so initdb overlaps the embedded pass.
  let cluster;
  let clusterUrl;
  if (postgresFiles.length > 0 && !databaseUrl && postgresBin) {
    cluster = new ThrowawayPostgres();
    process.on('exit', () => cluster.stop());
    clusterUrl = cluster.start().then(
      (url) => ({ url }),
      (error) => ({ error }),
    );
  }

  const results = [];
  const onSignal = (signal) => {
    interrupted ??= signal;
    currentChild?.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);

  try {
    if (unitFiles.length > 0) {
      results.push(await runPass({ name: 'embedded', files: unitFiles, env: embeddedEnv, nodeArgs }));
    }
    if (postgresFiles.length > 0 && !isSkipped('postgres') && !interrupted) {
      let url = databaseUrl;
      if (!url) {
        const started = await clusterUrl;
        if (started.error) {
          console.error(`\n${started.error.message}`);
          results.push({ name: 'postgres', files: postgresFiles, code: 1, counts: {}, ms: 0, note: 'did not start' });
        } else {
          url = started.url;
        }
      }
      if (url && !interrupted) {
        const env = { ...process.env, PASSLESS_TEST_DATABASE_URL: url };
        results.push(await runPass({ name: `postgres`, files: postgresFiles, env, nodeArgs }));
      }
    }
    if (browserFiles.length > 0 && !isSkipped('browser') && !interrupted) {
      const env = { ...embeddedEnv, PASSLESS_CHROMIUM: chromium.path };
      results.push(await runPass({ name: 'browser', files: browserFiles, env, nodeArgs }));
    }
  } finally {
    // Let a start that is still running finish, or stop() would race it and leave a server behind.
    if (clusterUrl) await clusterUrl;
    cluster?.stop();
  }

  // ---- summary ----
  const total = { passed: 0, failed: 0, skipped: 0 };
  console.log('\n=== summary ===');
  for (const result of results) {
    const c = result.counts;
    let failed = (c.fail ?? 0) + (c.cancelled ?? 0);
    const notes = [];
    if (result.note) notes.push(result.note);
    if (c.cancelled) notes.push(`${c.cancelled} cancelled`);
    if (c.todo) notes.push(`${c.todo} todo`);
    if (result.code !== 0 && failed === 0) {
      // The runner failed without a failing test to show for it (crash, bad flag): count it as one.
      failed = 1;
      notes.push(result.signal ? `runner killed by ${result.signal}` : `runner exited with code ${result.code}`);
    }
    total.passed += c.pass ?? 0;
    total.failed += failed;
    total.skipped += c.skipped ?? 0;
    const seconds = (result.ms / 1000).toFixed(1);
    const skippedPart = c.skipped ? `, ${c.skipped} skipped` : '';
    const notePart = notes.length > 0 ? ` (${notes.join(', ')})` : '';
    console.log(
      `${result.name}: ${c.pass ?? 0} passed, ${failed} failed${skippedPart}${notePart} — ${result.files.length} file(s), ${seconds} s`,
    );
  }
  for (const { name, reason } of skipped) console.log(`${name}: SKIPPED — ${reason}`);
  if (interrupted) console.log(`interrupted by ${interrupted}`);
  console.log(`${total.passed} passed, ${total.failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`);
  if (interrupted) process.exitCode = interrupted === 'SIGINT' ? 130 : 143;
  else if (total.failed > 0 || results.some((result) => result.code !== 0)) process.exitCode = 1;
}

await main();
