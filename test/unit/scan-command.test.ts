/**
 * `chexdesk scan` as a user runs it: the built CLI (dist/cli.js, made by `npm run build`, which the
 * test command runs first) on folders the test makes, with a tiny model whose output is known in
 * closed form, so every probability in every row can be checked exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { makeMismatchedModel, makeTinyModel, type TinyModel } from '../support/tiny-models';
import { makeScanFolder, uniformPng, type ScanFolder } from '../support/scan-folder';
import { parseCsv } from '../../main/scan/scan-row';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

function cli(args: string[], env: Record<string, string> = {}) {
  assert.ok(existsSync(CLI), 'dist/cli.js is missing: run npm run build');
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the tiny model gives for a uniform image of 8-bit value v: the model sees v/255 everywhere. */
function expectedFor(model: TinyModel, v: number): number[] {
  const x = new Float32Array(model.channels * model.size * model.size).fill(v / 255);
  return model.expected(x).probabilities;
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), 'chexdesk-scan-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const folder = await makeScanFolder(join(root, 'study'));
  const model = await makeTinyModel(join(root, 'model'), { channels: 3, size: 8, resize: 10, labels: ['Alpha', 'Beta', 'Gamma'], trained: false, operatingPoints: { Beta: 0.5 } });
  const home = join(root, 'home');
  return { root, folder, model, env: { CHEXDESK_HOME: home } };
}

function checkRows(folder: ScanFolder, model: TinyModel, rows: { path: string; frame: number; probabilities: number[] | null; error: string; code: string }[], digits: number) {
  const byKey = new Map(rows.map((r) => [`${relative(folder.root, r.path)}#${r.frame}`, r]));
  assert.equal(rows.length, byKey.size, 'no duplicate rows');
  for (const [rel, values] of folder.values) {
    values.forEach((v, frame) => {
      const row = byKey.get(`${rel}#${frame}`);
      assert.ok(row, `row for ${rel} frame ${frame}`);
      assert.equal(row.error, '', `${rel}: ${row.error}`);
      const want = expectedFor(model, v);
      row.probabilities!.forEach((p, i) => assert.ok(Math.abs(p - want[i]!) < 10 ** -digits, `${rel}#${frame} ${model.labels[i]}: ${p} vs ${want[i]}`));
    });
  }
  for (const [rel, code] of folder.broken) {
    const row = byKey.get(`${rel}#0`);
    assert.ok(row, `error row for ${rel}`);
    assert.equal(row.code, code, `${rel}: ${row.error}`);
    assert.ok(row.error.length > 0);
    assert.equal(row.probabilities, null);
  }
  for (const rel of folder.ignored) assert.ok(![...byKey.keys()].some((k) => k.startsWith(rel + '#')), `${rel} is skipped silently`);
  const expectedRows = [...folder.values.values()].reduce((n, v) => n + v.length, 0) + folder.broken.size;
  assert.equal(rows.length, expectedRows);
}

function csvRows(text: string, labels: string[]) {
  const [header, ...rows] = parseCsv(text);
  const col = (n: string) => header!.indexOf(n);
  return rows.map((r) => ({
    path: r[col('path')]!,
    frame: Number(r[col('frame')]),
    probabilities: r[col('error_code')] ? null : labels.map((l) => Number(r[col(l)])),
    error: r[col('error')]!,
    code: r[col('error_code')]!,
    trained: r[col('trained')]!,
    mode: r[col('mode')]!,
    frames: Number(r[col('frames')]),
    kind: r[col('kind')]!,
    study: r[col('study_instance_uid')]!,
    flagged: r[col('flagged')]!,
  }));
}

test('scan: every image and frame gets its row with the right probabilities, broken files get their reason, exit 2', async (t) => {
  const { root, folder, model, env } = await setup(t);
  const out = join(root, 'out.csv');
  const r = cli(['scan', folder.root, '--model', model.dir, '--out', out], env);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /UNTRAINED/);
  assert.match(r.stderr, /scanned 11 images in [\d.]+ s: 8 ok, 3 failed/);
  const rows = csvRows(await readFile(out, 'utf8'), model.labels);
  checkRows(folder, model, rows, 6);
  assert.ok(rows.every((row) => row.trained === 'false' && row.mode === 'center'));
  const multi = rows.filter((row) => row.path.endsWith('multi.dcm'));
  assert.deepEqual(multi.map((m) => m.frames), [3, 3, 3]);
  assert.ok(multi.every((m) => m.kind === 'dicom' && m.study === '1.2.826.0.1.3680043.8.498.1'));
  const gray40 = rows.find((row) => row.path.endsWith('gray-40.png'))!;
  assert.equal(gray40.kind, 'png');
  assert.equal(gray40.flagged, expectedFor(model, 40)[1]! >= 0.5 ? 'Beta' : '');
});

