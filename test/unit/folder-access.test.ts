import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderAccess } from '../../main/service/folder-access';
import { CheXDeskError } from '../../main/errors';

test('only files under an opened folder are allowed, whatever the path says', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'chexdesk-access-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const opened = join(root, 'study');
  const outside = join(root, 'secret');
  await mkdir(join(opened, 'sub'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(opened, 'sub', 'a.dcm'), 'x');
  await writeFile(join(outside, 'b.dcm'), 'y');
  await symlink(join(outside, 'b.dcm'), join(opened, 'link-out.dcm'));
  await symlink(outside, join(opened, 'dir-out'));

  const access = new FolderAccess();
  await access.grant(opened);
  assert.ok((await access.check(join(opened, 'sub', 'a.dcm'))).endsWith(join('sub', 'a.dcm')));

  const denied = async (p: string) =>
    assert.rejects(access.check(p), (e: unknown) => e instanceof CheXDeskError && e.code === 'AccessDenied', p);
  await denied(join(outside, 'b.dcm'));
  await denied(join(opened, '..', 'secret', 'b.dcm'));
  await denied(join(opened, 'link-out.dcm'));
  await denied(join(opened, 'dir-out', 'b.dcm'));
  await denied('relative/path.dcm');
  await denied('/etc/passwd');
  // A missing file outside says "denied", not "not found": existence outside is not revealed.
  await denied(join(outside, 'nope.dcm'));
  await assert.rejects(access.check(join(opened, 'nope.dcm')), (e: unknown) => e instanceof CheXDeskError && e.code === 'FileUnreadable');
});
