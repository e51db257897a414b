/**
 * The workspace passage index: every description paragraph of the workspace's patent documents, kept
 * current from a `DocumentSource`, embedded by an `Embedder`, persisted in one store file and searched
 * densely, lexically or both.
 *
 * Change detection is two-staged: size + mtime (+ editor version for unsaved text) decides whether a
 * file is read at all; a content hash per paragraph decides whether it is embedded again. Vectors are
 * keyed by that hash, so an edit re-embeds only the edited paragraphs, and a rename or a copy re-embeds
 * nothing. Documents are written to the store before their vectors exist: a restarted update finds the
 * referenced hashes without vectors and continues there (resume).
 */
import { createHash } from 'node:crypto';
import { basename, sep } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { rename } from 'node:fs/promises';
import type { BulkItem } from '../documents/bulk';
import { holdsSeveralDocuments } from '../documents/bulk';
import type { PatentDocument } from '../documents/model';
import type { Embedder } from '../embedding/embedder';
import type { Logger } from '../logger';
import { splitClaimElements } from '../search/claim-query';
import { DEFAULT_FEEDBACK, FEEDBACK_BY_DEFAULT } from '../search/feedback';
import { fusionForModel, type FusionOptions } from '../search/fusion';
import { DEFAULT_DOCUMENT_EVIDENCE } from '../search/document-evidence';
import { Bm25Index } from '../search/bm25';
import { PassageCorpus, type PassageRecord } from '../search/passage-corpus';
import type {
  Disposable,
  DocumentRole,
  FileChange,
  IndexStatus,
  PassageSearchService,
  SearchMode,
  SearchQuery,
  SearchResponse,
  UpdateOptions,
  UpdateResult,
} from '../search/types';
import type { DocumentSource, SourceFile } from './source';
import {
  documentKeyOf,
  loadStore,
  saveStore,
  type LexicalSection,
  type LoadedStore,
  type StoredDocument,
  type StoredParagraph,
  type StoreIdentity,
} from './store';

export { documentKeyOf } from './store';

/** How a paragraph's match text becomes the texts that are embedded (one vector each). */
export interface EmbeddingRecipe {
  /** Stored in the cache header: changing it re-embeds everything. */
  id: string;
  texts(matchText: string): string[];
}

/** One vector per paragraph, of its whole match text (the model reads what fits). */
export const WHOLE_PARAGRAPH: EmbeddingRecipe = { id: 'whole', texts: (text) => [text] };

/** What the role rule sees of a document. */
export interface DocumentInfo {
  uri: string;
  format: PatentDocument['format'];
  publicationNumber?: string;
}

/**
 * The default rule: a published document (it states a publication number) is prior art; a draft without
 * one in an editable format (text, Markdown, Word) is the drafter's specification. Glob settings in the
 * extension override it (see docs/search.md).
 */
export function defaultRoleOf(document: DocumentInfo): DocumentRole {
  if (document.publicationNumber) return 'prior-art';
  return document.format === 'text' || document.format === 'markdown' || document.format === 'docx'
    ? 'specification'
    : 'prior-art';
}

export interface PassageIndexOptions {
  source: DocumentSource;
  embedder: Embedder;
  /**
   * The documents module's parser: bytes → document, throwing `DocumentError` for bad input. It gets the
   * index's size limit, so that limit (not the parser's own default) decides what is too large, and the
   * index's signal, which cancels it.
   */
  parse: (
    bytes: Uint8Array,
    uri: string,
    options: { maxBytes: number; signal?: AbortSignal },
  ) => Promise<PatentDocument>;
  logger: Logger;
  /** The cache file (extension: under `context.storageUri`; CLI: `<dir>/.patent-passages/`). Omit for memory only. */
  storePath?: string;
  /** Files larger than this are skipped with one message. Default 50 MB. */
  maxFileBytes?: number;
  roleOf?: (document: DocumentInfo) => DocumentRole;
  recipe?: EmbeddingRecipe;
  /** Texts per embedder call while indexing. Default 32. */
  embedBatchSize?: number;
  /** Progress is persisted at most this often while indexing. Default 5 s. */
  saveIntervalMs?: number;
  /**
   * Bulk files (many documents in one file: concatenated USPTO XML, Green Book records, a .zip of them):
   * each of their documents becomes a document of the index. Without this every file is one document.
   */
  bulk?: BulkReader;
  /** How hybrid search mixes the scores; default: the model folder's dense weight (`fusionForModel`). */
  fusion?: FusionOptions;
}