test('scan --tencrop --out .json and .jsonl: full precision, same numbers for uniform images', async (t) => {
  const { root, folder, model, env } = await setup(t);
  for (const ext of ['json', 'jsonl']) {
    const out = join(root, `out.${ext}`);
    const r = cli(['scan', folder.root, '--model', model.dir, '--tencrop', '--out', out, '--quiet'], env);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, '', '--quiet prints nothing');
    const text = await readFile(out, 'utf8');
    const objects: Record<string, unknown>[] = ext === 'json' ? JSON.parse(text).rows : text.trim().split('\n').map((l) => JSON.parse(l));
    const rows = objects.map((o) => ({
      path: o.path as string,
      frame: o.frame as number,
      probabilities: o.probabilities ? model.labels.map((l) => (o.probabilities as Record<string, number>)[l]!) : null,
      error: (o.error as string | null) ?? '',
      code: (o.errorCode as string | undefined) ?? '',
    }));
    checkRows(folder, model, rows, 6);
    assert.ok(objects.every((o) => o.mode === 'tencrop' && o.trained === false && /UNTRAINED/.test(String(o.note))));
  }
});

test('scan writes CSV to stdout without --out; exit 0 when every image succeeds', async (t) => {
  const { root, model, env } = await setup(t);
  const clean = join(root, 'clean');
  await mkdir(clean);
  await writeFile(join(clean, 'a.png'), await uniformPng(10));
  await writeFile(join(clean, 'b.png'), await uniformPng(250));
  const r = cli(['scan', clean, '--model', model.dir, '--quiet'], env);
  assert.equal(r.code, 0, r.stderr);
  // Rows come in the order images finish, which need not be the folder's.
  const rows = csvRows(r.stdout, model.labels).sort((a, b) => a.path.localeCompare(b.path));
  assert.deepEqual(rows.map((row) => row.path.split('/').pop()), ['a.png', 'b.png']);
  rows.forEach((row, i) => assert.ok(Math.abs(row.probabilities![0]! - expectedFor(model, [10, 250][i]!)[0]!) < 1e-6));
});

test('a killed scan keeps every row it finished, and --resume completes it without repeating one', async (t) => {
  const { root, model, env } = await setup(t);
  const many = join(root, 'many');
  for (let i = 0; i < 120; i++) {
    await mkdir(join(many, `s${i % 4}`), { recursive: true });
    await writeFile(join(many, `s${i % 4}`, `img${String(i).padStart(3, '0')}.png`), await uniformPng(i * 2, 300, 300));
  }
  const out = join(root, 'killed.csv');
  const child = spawn(process.execPath, [CLI, 'scan', many, '--model', model.dir, '--out', out, '--quiet'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  // Kill it hard as soon as some rows are on disk.
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const s = await stat(out).catch(() => null);
    if (s && (await readFile(out, 'utf8')).split('\n').length > 6) break;
    if (child.exitCode !== null) break;
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const partial = csvRows(await readFile(out, 'utf8'), model.labels);
  assert.ok(partial.length >= 5, `rows written before the kill: ${partial.length}`);
  assert.ok(partial.length < 120, 'the scan was killed before the end');
  for (const row of partial) assert.equal(row.probabilities!.length, 3, 'every row on disk is complete');

  const r = cli(['scan', many, '--model', model.dir, '--out', out, '--resume'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`${partial.length} already done`));
  const all = csvRows(await readFile(out, 'utf8'), model.labels);
  assert.equal(all.length, 120);
  assert.equal(new Set(all.map((row) => row.path)).size, 120);
  for (const row of all) {
    const i = Number(/img(\d+)/.exec(row.path)![1]);
    assert.ok(Math.abs(row.probabilities![2]! - expectedFor(model, i * 2)[2]!) < 1e-6, row.path);
  }
});

test('usage errors exit 1 with a message that says what to do', async (t) => {
  const { root, folder, model, env } = await setup(t);
  const cases: [string[], RegExp][] = [
    [['scan', folder.root, '--model', model.dir, '--fast'], /Unknown option '--fast'/],
    [['scan', join(root, 'missing'), '--model', model.dir], /is not a folder/],
    [['scan'], /give the folder to scan/],
    [['scan', folder.root, '--model', model.dir, '--out', join(root, 'x.txt')], /--out must end in .csv, .json or .jsonl/],
    [['scan', folder.root, '--model', model.dir, '--resume'], /--resume needs --out/],
    [['scan', folder.root, '--model', model.dir, '--jobs', 'two'], /--jobs must be an integer/],
    [['scan', folder.root, '--model', join(root, 'nowhere')], /cannot use the model: .*model folder not found[\s\S]*export-chexnet/],
    [["scan", folder.root], /no model installed(?=[\s\S]*demo-model)(?=[\s\S]*export-chexnet)/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args, env);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const mismatched = await makeMismatchedModel(join(root, 'bad-model'), 'label-count');
  const r = cli(['scan', folder.root, '--model', mismatched.dir], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot use the model: .*labels/);
  // Resuming into a file written in the other mode is refused, not mixed.
  const out = join(root, 'center.csv');
  assert.equal(cli(['scan', folder.root, '--model', model.dir, '--out', out, '--quiet'], env).code, 2);
  const mixed = cli(['scan', folder.root, '--model', model.dir, '--out', out, '--resume', '--tencrop'], env);
  assert.equal(mixed.code, 1);
  assert.match(mixed.stderr, /cannot resume .* center mode/);
});

test('an empty folder is not an error', async (t) => {
  const { root, model, env } = await setup(t);
  await mkdir(join(root, 'empty'));
  const r = cli(['scan', join(root, 'empty'), '--model', model.dir], env);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /no DICOM, PNG or JPEG images under/);
});

test('without --model the installed model is used: model import, model list, scan', async (t) => {
  const { root, folder, model, env } = await setup(t);
  assert.match(cli(['model', 'list'], env).stdout, /no models installed/);
  const imp = cli(['model', 'import', model.dir], env);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /imported Tiny test model .* it is now the model in use/);
  assert.match(imp.stdout, /UNTRAINED/);
  const list = cli(['model', 'list'], env);
  assert.match(list.stdout, /^\* tiny-test-model-\S+\tTiny test model .*UNTRAINED\t3 labels/m);
  const r = cli(['scan', folder.root, '--quiet', '--out', join(root, 'o.csv')], env);
  assert.equal(r.code, 2, r.stderr);
  checkRows(folder, model, csvRows(await readFile(join(root, 'o.csv'), 'utf8'), model.labels), 6);
  const bad = await makeMismatchedModel(join(root, 'bad'), 'input-name');
  const refused = cli(['model', 'import', bad.dir], env);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /input/);
});

