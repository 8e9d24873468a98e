/**
 * isDicom recognises DICOM by content from its first bytes only: Part 10 (preamble + "DICM"), File
 * Meta without the preamble, and bare data sets (implicit or explicit VR) — and nothing else, whatever
 * the file is called.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDicom } from '../../main/dicom/open-dicom';
import { sniffBytes } from '../../main/image/open-image';
import { TS, withoutFileMeta, withoutPreamble, writeDicom } from '../support/dicom-files';

const file = writeDicom({ rows: 2, columns: 2, pixels: new Uint16Array(4), transferSyntax: TS.implicitLE });
const explicitFile = writeDicom({ rows: 2, columns: 2, pixels: new Uint16Array(4) });

test('Part 10, File Meta without preamble, bare implicit and explicit data sets are DICOM', () => {
  assert.equal(isDicom(file), true);
  assert.equal(isDicom(withoutPreamble(file)), true);
  assert.equal(isDicom(withoutFileMeta(file)), true, 'implicit VR data set starting at group 0008');
  assert.equal(isDicom(withoutFileMeta(explicitFile)), true, 'explicit VR data set starting at group 0008');
  assert.equal(sniffBytes(file.subarray(0, 1024)), 'dicom');
});

test('only the first bytes are needed', () => {
  assert.equal(isDicom(file.subarray(0, 140)), true);
  assert.equal(isDicom(withoutFileMeta(file).subarray(0, 16)), true);
});

test('text, images, empty input and a misplaced DICM are not DICOM', () => {
  const text = new TextEncoder().encode('(0008,0016) UI 1.2.840 this is a dcmdump listing, not a file\n'.repeat(4));
  assert.equal(isDicom(text), false);
  assert.equal(isDicom(new Uint8Array(0)), false);
  assert.equal(isDicom(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), false);
  const misplaced = new Uint8Array(200);
  misplaced.set([0x44, 0x49, 0x43, 0x4d], 0);
  assert.equal(isDicom(misplaced), false);
  // A data set shifted by one stray byte (the shared no_meta.dcm case) is not recognised either.
  const shifted = new Uint8Array(withoutFileMeta(file).length + 1);
  shifted.set(withoutFileMeta(file), 1);
  shifted[0] = 0x20;
  assert.equal(isDicom(shifted), false);
});