/** How the index reads bulk files: by the file's uri (the caller maps it to a path), streamed. */
export interface BulkReader {
  /** Whether a file too large to read whole is a bulk file (reads only its beginning). */
  detect(uri: string, signal: AbortSignal): Promise<boolean>;
  /** Its documents, one item each (a document, or the error of one that cannot be read). */
  read(uri: string, options: { signal: AbortSignal; maxDocumentBytes?: number }): AsyncIterable<BulkItem>;
  /** Per-document size limit inside a bulk file (default: the parser's, 20 MB). */
  maxDocumentBytes?: number;
}

/** Errors of one bulk file listed in full; beyond them only counted. */
const BULK_ERRORS_LISTED = 5;

interface IndexedDocument {
  stored: StoredDocument;
  slots: number[];
}

export const DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024;
const SLICE_MS = 8;
/**
 * Slices of a load are shorter: at 100k paragraphs a collection pause can land in any slice, and the
 * issue allows no stall over 20 ms (slices of 8 ms plus a pause reached 25–30 ms in the bench).
 */
const LOAD_SLICE_MS = 4;

export class PassageIndex implements PassageSearchService {
  private corpus: PassageCorpus;
  /** By document identity (`documentKeyOf`): the file's uri, or for a bulk file's documents uri + place. */
  private readonly documents = new Map<string, IndexedDocument>();
  /** The identities of each file's documents (one, or a bulk file's many). */
  private readonly files = new Map<string, string[]>();
  private readonly listeners = new Set<(status: IndexStatus) => void>();
  private readonly identity: StoreIdentity;
  /** How hybrid search mixes the scores: with the dense weight the model's folder states. */
  readonly fusion: FusionOptions;
  private readonly recipe: EmbeddingRecipe;
  private readonly roleOf: (document: DocumentInfo) => DocumentRole;
  private readonly disposeController = new AbortController();
  private loading: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private current: IndexStatus;
  private storage: 'disk' | 'memory';
  private dirty = false;
  private lastSave = 0;
  private pending = 0;
  private disposed = false;
  /** The claim's row scores of a finished search, reused by the next (400 kB per query at 100k rows). */
  private spareRowScores: Float32Array | undefined;
  /** Why the index lives in memory although a store path was given; shown again after each update. */
  private storageMessage: string | undefined;
  /** Problems already reported, so each is logged once. */
  private readonly reported = new Set<string>();

  constructor(private readonly options: PassageIndexOptions) {
    this.recipe = options.recipe ?? WHOLE_PARAGRAPH;
    this.roleOf = options.roleOf ?? defaultRoleOf;
    this.identity = {
      modelId: options.embedder.modelId,
      dims: options.embedder.dims,
      recipe: this.recipe.id,
    };
    this.corpus = new PassageCorpus(options.embedder.dims);
    this.fusion = options.fusion ?? fusionForModel(options.embedder.hybridDenseWeight);
    this.storage = options.storePath ? 'disk' : 'memory';
    this.current = {
      state: 'idle',
      documents: 0,
      paragraphs: 0,
      modelId: options.embedder.modelId,
      storage: this.storage,
    };
  }

  status(): IndexStatus {
    return { ...this.current };
  }

