export { artifactEntries, buildArtifactFiles, entryText } from './artifact-files';
export { zipArtifact, zipArtifactStream } from './zip-artifact';
export type { ZipProgress } from './zip-artifact';
export { ARTIFACT_FORMATS } from './artifact.types';
export type { ArtifactEntry, ArtifactFile, ArtifactFormat, ArtifactInput, ArtifactReport } from './artifact.types';
