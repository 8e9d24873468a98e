/**
 * The study browser's tree of an opened folder: DICOM grouped Patient > Study > Series > Image from
 * their headers, PNG/JPEG grouped by the subfolder they are in, unreadable files with their reason.
 */
import { dirname, relative, sep } from 'node:path';
import type { PatientGroup, RasterFolder, StudyImage, StudyTree, UnreadableFile } from '../api';
import { toCheXDeskError } from '../errors';
import { readImageInfo } from '../image/read-info';
import type { ImageInfo } from '../image/types';
import { findImages, type FoundFile, type WalkStats } from '../scan/find-images';

/** Files whose headers are read at the same time (overlaps disk latency on network shares). */
const PARALLEL = 4;

export async function buildStudyTree(root: string): Promise<StudyTree> {
  const stats: WalkStats = { skipped: 0 };
  const found: FoundFile[] = [];
  for await (const f of findImages(root, stats)) found.push(f);

  const described: { path: string; info?: ImageInfo; error?: UnreadableFile['error'] }[] = new Array(found.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < found.length) {
        const i = next++;
        const f = found[i]!;
        if (f.error || !f.kind) {
          described[i] = { path: f.path, error: f.error ?? toCheXDeskError(new Error('not an image'), f.path).toInfo() };
          continue;
        }
        try {
          described[i] = { path: f.path, info: await readImageInfo(f.path) };
        } catch (err) {
          described[i] = { path: f.path, error: toCheXDeskError(err, f.path).toInfo() };
        }
      }
    }),
  );

  const patients = new Map<string, PatientGroup>();
  const folders = new Map<string, RasterFolder>();
  const unreadable: UnreadableFile[] = [];
  for (const d of described) {
    const relPath = relative(root, d.path) || d.path;
    if (!d.info) {
      unreadable.push({ path: d.path, relPath, error: d.error! });
      continue;
    }
    const info = d.info;
    const image: StudyImage = { path: d.path, relPath, kind: info.kind, frames: info.frames, rows: info.rows, columns: info.columns };
    const dicom = info.dicom;
    if (dicom) {
      if (dicom.instanceNumber !== undefined) image.instanceNumber = dicom.instanceNumber;
      if (dicom.viewPosition) image.viewPosition = dicom.viewPosition;
      const patientId = dicom.patientId || dicom.patientName || '(no patient ID)';
      let patient = patients.get(patientId);
      if (!patient) {
        patient = { patientId, patientName: formatPersonName(dicom.patientName) || '(no name)', studies: [] };
        if (dicom.patientBirthDate) patient.birthDate = dicom.patientBirthDate;
        if (dicom.patientSex) patient.sex = dicom.patientSex;
        patients.set(patientId, patient);
      }
      const studyUid = dicom.studyInstanceUid || `(no study UID) ${dirname(relPath)}`;
      let study = patient.studies.find((s) => s.studyInstanceUid === studyUid);
      if (!study) {
        study = { studyInstanceUid: studyUid, series: [] };
        if (dicom.studyDate) study.studyDate = dicom.studyDate;
        if (dicom.studyDescription) study.description = dicom.studyDescription;
        if (dicom.accessionNumber) study.accessionNumber = dicom.accessionNumber;
        patient.studies.push(study);
      }
      const seriesUid = dicom.seriesInstanceUid || `(no series UID) ${dirname(relPath)}`;
      let series = study.series.find((s) => s.seriesInstanceUid === seriesUid);
      if (!series) {
        series = { seriesInstanceUid: seriesUid, images: [] };
        if (dicom.seriesNumber !== undefined) series.seriesNumber = dicom.seriesNumber;
        if (dicom.seriesDescription) series.description = dicom.seriesDescription;
        if (dicom.modality) series.modality = dicom.modality;
        study.series.push(series);
      }
      series.images.push(image);
    } else {
      const relDir = dirname(relPath) === '.' ? '' : dirname(relPath).split(sep).join('/');
      let folder = folders.get(relDir);
      if (!folder) {
        folder = { relDir, images: [] };
        folders.set(relDir, folder);
      }
      folder.images.push(image);
    }
  }

  const byText = (a: string | undefined, b: string | undefined) => (a ?? '').localeCompare(b ?? '');
  const patientList = [...patients.values()].sort((a, b) => byText(a.patientName, b.patientName));
  for (const p of patientList) {
    p.studies.sort((a, b) => byText(b.studyDate, a.studyDate) || byText(a.studyInstanceUid, b.studyInstanceUid));
    for (const s of p.studies) {
      s.series.sort((a, b) => (a.seriesNumber ?? 1e9) - (b.seriesNumber ?? 1e9) || byText(a.seriesInstanceUid, b.seriesInstanceUid));
      for (const se of s.series) se.images.sort((a, b) => (a.instanceNumber ?? 1e9) - (b.instanceNumber ?? 1e9) || byText(a.relPath, b.relPath));
    }
  }
  const folderList = [...folders.values()].sort((a, b) => byText(a.relDir, b.relDir));
  for (const f of folderList) f.images.sort((a, b) => byText(a.relPath, b.relPath));

  const order = [
    ...patientList.flatMap((p) => p.studies.flatMap((s) => s.series.flatMap((se) => se.images.map((i) => i.path)))),
    ...folderList.flatMap((f) => f.images.map((i) => i.path)),
  ];
  return { root, patients: patientList, folders: folderList, unreadable, skipped: stats.skipped, order };
}

/** DICOM PN "Family^Given^Middle^Prefix^Suffix" -> "Family, Given Middle". */
export function formatPersonName(pn: string | undefined): string {
  if (!pn) return '';
  const [family = '', given = '', middle = ''] = pn.split('=')[0]!.split('^');
  const rest = [given, middle].filter(Boolean).join(' ');
  return family && rest ? `${family}, ${rest}` : family || rest;
}