  onDidChangeStatus(listener: (status: IndexStatus) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Loads the store (once). Called by `update` and `search`; call it early to make the first search fast. */
  load(): Promise<void> {
    this.loading ??= this.loadStore();
    return this.loading;
  }

  update(changes: readonly FileChange[] | 'full', options: UpdateOptions = {}): Promise<UpdateResult> {
    const run = this.queue.then(() => this.runUpdate(changes, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async search(query: SearchQuery): Promise<SearchResponse> {
    const started = performance.now();
    await this.load();
    const timings: Record<string, number> = {};
    let mode: SearchMode = query.mode ?? 'hybrid';
    let notice: string | undefined;
    const text = query.text.trim();
    if (!text) return { results: [], timings: { total: 0 }, mode };

    let queryVector: Float32Array | undefined;
    let elements: { text: string; vector: Float32Array; rowScores?: Float32Array }[] | undefined;
    // A model whose folder gives the dense side no weight (the bundled USE-Lite) ranks hybrid exactly as
    // lexical: the claim is not embedded at all.
    const usesVectors =
      mode === 'dense' ||
      (mode === 'hybrid' &&
        (query.elements === true || this.fusion.method !== 'linear' || this.fusion.denseWeight > 0));
    if (usesVectors) {
      const embedStarted = performance.now();
      try {
        const elementTexts = query.elements ? splitClaimElements(text).elements : [];
        const vectors = await this.options.embedder.embed([text, ...elementTexts], {
          priority: 'query',
          kind: 'query',
          signal: query.signal,
        });
        queryVector = vectors[0];
        if (elementTexts.length > 1) {
          elements = elementTexts.map((element, i) => ({
            text: element,
            vector: vectors[i + 1] as Float32Array,
          }));
        }
      } catch (error) {
        if (query.signal?.aborted) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        this.reportOnce(
          `embed:${reason}`,
          `The embedding model failed (${reason}); searching by words only.`,
        );
        notice = `The embedding model is unavailable (${reason}); these results are lexical only.`;
        mode = 'lexical';
      }
      timings.embed = performance.now() - embedStarted;
    }
    query.signal?.throwIfAborted();
    if (usesVectors && mode !== 'lexical' && this.pending > 0) {
      notice = `${this.pending} paragraphs are still being embedded; they are found by their words only for now.`;
    }
    // Score the vectors in slices that yield, so even a 100k-paragraph index never blocks the thread.
    const denseStarted = performance.now();
    const rowScoresVersion = this.corpus.vectors.version;
    let rowBuffer = this.spareRowScores;
    this.spareRowScores = undefined;
    const rowSpan = this.corpus.vectors.rowSpan;
    if (queryVector && (!rowBuffer || rowBuffer.length < rowSpan))
      rowBuffer = new Float32Array(Math.ceil(rowSpan * 1.125));
    const queryRowScores = queryVector
      ? await this.corpus.vectors.scoreAllSliced(queryVector, query.signal, rowBuffer)
      : undefined;
    if (elements) {
      for (const element of elements)
        element.rowScores = await this.corpus.vectors.scoreAllSliced(element.vector, query.signal);
    }
    timings.vectors = performance.now() - denseStarted;
    const folder = query.folder ? withTrailingSeparator(query.folder) : undefined;
    const { hits: results, expansionTerms } = await this.corpus.searchSliced(
      {
        mode,
        topK: query.topK ?? 10,
        minScore: query.minScore,
        queryText: text,
        queryVector,
        queryRowScores,
        rowScoresVersion,
        elements,
        fusion: this.fusion,
        ...((query.feedback ?? FEEDBACK_BY_DEFAULT) ? { feedback: DEFAULT_FEEDBACK } : {}),
        ...(query.documentEvidence === false ? {} : { documents: DEFAULT_DOCUMENT_EVIDENCE }),
        documentEvidenceFor: (record) => this.recordRole(record) === 'prior-art',
        roleOf: (record) => this.recordRole(record),
        accept: (record) =>
          (query.excludeUri === undefined || record.uri !== query.excludeUri) &&
          (folder === undefined || record.uri.startsWith(folder)) &&
          (query.role === undefined || query.role === 'all' || this.recordRole(record) === query.role),
      },
      timings,
      query.signal,
    );
    // Not in a `finally`: an aborted search just leaves its buffer to the collector.
    this.spareRowScores ??= rowBuffer;
    timings.total = performance.now() - started;
    const response: SearchResponse = { results, timings, mode };
    if (notice) response.notice = notice;
    if (expansionTerms.length > 0) response.expansionTerms = expansionTerms;
    return response;
  }

  /** Documents in the index (for the CLI and the UI's document list). */
  indexedDocuments(): readonly StoredDocument[] {
    return [...this.documents.values()].map((d) => d.stored);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeController.abort();
    await this.queue;
    if (this.dirty) await this.save();
    this.listeners.clear();
  }

  // ---- loading and saving -------------------------------------------------------------------------

  private async loadStore(): Promise<void> {
    const path = this.options.storePath;
    if (!path) return;
    const loaded = await loadStore(path, this.identity);
    if (!loaded.ok) {
      if (loaded.problem === 'not-a-file') {
        // A folder (or device…) where the cache belongs is the user's: nothing is renamed or written.
        this.options.logger.warn(`${loaded.message}; keeping the index in memory for this session.`);
        this.storage = 'memory';
        this.storageMessage = `The passage cache path is not a file (${basename(path)}); the index lives in memory until restart.`;
        this.setStatus({ message: this.storageMessage });
      } else if (loaded.problem === 'corrupt' || loaded.problem === 'unreadable') {
        this.options.logger.warn(loaded.message);
        this.setStatus({
          message: `The passage cache was damaged and is being rebuilt (${basename(path)}).`,
        });
        // Keep a damaged file for diagnosis; the next save writes a fresh one. Only a file that was read
        // and found damaged is moved: one that could not be read is left where it is.
        if (loaded.problem === 'corrupt') await rename(path, `${path}.corrupt`).catch(() => undefined);
      } else if (loaded.problem === 'mismatch') {
        this.options.logger.info(`${loaded.message}: re-embedding the workspace.`);
      }
      this.dirty = loaded.problem !== 'missing';
      return;
    }
    const { contents } = loaded;
    this.corpus = new PassageCorpus(this.identity.dims, undefined, contents.vectors);
    const lexical = await this.storedLexicalIndex(contents);
    await yieldToEventLoop();
    let preindexed = false;
    if (lexical) {
      try {
        this.corpus = new PassageCorpus(this.identity.dims, undefined, contents.vectors, undefined, lexical);
        await this.addLoadedDocuments(contents.documents, true);
        if (lexical.size !== this.corpus.size)
          throw new Error(`${lexical.size} slots in the stored postings, ${this.corpus.size} paragraphs`);
        preindexed = true;
      } catch (error) {
        this.reportOnce(
          'lexical:slots',
          `${path}: the stored word index does not match the paragraphs (${error instanceof Error ? error.message : String(error)}); it is rebuilt from them`,
        );
        this.documents.clear();
        this.files.clear();
        this.corpus = new PassageCorpus(this.identity.dims, undefined, contents.vectors);
      }
    }
    if (!preindexed) {
      await this.addLoadedDocuments(contents.documents, false);
      // Written again with postings (an older schema, damaged or differently built postings).
      this.dirty = true;
    }
    this.pending = await this.countMissingSliced();
    this.options.logger.info(
      `Loaded the passage cache: ${this.documents.size} documents, ${this.corpus.size} paragraphs (${path}).`,
    );
    this.setStatus({});
  }

  /**
   * The cache's postings as an index, when they are there, sound and built with today's analyzer and
   * BM25 settings; else undefined (a damaged section is reported once). Decoded in slices.
   */
  private async storedLexicalIndex(contents: LoadedStore): Promise<Bm25Index | undefined> {
    if (contents.lexicalProblem) this.reportOnce('lexical:damaged', contents.lexicalProblem);
    const section = contents.lexical;
    if (!section) return undefined;
    if (section.identity !== this.corpus.lexicalIdentity) {
      this.options.logger.info(
        `The cache's word index was built otherwise (${section.identity}); rebuilding it from the paragraphs.`,
      );
      return undefined;
    }
    try {
      return await runSliced(Bm25Index.decodeSteps(section.bytes, this.corpus.lexical.settings));
    } catch (error) {
      this.reportOnce(
        'lexical:damaged',
        `${this.options.storePath}: the stored word index is damaged (${error instanceof Error ? error.message : String(error)}); it is rebuilt from the paragraphs`,
      );
      return undefined;
    }
  }

  /** Adds the loaded documents in order, yielding between slices. */
  private async addLoadedDocuments(documents: readonly StoredDocument[], preindexed: boolean): Promise<void> {
    let sliceStart = performance.now();
    for (const stored of documents) {
      this.addDocument(stored, preindexed);
      if (performance.now() - sliceStart > LOAD_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
  }

  /**
   * The postings for the cache, slots renumbered to the order the documents are saved in (which is the
   * order a load adds them in, from slot 0).
   */
  private async lexicalSection(documents: readonly IndexedDocument[]): Promise<LexicalSection> {
    const order: number[] = [];
    for (const document of documents) for (const slot of document.slots) order.push(slot);
    const bytes = await runSliced(this.corpus.lexical.encodeSteps(order));
    return { identity: this.corpus.lexicalIdentity, bytes };
  }

  private async save(): Promise<void> {
    const path = this.options.storePath;
    if (!path || this.storage === 'memory') {
      if (this.storageMessage && !this.current.message) this.setStatus({ message: this.storageMessage });
      return;
    }
    try {
      const documents = [...this.documents.values()];
      const bytes = await saveStore(path, {
        identity: this.identity,
        documents: documents.map((d) => d.stored),
        vectors: this.corpus.vectors,
        lexical: await this.lexicalSection(documents),
      });
      this.dirty = false;
      this.lastSave = Date.now();
      this.options.logger.debug(`Saved the passage cache (${bytes} bytes) to ${path}.`);
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      this.storage = 'memory';
      this.options.logger.warn(
        `Cannot write the passage cache ${path} (${reason}); keeping the index in memory for this session.`,
      );
      this.setStatus({
        message: `The passage cache cannot be saved (${reason}); the index lives in memory until restart.`,
      });
    }
  }

  // ---- updating -------------------------------------------------------------------------------

  private async runUpdate(
    changes: readonly FileChange[] | 'full',
    options: UpdateOptions,
  ): Promise<UpdateResult> {
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.disposeController.signal])
      : this.disposeController.signal;
    const result: UpdateResult = { filesRead: 0, filesRemoved: 0, paragraphsEmbedded: 0, cancelled: false };
    await this.load();
    this.setStatus({ state: 'indexing', message: undefined });
    const skipped: string[] = [];
    const failed: string[] = [];
    try {
      const toRead = await this.plan(changes, result, signal);
      let done = 0;
      let sliceStart = performance.now();
      for (const file of toRead) {
        if (signal.aborted) break;
        options.progress?.({ done, total: toRead.length, message: `Reading ${basename(file.uri)}` });
        this.setStatus({ progress: { done, total: toRead.length } });
        const stored = await this.readFile(file, skipped, failed, signal, (count) => {
          const message = `Reading ${basename(file.uri)} (${count} documents)`;
          options.progress?.({ done, total: toRead.length, message });
        });
        if (stored) {
          this.replaceFile(file.uri, stored);
          result.filesRead++;
        }
        done++;
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
      this.reportSkipped(skipped, failed);
      if (changes === 'full' && !signal.aborted) this.collectGarbage();
      else if (this.unreferencedCount() > Math.max(5000, this.corpus.vectors.entryCount / 2))
        this.collectGarbage();
      result.paragraphsEmbedded = await this.embedMissing(options, signal);
    } finally {
      result.cancelled = signal.aborted;
      if (this.dirty) await this.save();
      this.setStatus({
        state: 'idle',
        progress: undefined,
        skippedFiles: skipped.length + failed.length,
        message: this.current.message,
      });
    }
    return result;
  }

  /** Decides which files to read; removes documents that are gone. */
  private async plan(
    changes: readonly FileChange[] | 'full',
    result: UpdateResult,
    signal: AbortSignal,
  ): Promise<SourceFile[]> {
    const toRead: SourceFile[] = [];
    const consider = (file: SourceFile): void => {
      const known = this.firstOfFile(file.uri);
      if (
        known &&
        known.size === file.size &&
        known.mtimeMs === file.mtimeMs &&
        known.version === file.version
      )
        return;
      toRead.push(file);
    };
    if (changes === 'full') {
      const files = await this.options.source.list(signal);
      const present = new Set(files.map((f) => f.uri));
      for (const uri of [...this.files.keys()]) {
        if (!present.has(uri)) {
          this.removeFile(uri);
          result.filesRemoved++;
        }
      }
      files.forEach(consider);
      return toRead;
    }
    for (const change of changes) {
      if (change.kind === 'renamed' && this.files.has(change.oldUri)) {
        this.removeFile(change.oldUri);
        result.filesRemoved++;
      }
      if (change.kind === 'deleted') {
        if (this.files.has(change.uri)) {
          this.removeFile(change.uri);
          result.filesRemoved++;
        }
        continue;
      }
      const file = await this.options.source.stat(change.uri);
      if (file) consider(file);
      else if (this.files.has(change.uri)) {
        this.removeFile(change.uri);
        result.filesRemoved++;
      }
    }
    return toRead;
  }

  /**
   * Reads one file: its one document, or a bulk file's documents. A file that cannot be read is recorded
   * in `failed` (or `skipped`, over the size limit) and its last good version kept.
   */
  private async readFile(
    file: SourceFile,
    skipped: string[],
    failed: string[],
    signal: AbortSignal,
    onDocuments: (count: number) => void,
  ): Promise<StoredDocument[] | undefined> {
    const maxBytes = this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    // Bulk files are streamed from disk: not unsaved editor text.
    const bulk = file.version === undefined ? this.options.bulk : undefined;
    if (bulk && /\.zip$/i.test(file.uri)) return this.readBulk(bulk, file, failed, signal, onDocuments);
    if (file.size > maxBytes) {
      // A bulk file streams in bounded memory: only its single documents have a limit.
      const isBulk = bulk ? await bulk.detect(file.uri, signal).catch(() => false) : false;
      if (bulk && isBulk) return this.readBulk(bulk, file, failed, signal, onDocuments);
      skipped.push(`${file.uri} (${formatBytes(file.size)})`);
      return undefined;
    }
    let document: PatentDocument;
    try {
      const bytes = await this.options.source.read(file.uri, signal);
      if (bytes.length > maxBytes) {
        failed.push(`${file.uri}: over the size limit (${formatBytes(bytes.length)})`);
        return undefined;
      }
      if (bulk && (await holdsSeveralDocuments(bytes, signal)))
        return this.readBulk(bulk, file, failed, signal, onDocuments);
      document = await this.options.parse(bytes, file.uri, { maxBytes, signal });
    } catch (error) {
      if (signal.aborted) return undefined;
      const message = error instanceof Error ? error.message : String(error);
      // DocumentError messages already start with the file name.
      failed.push(message.includes(file.uri) ? message : `${file.uri}: ${message}`);
      return undefined;
    }
    return [this.storedFrom(file, document)];
  }

  /**
   * A bulk file's documents, each its own index document. Documents that cannot be read are recorded in
   * `failed` (the first few in full) and the others kept; if the file itself cannot be read, or the read
   * is cancelled, nothing of it changes.
   */
  private async readBulk(
    bulk: BulkReader,
    file: SourceFile,
    failed: string[],
    signal: AbortSignal,
    onDocuments: (count: number) => void,
  ): Promise<StoredDocument[] | undefined> {
    const documents: StoredDocument[] = [];
    let errors = 0;
    let lastProgress = 0;
    try {
      const options: { signal: AbortSignal; maxDocumentBytes?: number } = { signal };
      if (bulk.maxDocumentBytes !== undefined) options.maxDocumentBytes = bulk.maxDocumentBytes;
      for await (const item of bulk.read(file.uri, options)) {
        if ('error' in item) {
          if (++errors <= BULK_ERRORS_LISTED) failed.push(item.error.message);
          continue;
        }
        const part: NonNullable<StoredDocument['part']> = { ordinal: item.position.ordinal };
        if (item.position.entry !== undefined) part.entry = item.position.entry;
        documents.push(this.storedFrom(file, item.document, part));
        if (performance.now() - lastProgress > 250) {
          lastProgress = performance.now();
          onDocuments(documents.length);
        }
      }
    } catch (error) {
      if (signal.aborted) return undefined;
      const message = error instanceof Error ? error.message : String(error);
      failed.push(message.includes(file.uri) ? message : `${file.uri}: ${message}`);
      return undefined;
    }
    if (errors > BULK_ERRORS_LISTED) {
      failed.push(`${file.uri}: ${errors - BULK_ERRORS_LISTED} more documents could not be read`);
    }
    this.options.logger.info(
      `Read ${documents.length} documents from the bulk file ${file.uri}${errors ? ` (${errors} could not be read)` : ''}.`,
    );
    return documents;
  }

  /** The stored form of a parsed document (`part`: its place in a bulk file). */
  private storedFrom(
    file: SourceFile,
    document: PatentDocument,
    part?: NonNullable<StoredDocument['part']>,
  ): StoredDocument {
    // What the parser repaired or left out (damaged XML, a limit): the user should know the text may be
    // incomplete. Each sentence names the file (and line); logged once per index.
    for (const warning of document.warnings ?? []) this.reportOnce(`warning:${warning}`, warning);
    const paragraphs: StoredParagraph[] = document.paragraphs
      .filter((p) => p.matchText.trim().length > 0)
      .map((p) => {
        const stored: StoredParagraph = {
          id: p.id,
          text: p.text,
          range: p.range,
          hash: this.hashOf(p.matchText),
        };
        if (p.number !== undefined) stored.number = p.number;
        if (p.matchText !== p.text) stored.matchText = p.matchText;
        return stored;
      });
    const stored: StoredDocument = {
      uri: file.uri,
      size: file.size,
      mtimeMs: file.mtimeMs,
      format: document.format,
      label:
        document.publicationNumber ?? (part ? `${basename(file.uri)} #${part.ordinal}` : basename(file.uri)),
      paragraphs,
    };
    if (part) stored.part = part;
    if (file.version !== undefined) stored.version = file.version;
    if (document.publicationNumber !== undefined) stored.publicationNumber = document.publicationNumber;
    if (document.title !== undefined) stored.title = document.title;
    return stored;
  }

  private hashOf(matchText: string): string {
    return createHash('sha256')
      .update(this.recipe.id)
      .update('\0')
      .update(matchText)
      .digest('hex')
      .slice(0, 32);
  }

  private addDocument(stored: StoredDocument, preindexed = false): void {
    const key = documentKeyOf(stored);
    this.removeDocument(key); // a duplicate record in a damaged cache: the last one wins
    const slots = stored.paragraphs.map((p) => {
      const record: PassageRecord = {
        uri: stored.uri,
        documentLabel: stored.label,
        paragraphId: p.id,
        text: p.text,
        range: p.range,
        hash: p.hash,
      };
      if (p.number !== undefined) record.paragraphNumber = p.number;
      if (p.matchText !== undefined) record.matchText = p.matchText;
      if (key !== stored.uri) record.documentKey = key;
      return this.corpus.add(record, preindexed);
    });
    this.documents.set(key, { stored, slots });
    const keys = this.files.get(stored.uri);
    if (keys) keys.push(key);
    else this.files.set(stored.uri, [key]);
  }

  /** A file's documents replace all it had (a bulk file's documents may come and go). */
  private replaceFile(uri: string, stored: readonly StoredDocument[]): void {
    this.removeFile(uri);
    for (const document of stored) this.addDocument(document);
    this.dirty = true;
  }

  /** Removes every document of a file. */
  private removeFile(uri: string): void {
    const keys = this.files.get(uri);
    if (!keys) return;
    // Unlisted first, so removing each of a bulk file's thousands of documents does not rewrite the list.
    this.files.delete(uri);
    for (const key of keys) this.removeDocument(key);
    this.dirty = true;
  }

  private removeDocument(key: string): void {
    const indexed = this.documents.get(key);
    if (!indexed) return;
    for (const slot of indexed.slots) this.corpus.remove(slot);
    this.documents.delete(key);
    const keys = this.files.get(indexed.stored.uri);
    if (keys) {
      const remaining = keys.filter((k) => k !== key);
      if (remaining.length) this.files.set(indexed.stored.uri, remaining);
      else this.files.delete(indexed.stored.uri);
    }
    this.dirty = true;
  }

  /** The stored record of a file's first document: size and mtime are the file's, shared by all of them. */
  private firstOfFile(uri: string): StoredDocument | undefined {
    const key = this.files.get(uri)?.[0];
    return key === undefined ? undefined : this.documents.get(key)?.stored;
  }

  /** How many distinct referenced hashes have no vectors: `missingHashes().length`, in slices (35 ms at 100k). */
  private async countMissingSliced(): Promise<number> {
    const missing = new Set<string>();
    let sliceStart = performance.now();
    for (const { stored } of [...this.documents.values()]) {
      for (const p of stored.paragraphs) if (!this.corpus.vectors.has(p.hash)) missing.add(p.hash);
      if (performance.now() - sliceStart > LOAD_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    return missing.size;
  }

  /** Hashes referenced by a paragraph and without vectors, each with its text, in document order. */
  private missingHashes(): { hash: string; text: string }[] {
    const missing = new Map<string, string>();
    for (const { stored } of this.documents.values()) {
      for (const p of stored.paragraphs) {
        if (!this.corpus.vectors.has(p.hash) && !missing.has(p.hash))
          missing.set(p.hash, p.matchText ?? p.text);
      }
    }
    return [...missing].map(([hash, text]) => ({ hash, text }));
  }

  private referencedHashes(): Set<string> {
    const hashes = new Set<string>();
    for (const { stored } of this.documents.values()) for (const p of stored.paragraphs) hashes.add(p.hash);
    return hashes;
  }

  private unreferencedCount(): number {
    const referenced = this.referencedHashes();
    let unreferenced = 0;
    for (const hash of this.corpus.vectors.hashes()) if (!referenced.has(hash)) unreferenced++;
    return unreferenced;
  }

  /**
   * Drops vectors no paragraph refers to: on full updates, or when they pile up. Not after every
   * deletion: a rename often arrives as delete + create, and the created file reuses the deleted one's
   * vectors.
   */
  private collectGarbage(): void {
    const referenced = this.referencedHashes();
    const unused = [...this.corpus.vectors.hashes()].filter((hash) => !referenced.has(hash));
    for (const hash of unused) this.corpus.vectors.delete(hash);
    if (unused.length) this.dirty = true;
  }

  private async embedMissing(options: UpdateOptions, signal: AbortSignal): Promise<number> {
    const missing = this.missingHashes();
    this.pending = missing.length;
    if (missing.length === 0) return 0;
    const batchSize = this.options.embedBatchSize ?? 32;
    const saveInterval = this.options.saveIntervalMs ?? 5000;
    let embedded = 0;
    this.options.logger.info(`Embedding ${missing.length} paragraphs.`);
    for (let start = 0; start < missing.length && !signal.aborted; start += batchSize) {
      const batch = missing.slice(start, start + batchSize);
      const texts = batch.map((m) => this.recipe.texts(m.text));
      let vectors: Float32Array[];
      try {
        vectors = await this.options.embedder.embed(texts.flat(), {
          priority: 'background',
          kind: 'passage',
          signal,
        });
      } catch (error) {
        if (signal.aborted) break;
        const reason = error instanceof Error ? error.message : String(error);
        this.options.logger.error(`Embedding failed (${reason}); paragraphs stay searchable by their words.`);
        this.setStatus({ state: 'error', message: `Embedding failed: ${reason}` });
        break;
      }
      let offset = 0;
      batch.forEach((m, i) => {
        const count = texts[i]?.length ?? 0;
        this.corpus.vectors.set(m.hash, vectors.slice(offset, offset + count));
        offset += count;
      });
      embedded += batch.length;
      this.pending = missing.length - embedded;
      this.dirty = true;
      options.progress?.({ done: embedded, total: missing.length, message: 'Embedding paragraphs' });
      this.setStatus({ progress: { done: embedded, total: missing.length } });
      if (Date.now() - this.lastSave >= saveInterval) await this.save();
    }
    return embedded;
  }

  // ---- status ---------------------------------------------------------------------------------

  private reportSkipped(skipped: string[], failed: string[]): void {
    const parts: string[] = [];
    if (skipped.length) {
      const limit = formatBytes(this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
      parts.push(`${skipped.length} file(s) over the ${limit} limit skipped: ${skipped.join(', ')}`);
    }
    if (failed.length) parts.push(`${failed.length} file(s) could not be read: ${failed.join('; ')}`);
    if (!parts.length) return;
    const message = parts.join('. ');
    if (!this.reported.has(message)) {
      this.reported.add(message);
      this.options.logger.warn(message);
    }
    this.setStatus({ message });
  }

  private reportOnce(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.options.logger.warn(message);
  }

  private recordRole(record: PassageRecord): DocumentRole {
    const stored = this.documents.get(record.documentKey ?? record.uri)?.stored;
    if (!stored) return 'prior-art';
    const info: DocumentInfo = { uri: stored.uri, format: stored.format };
    if (stored.publicationNumber !== undefined) info.publicationNumber = stored.publicationNumber;
    return this.roleOf(info);
  }

  private setStatus(change: Partial<IndexStatus>): void {
    const next: IndexStatus = {
      ...this.current,
      ...change,
      documents: this.documents.size,
      paragraphs: this.corpus.size,
      pendingEmbeddings: this.pending,
      storage: this.storage,
    };
    for (const key of Object.keys(next) as (keyof IndexStatus)[])
      if (next[key] === undefined) delete next[key];
    this.current = next;
    for (const listener of this.listeners) {
      try {
        listener(this.status());
      } catch (error) {
        this.options.logger.error(`A status listener failed: ${String(error)}`);
      }
    }
  }
}

/**
 * The lexical section a cache of these documents gets when saved by an index (slots in document order):
 * for writers of caches that hold no index (the CLI's bench).
 */
export async function lexicalSectionFor(documents: readonly StoredDocument[]): Promise<LexicalSection> {
  const corpus = new PassageCorpus(1);
  let slot = 0;
  for (const document of documents) {
    for (const p of document.paragraphs)
      corpus.lexical.add(slot++, corpus.analyzer.terms(p.matchText ?? p.text));
  }
  const order = Array.from({ length: slot }, (_, i) => i);
  return { identity: corpus.lexicalIdentity, bytes: await runSliced(corpus.lexical.encodeSteps(order)) };
}

/** Runs a generator that pauses now and then, yielding to the event loop once a slice has taken 4 ms. */
async function runSliced<T>(steps: Generator<void, T>): Promise<T> {
  let sliceStart = performance.now();
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    if (performance.now() - sliceStart > LOAD_SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
}

function withTrailingSeparator(folder: string): string {
  return folder.endsWith('/') || folder.endsWith(sep)
    ? folder
    : folder + (folder.includes('://') ? '/' : sep);
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
