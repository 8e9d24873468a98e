/**
 * Serve mode's HTTP contract and its guards: token, Host, Origin, access only under opened folders,
 * validation of every argument; then the API as the renderer uses it (folder, frame, findings,
 * heatmap, batch with events, rescan reuse, export), on a tiny model with known outputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiEvent, BatchResults, BatchSummary, FrameResult, Heatmap, PredictionResult, StudyTree } from '../../main/api';
import { decodeBinary } from '../../main/wire';
import { makeTinyModel, type TinyModel } from '../support/tiny-models';
import { makeScanFolder, type ScanFolder } from '../support/scan-folder';
import { parseCsv } from '../../main/scan/scan-row';

interface Reply {
  status: number;
  type: string;
  body: Buffer;
}

function http(port: number, method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { Host: `127.0.0.1:${port}`, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function value<T>(r: Reply): T {
  if (r.type.startsWith('application/octet-stream')) {
    const ab = r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength) as ArrayBuffer;
    return decodeBinary(ab) as T;
  }
  return JSON.parse(r.body.toString('utf8')) as T;
}

async function start(t: { after(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), 'chexdesk-serve-'));
  process.env.CHEXDESK_HOME = join(root, 'home');
  const folder = await makeScanFolder(join(root, 'study'));
  const model = await makeTinyModel(join(root, 'model'), { channels: 3, size: 8, resize: 10, labels: ['Alpha', 'Beta', 'Gamma'], trained: false, camGrid: 2 });
  const statics = join(root, 'static');
  await mkdir(statics);
  await writeFile(join(statics, 'index.html'), '<!doctype html><title>CheXDesk</title>');
  const { CoreService } = await import('../../main/service/core-service');
  const { startHttpHost } = await import('../../main/serve/http-host');
  const core = await CoreService.create({ host: { kind: 'serve' }, modelDir: model.dir, jobs: 1 });
  const host = await startHttpHost(core, { staticDir: statics });
  t.after(async () => {
    await host.close();
    await core.close();
    await rm(root, { recursive: true, force: true });
  });
  const auth = { Authorization: `Bearer ${host.token}` };
  const call = (method: string, args: unknown = {}, headers: Record<string, string> = auth) =>
    http(host.port, 'POST', `/api/${method}`, { body: JSON.stringify(args), headers: { 'Content-Type': 'application/json', ...headers } });
  return { root, folder, model, host, core, call, auth };
}

test('serve refuses requests without the token, from other hosts and origins, and outside the opened folder, before reading anything', async (t) => {
  const { root, folder, host, call, auth } = await start(t);
  const port = host.port;
  assert.match(host.url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/#token=[A-Za-z0-9_-]{32}$`));

  assert.equal((await call('getAppInfo', {}, {})).status, 401, 'no token');
  assert.equal((await call('getAppInfo', {}, { Authorization: 'Bearer wrong' })).status, 401, 'wrong token');
  assert.equal((await call('getAppInfo', {}, { Authorization: `Bearer ${host.token}x` })).status, 401, 'token plus a character');
  assert.equal((await http(port, 'GET', '/api/events')).status, 401, 'event stream without token');
  assert.equal((await call('getAppInfo')).status, 200);

  for (const hostHeader of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1']) {
    const r = await http(port, 'POST', '/api/getAppInfo', { body: '{}', headers: { ...auth, Host: hostHeader } });
    assert.equal(r.status, 403, `Host ${hostHeader}`);
  }
  assert.equal((await http(port, 'GET', '/', { headers: { Host: 'rebound.example' } })).status, 403, 'DNS rebinding on the page itself');
  assert.equal((await http(port, 'POST', '/api/getAppInfo', { body: '{}', headers: { ...auth, Host: `localhost:${port}` } })).status, 200);
  assert.equal((await call('getAppInfo', {}, { ...auth, Origin: 'http://evil.example' })).status, 403, 'foreign Origin');
  assert.equal((await call('getAppInfo', {}, { ...auth, Origin: `http://127.0.0.1:${port}` })).status, 200, 'own Origin');

  // A named pipe outside the opened folder: if the server opened it, the request would hang.
  const outside = join(root, 'outside');
  await mkdir(outside);
  execFileSync('mkfifo', [join(outside, 'pipe.dcm')]);
  assert.equal((await call('openFolder', { path: folder.root })).status, 200);
  for (const [method, args] of [
    ['getFrame', { path: join(outside, 'pipe.dcm'), frame: 0 }],
    ['getThumbnail', { path: join(outside, 'pipe.dcm'), size: 64 }],
    ['predict', { path: join(outside, 'pipe.dcm'), frame: 0, mode: 'center' }],
    ['getFrame', { path: join(folder.root, '..', 'outside', 'pipe.dcm'), frame: 0 }],
    ['getFrame', { path: '/etc/passwd', frame: 0 }],
  ] as const) {
    const r = await call(method, args);
    assert.equal(r.status, 403, `${method} ${JSON.stringify(args)}`);
    assert.equal(value<{ error: { code: string } }>(r).error.code, 'AccessDenied');
  }

  const bad: [string, unknown, number, RegExp][] = [
    ['getFrame', { path: join(folder.root, 'png', 'gray-40.png'), frame: -1 }, 400, /frame must be an integer/],
    ['getFrame', { path: join(folder.root, 'png', 'gray-40.png') }, 400, /frame must be an integer/],
    ['predict', { path: join(folder.root, 'png', 'gray-40.png'), frame: 0, mode: 'sixcrop' }, 400, /mode must be one of/],
    ['getFrame', [1, 2, 3], 400, /arguments must be an object/],
    ['noSuchMethod', {}, 404, /no API method/],
  ];
  for (const [method, args, status, message] of bad) {
    const r = await call(method, args);
    assert.equal(r.status, status, method);
    const { error } = value<{ error: { code: string; reason: string } }>(r);
    assert.match(error.reason, message);
    assert.doesNotMatch(r.body.toString(), /\n\s+at /, 'no stack trace');
  }
  const notJson = await http(port, 'POST', '/api/getAppInfo', { body: '{nope', headers: auth });
  assert.equal(notJson.status, 400);
  const huge = await http(port, 'POST', '/api/openFolder', { body: JSON.stringify({ path: 'x'.repeat(2 << 20) }), headers: auth });
  assert.equal(huge.status, 413);
  assert.equal((await http(port, 'GET', '/api/getAppInfo', { headers: auth })).status, 405);

  const page = await http(port, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(page.type, /text\/html/);
  assert.equal((await http(port, 'GET', '/../../etc/passwd')).status, 404);
  assert.equal((await http(port, 'GET', '/%2e%2e/%2e%2e/etc/passwd')).status, 404);
});

function expectedFor(model: TinyModel, v: number): number[] {
  return model.expected(new Float32Array(model.channels * model.size * model.size).fill(v / 255)).probabilities;
}

async function nextEvents(port: number, token: string, until: (e: ApiEvent) => boolean): Promise<{ events: ApiEvent[]; ready: Promise<void>; done: Promise<void>; close(): void }> {
  const events: ApiEvent[] = [];
  let close = () => {};
  let markReady = () => {};
  const ready = new Promise<void>((r) => (markReady = r));
  const done = new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/api/events?token=${token}`, headers: { Host: `127.0.0.1:${port}` } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        if (buffer.includes(': connected')) markReady();
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const e = JSON.parse(data.slice(6)) as ApiEvent;
          events.push(e);
          if (until(e)) {
            req.destroy();
            resolve();
          }
        }
      });
    });
    req.on('error', (err) => (err.message === 'socket hang up' ? resolve() : reject(err)));
    req.end();
    close = () => req.destroy();
  });
  return { events, ready, done, close };
}

test('the renderer\'s flows through serve: folder tree, pixels, findings, heatmap, batch with events, reuse on rescan, export', async (t) => {
  const { folder, model, host, call } = await start(t);
  const tree = value<StudyTree>(await call('openFolder', { path: folder.root }));
  assert.equal(tree.patients.length, 1);
  assert.equal(tree.patients[0]!.patientName, 'Test, Patient');
  const series = tree.patients[0]!.studies[0]!.series[0]!;
  assert.deepEqual(series.images.map((i) => i.relPath).sort(), ['dicom/IM0001', 'dicom/inverted.dcm', 'dicom/multi.dcm']);
  assert.equal(series.images.find((i) => i.relPath === 'dicom/multi.dcm')!.frames, 3);
  assert.deepEqual(tree.folders.map((f) => f.relDir), ['jpeg/deep', 'png']);
  assert.deepEqual(tree.unreadable.map((u) => [u.relPath, u.error.code]).sort(), [...(folder as ScanFolder).broken.entries()].sort());
  assert.equal(tree.skipped, 2);
  assert.equal(tree.order.length, 6);

  const dicomPath = join(folder.root, 'dicom', 'multi.dcm');
  const frame = value<FrameResult>(await call('getFrame', { path: dicomPath, frame: 2 }));
  assert.ok(frame.pixels instanceof Uint16Array);
  assert.equal(frame.pixels.length, 20 * 24);
  assert.ok(frame.pixels.every((v) => v === 1300));
  assert.equal(frame.header.kind, 'gray');
  if (frame.header.kind === 'gray') assert.deepEqual([frame.header.voi.kind === 'window' && frame.header.voi.center, frame.header.invert], [1000, false]);
  const outOfRange = await call('getFrame', { path: dicomPath, frame: 3 });
  assert.equal(outOfRange.status, 422);
  assert.equal(value<{ error: { code: string } }>(outOfRange).error.code, 'FrameOutOfRange');
  const unreadable = await call('getFrame', { path: join(folder.root, 'broken', 'cut.png'), frame: 0 });
  assert.equal(value<{ error: { code: string; file: string } }>(unreadable).error.code, 'Truncated');

  const png = join(folder.root, 'png', 'gray-40.png');
  for (const mode of ['center', 'tencrop'] as const) {
    const p = value<PredictionResult>(await call('predict', { path: png, frame: 0, mode }));
    assert.equal(p.mode, mode);
    assert.equal(p.model.trained, false);
    const want = expectedFor(model, 40);
    p.probabilities.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6));
    assert.deepEqual(p.findings.map((f) => f.probability), [...p.probabilities].sort((a, b) => b - a));
    const heat = value<Heatmap>(await call('getHeatmap', { path: png, frame: 0, mode, label: 'Gamma', maxSide: 20 }));
    assert.ok(heat.values instanceof Float32Array);
    assert.equal(Math.max(heat.width, heat.height), 20);
    assert.deepEqual([heat.imageWidth, heat.imageHeight], [40, 30]);
  }

  const thumb = value<{ png: Uint8Array; width: number }>(await call('getThumbnail', { path: png, size: 32 }));
  assert.deepEqual([...thumb.png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.equal(thumb.width, 32);

  // Batch: events arrive for every row, then the finish; the stored rows equal the model's numbers.
  const listener = await nextEvents(host.port, host.token, (e) => e.type === 'batch-finished');
  await listener.ready;
  const batch = value<BatchSummary>(await call('startBatch', { folder: folder.root, mode: 'center' }));
  assert.equal(batch.state, 'running');
  const busy = await call('startBatch', { folder: folder.root, mode: 'center' });
  assert.equal(busy.status, 409, 'one batch at a time');
  assert.equal(value<{ error: { code: string } }>(busy).error.code, 'Busy');
  await listener.done;
  const rowsSeen = listener.events.filter((e) => e.type === 'batch-row');
  assert.equal(rowsSeen.length, 11);
  assert.ok(listener.events.some((e) => e.type === 'batch-progress'));
  const results = value<BatchResults>(await call('getBatchResults', {}));
  assert.equal(results.batch!.id, batch.id);
  assert.equal(results.batch!.state, 'done');
  assert.equal(results.rows.length, 11);
  assert.equal(results.rows.filter((r) => r.error).length, 3);
  for (const [rel, values] of folder.values) {
    values.forEach((v, f) => {
      const row = results.rows.find((r) => r.relPath === rel && r.frame === f)!;
      const want = expectedFor(model, v);
      row.probabilities!.forEach((p, i) => assert.ok(Math.abs(p - want[i]!) < 1e-6, `${rel}#${f}`));
    });
  }

  // The same folder again: every unchanged file is taken over, nothing recomputed.
  const second = await nextEvents(host.port, host.token, (e) => e.type === 'batch-finished');
  await second.ready;
  const again = value<BatchSummary>(await call('startBatch', { folder: folder.root, mode: 'center' }));
  await second.done;
  const rerun = value<BatchResults>(await call('getBatchResults', { batchId: again.id }));
  assert.equal(rerun.batch!.reused, 8);
  assert.equal(rerun.rows.filter((r) => r.reused).length, 8);
  assert.equal(rerun.rows.length, 11);

  const exported = value<{ filename: string; content: Uint8Array }>(await call('exportResults', { batchId: again.id, format: 'csv' }));
  assert.match(exported.filename, /\.csv$/);
  const [header, ...rows] = parseCsv(Buffer.from(exported.content).toString('utf8'));
  assert.equal(rows.length, 11);
  assert.equal(rows[0]![header!.indexOf('trained')], 'false');
});