test('quick start: demo-model without a folder installs the untrained DenseNet121, scan then uses it; a trained model keeps precedence', async (t) => {
  const { root, env } = await setup(t);
  const made = cli(['demo-model'], env);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /installed the demo model as "chexnet-demo-untrained"/);
  assert.match(made.stdout, /it is now the model in use/);
  assert.match(made.stderr, /UNTRAINED/);
  const clean = join(root, 'clean');
  await mkdir(clean);
  await writeFile(join(clean, 'a.png'), await uniformPng(10, 300, 280));
  const r = cli(['scan', clean, '--quiet'], env);
  assert.equal(r.code, 0, r.stderr);
  const [header, row] = parseCsv(r.stdout);
  assert.equal(row![header!.indexOf('trained')], 'false');
  assert.match(row![header!.indexOf('model')], /UNTRAINED/);
  const probs = ['Atelectasis', 'Hernia'].map((l) => Number(row![header!.indexOf(l)]));
  assert.ok(probs.every((p) => p > 0 && p < 1));

  // With a trained model installed, making the demo again does not take its place.
  await makeTinyModel(join(root, 'trained'), { channels: 3, size: 8, resize: 10, trained: true, name: 'Real one' });
  assert.equal(cli(['model', 'import', join(root, 'trained')], env).code, 0);
  const again = cli(['demo-model'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /a trained model is installed and stays in use/);
  assert.match(cli(['model', 'list'], env).stdout, /^\* real-one-/m);
});

test('a model that is not CheXNet: 1 input channel, range [-1024, 1024], five labels — imported and scanned', async (t) => {
  const { root, env } = await setup(t);
  const labels = ['Lung Opacity', 'Effusion', 'Fracture', 'Nodule', 'Pneumothorax'];
  const xrv = await makeTinyModel(join(root, 'xrv-like'), { channels: 1, size: 8, resize: 8, labels, scale: [-1024, 1024], mean: [0], std: [1], weights: [0.001, -0.002, 0.0005, 0.003, -0.001], name: 'XRV-like' });
  assert.equal(cli(['model', 'import', xrv.dir], env).code, 0);
  const folder = join(root, 'two');
  await mkdir(folder);
  await writeFile(join(folder, 'dark.png'), await uniformPng(30));
  await writeFile(join(folder, 'bright.png'), await uniformPng(230, 50, 40, 3));
  const r = cli(['scan', folder, '--quiet'], env);
  assert.equal(r.code, 0, r.stderr);
  const [header, ...rows] = parseCsv(r.stdout);
  assert.deepEqual(header!.slice(11, 16), labels);
  for (const row of rows) {
    const v = row[0]!.endsWith('dark.png') ? 30 : 230;
    // ToTensor's v/255 mapped linearly onto [-1024, 1024], then mean 0 / std 1 (float32, as the tensor is).
    const x = Math.fround(Math.fround(v / 255) * 2048 - 1024);
    const want = xrv.expected(new Float32Array(64).fill(x)).probabilities;
    labels.forEach((l, i) => assert.ok(Math.abs(Number(row[header!.indexOf(l)]) - want[i]!) < 2e-6, `${row[0]} ${l}`));
  }
});
