/** The DicomInfo a viewer, a study browser and a results table show, read once at open. */
import type { DataSet } from 'dicom-parser';
import type { DicomInfo } from '../image/types';
import type { ImageAttributes } from './image-attributes';
import { readRescale, readWindow, readWindows } from './lut-tags';
import { transferSyntaxName } from './transfer-syntax';

function text(ds: DataSet, tag: string): string | undefined {
  const v = ds.string(tag)?.trim();
  return v ? v : undefined;
}

function int(ds: DataSet, tag: string): number | undefined {
  const v = ds.intString(tag);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** Person Name components joined for reading ("Doe^John" -> "Doe, John"). */
function personName(ds: DataSet, tag: string): string | undefined {
  const raw = text(ds, tag);
  if (!raw) return undefined;
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = raw.split('=')[0]!.split('^').map((s) => s.trim());
  const rest = [prefix, given, middle, suffix].filter(Boolean).join(' ');
  return family && rest ? `${family}, ${rest}` : family || rest || raw;
}

export function buildDicomInfo(ds: DataSet, attrs: ImageAttributes, transferSyntaxUid: string): DicomInfo {
  const info: DicomInfo = {
    transferSyntax: { uid: transferSyntaxUid, name: transferSyntaxName(transferSyntaxUid) },
    photometric: attrs.photometric,
    samplesPerPixel: attrs.samplesPerPixel,
    planarConfiguration: attrs.planarConfiguration,
    bitsAllocated: attrs.bitsAllocated,
    bitsStored: attrs.bitsStored,
    highBit: attrs.highBit,
    pixelRepresentation: attrs.pixelRepresentation,
    rescale: readRescale(ds),
  };
  const window = readWindow(ds);
  if (window) info.window = { center: window.center, width: window.width };
  const windows = readWindows(ds);
  if (windows.length > 1) info.windows = windows;
  const strings: [keyof DicomInfo, string][] = [
    ['patientId', 'x00100020'],
    ['patientBirthDate', 'x00100030'],
    ['patientSex', 'x00100040'],
    ['studyInstanceUid', 'x0020000d'],
    ['studyDate', 'x00080020'],
    ['studyTime', 'x00080030'],
    ['studyDescription', 'x00081030'],
    ['accessionNumber', 'x00080050'],
    ['seriesInstanceUid', 'x0020000e'],
    ['seriesDescription', 'x0008103e'],
    ['sopInstanceUid', 'x00080018'],
    ['sopClassUid', 'x00080016'],
    ['modality', 'x00080060'],
    ['viewPosition', 'x00185101'],
    ['bodyPartExamined', 'x00180015'],
    ['institutionName', 'x00080080'],
  ];
  const record = info as unknown as Record<string, unknown>;
  for (const [key, tag] of strings) {
    const v = text(ds, tag);
    if (v !== undefined) record[key] = v;
  }
  const name = personName(ds, 'x00100010');
  if (name) info.patientName = name;
  const laterality = text(ds, 'x00200062') ?? text(ds, 'x00200060');
  if (laterality) info.laterality = laterality;
  const seriesNumber = int(ds, 'x00200011');
  if (seriesNumber !== undefined) info.seriesNumber = seriesNumber;
  const instanceNumber = int(ds, 'x00200013');
  if (instanceNumber !== undefined) info.instanceNumber = instanceNumber;
  // Pixel Spacing, else Imager Pixel Spacing (projection radiographs carry only the latter).
  for (const tag of ['x00280030', 'x00181164']) {
    // dicom-parser's string(tag, 1) throws a TypeError when the value has one component.
    if ((ds.numStringValues(tag) ?? 0) < 2) continue;
    const r = ds.floatString(tag, 0);
    const c = ds.floatString(tag, 1);
    if (r !== undefined && c !== undefined && r > 0 && c > 0) {
      info.pixelSpacing = [r, c];
      break;
    }
  }
  return info;
}
