/**
 * Reads and validates a model folder in the sentence-transformers ONNX layout, plus our optional
 * manifest `patent-passages.json`, into a plain `ModelSpec` the worker can load. Only JSON files are read
 * here; the ONNX graph's inputs and outputs are checked by the worker once onnxruntime has loaded it.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ModelFolderError } from './errors';

export type PoolingMode = 'cls' | 'mean' | 'max' | 'mean-sqrt-len' | 'last-token';

/** How to combine a text longer than the model's maximum: cut it, or embed overlapping windows and combine. */
export type LongTextMode = 'truncate' | 'window-mean' | 'window-max';

export const MANIFEST_FILE = 'patent-passages.json';

/** Everything the engine needs to run a model, as plain data (it crosses the worker boundary). */
export interface ModelSpec {
  /** Absolute path of the folder. */
  folder: string;
  /** Absolute path of the ONNX file. */
  onnxPath: string;
  /** The model's name: the manifest's `id`, a known model's hub id, or the folder's name. */
  id: string;
  displayName: string;
  /**
   * A short hash of the content of every file that decides what vector a text gets (settings, tokenizer
   * files, the ONNX graph and its external data): part of the embedder's `modelId`, so vectors from
   * changed files never mix with old ones.
   */
  fingerprint: string;
  /** Size of the ONNX file: a proxy for the work per token (fp32 weights). */
  onnxBytes: number;
  /**
   * The graph's output: per-token states to pool (`token-embeddings`), or an already pooled sentence vector.
   * `outputName` undefined means "find it": `last_hidden_state`, then `token_embeddings`.
   */
  graph:
    | { kind: 'token-embeddings'; outputName?: string; pooling: PoolingMode }
    | { kind: 'sentence-embedding'; outputName: string };
  /** The full vector size where the folder says it (config.json `hidden_size` or the manifest); else read from the graph. */
  dims?: number;
  /** Smaller sizes the model was trained to be cut to (Matryoshka), largest first; empty if none. */
  matryoshkaDims: number[];
  /** Tokens per sequence, special tokens included. */
  maxTokens: number;
  /** Lower-case the text before tokenizing (sentence_bert_config.json `do_lower_case`). */
  lowercase: boolean;
  queryPrefix: string;
  passagePrefix: string;
  license?: string;
  /** Which `TextTokenizer` implementation reads the folder (see tokenizer.ts), and its file. */
  tokenizer: { kind: string; file: string; configFile?: string };
  /**
   * The dense share of the hybrid score that suits this model (manifest `hybrid.denseWeight`, in [0, 1]);
   * undefined when the folder does not say, and search uses the global default (`DEFAULT_FUSION`). A
   * stronger model deserves a larger share, so it belongs to the model, chosen by cross-validation.
   */
  hybridDenseWeight?: number;
}

/** What our manifest may say; every field is optional. */
interface Manifest {
  id?: string;
  displayName?: string;
  dims?: number;
  matryoshkaDims?: number[];
  queryPrefix?: string;
  passagePrefix?: string;
  license?: string;
  /** Name of a graph output that is already the pooled sentence vector [batch, dims]. */
  output?: string;
  pooling?: PoolingMode;
  maxTokens?: number;
  lowercase?: boolean;
  /** Tokenizer implementation and file; default `{ kind: 'tokenizer.json', file: 'tokenizer.json' }`. */
  tokenizer?: { kind?: string; file?: string };
  /** How search mixes this model's cosine with BM25. */
  hybrid?: { denseWeight: number };
}

/** Facts the sentence-transformers files do not record, for models the product knows by name. */
const KNOWN_MODELS: {
  match: RegExp;
  id: string;
  displayName: string;
  matryoshkaDims: number[];
  license: string;
}[] = [
  {
    match: /(^|[/\\])bge-base-patentmatch$/i,
    id: 'bhlim/bge-base-patentmatch',
    displayName: 'BGE base fine-tuned on PatentMatch',
    matryoshkaDims: [768, 512, 256, 128, 64],
    license: 'see the model card of bhlim/bge-base-patentmatch',
  },
];

const MAX_JSON_BYTES = 64 * 1024 * 1024;

export async function loadModelFolder(folderPath: string): Promise<ModelSpec> {
  const folder = resolve(folderPath);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new ModelFolderError(folder, 'not-found', 'no such folder');

  const files = new JsonFiles(folder);
  const rawManifest = await files.read(MANIFEST_FILE, false);
  const manifest = parseManifest(folder, rawManifest);

  const onnxRelative = (await exists(join(folder, 'model.onnx')))
    ? 'model.onnx'
    : (await exists(join(folder, 'onnx', 'model.onnx')))
      ? 'onnx/model.onnx'
      : undefined;
  if (!onnxRelative) {
    throw new ModelFolderError(
      folder,
      'missing-file',
      'no ONNX model: looked for model.onnx and onnx/model.onnx',
    );
  }

  const pooledOutput = manifest.output;
  // The sentence-transformers files describe a transformer + pooling pipeline; a graph that pools itself
  // (manifest `output`) needs only the manifest and the tokenizer.
  const config = await files.read('config.json', pooledOutput === undefined);
  const modules = await files.read('modules.json', false);
  const sbertConfig = await files.read('sentence_bert_config.json', false);
  const stConfig = await files.read('config_sentence_transformers.json', false);

  let poolingPath = '1_Pooling';
  let normalizeModule = false;
  if (modules !== undefined) {
    if (!Array.isArray(modules)) throw invalid(folder, 'modules.json', 'expected a list of modules');
    for (const [i, m] of modules.entries()) {
      const type = isObject(m) && typeof m.type === 'string' ? m.type : undefined;
      if (!type) throw invalid(folder, 'modules.json', `module ${i} has no "type"`);
      const short = type.split('.').pop();
      if (short === 'Pooling' && isObject(m) && typeof m.path === 'string') poolingPath = m.path;
      else if (short === 'Normalize') normalizeModule = true;
      else if (short !== 'Transformer' && short !== 'Pooling' && pooledOutput === undefined) {
        throw new ModelFolderError(
          folder,
          'unsupported',
          `module "${type}" is not supported (only Transformer, Pooling and Normalize are)`,
          'modules.json',
        );
      }
    }
  }
  void normalizeModule; // Vectors are always L2-normalised: cosine similarity is a dot product everywhere.

  let graph: ModelSpec['graph'];
  if (pooledOutput !== undefined) {
    graph = { kind: 'sentence-embedding', outputName: pooledOutput };
  } else {
    const poolingFile = `${poolingPath}/config.json`;
    const pooling =
      manifest.pooling ?? parsePooling(folder, poolingFile, await files.read(poolingFile, true));
    graph = { kind: 'token-embeddings', pooling };
  }

  // Vector size and maximum length: every file that states one must agree with the others.
  const hiddenSize =
    config !== undefined ? positiveInt(folder, 'config.json', config, 'hidden_size', false) : undefined;
  if (
    manifest.dims !== undefined &&
    hiddenSize !== undefined &&
    graph.kind === 'token-embeddings' &&
    manifest.dims !== hiddenSize
  ) {
    throw invalid(
      folder,
      MANIFEST_FILE,
      `"dims" is ${manifest.dims} but config.json says hidden_size ${hiddenSize}`,
    );
  }
  const dims = manifest.dims ?? (graph.kind === 'token-embeddings' ? hiddenSize : undefined);

  const tokenizerKind = manifest.tokenizer?.kind ?? 'tokenizer.json';
  const tokenizerFile = manifest.tokenizer?.file ?? 'tokenizer.json';
  if (!(await exists(join(folder, tokenizerFile)))) {
    throw new ModelFolderError(folder, 'missing-file', 'file not found', tokenizerFile);
  }
  const tokenizerConfig = await files.read('tokenizer_config.json', false);

  const limits: number[] = [];
  if (manifest.maxTokens !== undefined) limits.push(manifest.maxTokens);
  if (sbertConfig !== undefined) {
    const v = positiveInt(folder, 'sentence_bert_config.json', sbertConfig, 'max_seq_length', false);
    if (v !== undefined) limits.push(v);
  }
  if (config !== undefined) {
    const v = positiveInt(folder, 'config.json', config, 'max_position_embeddings', false);
    if (v !== undefined) limits.push(v);
  }
  if (isObject(tokenizerConfig) && typeof tokenizerConfig.model_max_length === 'number') {
    // Tokenizer configs without a limit store a huge sentinel (1e30); ignore anything absurd.
    if (tokenizerConfig.model_max_length >= 1 && tokenizerConfig.model_max_length <= 1_000_000) {
      limits.push(Math.floor(tokenizerConfig.model_max_length));
    }
  }
  if (limits.length === 0) {
    throw invalid(
      folder,
      MANIFEST_FILE,
      'no maximum sequence length: set "maxTokens" or sentence_bert_config.json max_seq_length',
    );
  }
  const maxTokens = Math.min(...limits);

  let lowercase = manifest.lowercase ?? false;
  if (manifest.lowercase === undefined && isObject(sbertConfig) && sbertConfig.do_lower_case !== undefined) {
    if (typeof sbertConfig.do_lower_case !== 'boolean')
      throw invalid(folder, 'sentence_bert_config.json', '"do_lower_case" must be true or false');
    lowercase = sbertConfig.do_lower_case;
  }

  const known = KNOWN_MODELS.find(
    (k) => k.match.test(manifest.id ?? folder) || k.match.test(nameOrPath(config)),
  );
  const id = manifest.id ?? known?.id ?? basename(folder);
  const matryoshkaDims = [...new Set(manifest.matryoshkaDims ?? known?.matryoshkaDims ?? [])].sort(
    (a, b) => b - a,
  );
  if (dims !== undefined) {
    const tooBig = matryoshkaDims.find((d) => d > dims);
    if (tooBig !== undefined)
      throw invalid(folder, MANIFEST_FILE, `Matryoshka size ${tooBig} is larger than the vector (${dims})`);
  }

  const prompts = isObject(stConfig) && isObject(stConfig.prompts) ? stConfig.prompts : {};
  const prompt = (...keys: string[]): string => {
    for (const k of keys) if (typeof prompts[k] === 'string') return prompts[k];
    return '';
  };

  return {
    folder,
    onnxPath: join(folder, onnxRelative),
    id,
    displayName: manifest.displayName ?? known?.displayName ?? id,
    ...(await fingerprintFolder(
      folder,
      onnxRelative,
      [...files.names, tokenizerFile],
      rawManifest === undefined ? undefined : manifestForFingerprint(rawManifest),
    )),
    graph,
    dims,
    matryoshkaDims,
    maxTokens,
    lowercase,
    queryPrefix: manifest.queryPrefix ?? prompt('query'),
    passagePrefix: manifest.passagePrefix ?? prompt('passage', 'document', 'corpus'),
    license: manifest.license ?? known?.license,
    tokenizer: {
      kind: tokenizerKind,
      file: tokenizerFile,
      configFile: tokenizerConfig !== undefined ? 'tokenizer_config.json' : undefined,
    },
    ...(manifest.hybrid ? { hybridDenseWeight: manifest.hybrid.denseWeight } : {}),
  };
}

/** Reads JSON files of one folder, remembering their names for the fingerprint. */
class JsonFiles {
  readonly names: string[] = [];
  constructor(private readonly folder: string) {}

  async read(relative: string, required: true): Promise<unknown>;
  async read(relative: string, required: boolean): Promise<unknown>;
  async read(relative: string, required: boolean): Promise<unknown> {
    const path = join(this.folder, relative);
    const info = await stat(path).catch(() => undefined);
    if (!info) {
      if (required) throw new ModelFolderError(this.folder, 'missing-file', 'file not found', relative);
      return undefined;
    }
    if (!info.isFile()) throw new ModelFolderError(this.folder, 'malformed', 'not a file', relative);
    if (info.size > MAX_JSON_BYTES) {
      throw new ModelFolderError(
        this.folder,
        'malformed',
        `${info.size} bytes is too large for a JSON settings file`,
        relative,
      );
    }
    const text = await readFile(path, 'utf8');
    this.names.push(relative);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ModelFolderError(
        this.folder,
        'malformed',
        `not valid JSON (${(error as Error).message})`,
        relative,
      );
    }
  }
}

function parseManifest(folder: string, raw: unknown): Manifest {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw invalid(folder, MANIFEST_FILE, 'expected a JSON object');
  const m: Manifest = {};
  const str = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw invalid(folder, MANIFEST_FILE, `"${key}" must be a string`);
    return v;
  };
  m.id = str('id');
  m.displayName = str('displayName');
  m.queryPrefix = str('queryPrefix');
  m.passagePrefix = str('passagePrefix');
  m.license = str('license');
  m.output = str('output');
  m.dims = positiveInt(folder, MANIFEST_FILE, raw, 'dims', false);
  m.maxTokens = positiveInt(folder, MANIFEST_FILE, raw, 'maxTokens', false);
  if (raw.lowercase !== undefined) {
    if (typeof raw.lowercase !== 'boolean')
      throw invalid(folder, MANIFEST_FILE, '"lowercase" must be true or false');
    m.lowercase = raw.lowercase;
  }
  if (raw.matryoshkaDims !== undefined) {
    const v = raw.matryoshkaDims;
    if (!Array.isArray(v) || !v.every((d) => Number.isInteger(d) && d > 0)) {
      throw invalid(folder, MANIFEST_FILE, '"matryoshkaDims" must be a list of positive whole numbers');
    }
    m.matryoshkaDims = v as number[];
  }
  const pooling = str('pooling');
  if (pooling !== undefined) {
    if (!POOLING_MODES.includes(pooling as PoolingMode)) {
      throw invalid(folder, MANIFEST_FILE, `"pooling" must be one of ${POOLING_MODES.join(', ')}`);
    }
    m.pooling = pooling as PoolingMode;
  }
  if (raw.tokenizer !== undefined) {
    const t = raw.tokenizer;
    if (
      !isObject(t) ||
      (t.kind !== undefined && typeof t.kind !== 'string') ||
      (t.file !== undefined && typeof t.file !== 'string')
    ) {
      throw invalid(
        folder,
        MANIFEST_FILE,
        '"tokenizer" must be an object { "kind": string, "file": string }',
      );
    }
    m.tokenizer = { kind: t.kind as string | undefined, file: t.file as string | undefined };
  }
  if (raw.hybrid !== undefined) {
    if (!isObject(raw.hybrid))
      throw invalid(
        folder,
        MANIFEST_FILE,
        '"hybrid" must be an object { "denseWeight": number from 0 to 1 }',
      );
    const weight = raw.hybrid.denseWeight;
    if (weight === undefined)
      throw invalid(folder, MANIFEST_FILE, '"hybrid.denseWeight" is missing: give a number from 0 to 1');
    if (typeof weight !== 'number' || !(weight >= 0 && weight <= 1)) {
      throw invalid(
        folder,
        MANIFEST_FILE,
        `"hybrid.denseWeight" must be a number from 0 to 1, not ${JSON.stringify(weight)}`,
      );
    }
    m.hybrid = { denseWeight: weight };
  }
  return m;
}

const POOLING_MODES: PoolingMode[] = ['cls', 'mean', 'max', 'mean-sqrt-len', 'last-token'];
const POOLING_KEYS: [string, PoolingMode][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean-sqrt-len'],
  ['pooling_mode_lasttoken', 'last-token'],
];

function parsePooling(folder: string, file: string, raw: unknown): PoolingMode {
  if (!isObject(raw)) throw invalid(folder, file, 'expected a JSON object');
  const on = POOLING_KEYS.filter(([key]) => raw[key] === true).map(([, mode]) => mode);
  if (raw.pooling_mode_weightedmean_tokens === true) {
    throw new ModelFolderError(folder, 'unsupported', 'weighted-mean pooling is not supported', file);
  }
  if (on.length === 0)
    throw invalid(
      folder,
      file,
      'no pooling mode is switched on (pooling_mode_cls_token, pooling_mode_mean_tokens, ...)',
    );
  if (on.length > 1) {
    throw new ModelFolderError(
      folder,
      'unsupported',
      `several pooling modes at once (${on.join(', ')}) are not supported`,
      file,
    );
  }
  return on[0] as PoolingMode;
}

function positiveInt(
  folder: string,
  file: string,
  obj: unknown,
  key: string,
  required: boolean,
): number | undefined {
  if (!isObject(obj)) throw invalid(folder, file, 'expected a JSON object');
  const v = obj[key];
  if (v === undefined) {
    if (required) throw invalid(folder, file, `"${key}" is missing`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw invalid(folder, file, `"${key}" must be a positive whole number, not ${JSON.stringify(v)}`);
  return v;
}

function nameOrPath(config: unknown): string {
  return isObject(config) && typeof config._name_or_path === 'string' ? config._name_or_path : '';
}

function invalid(folder: string, file: string, detail: string): ModelFolderError {
  return new ModelFolderError(folder, 'invalid', detail, file);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Tokenizer files a folder may carry beside tokenizer.json. Our tokenizers read tokenizer.json (and
 * tokenizer_config.json), but these are small and a changed one means a changed tokenizer export, so they
 * count too when present.
 */
const TOKENIZER_FILES = [
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'spiece.model',
  'sentencepiece.bpe.model',
];

/**
 * What of the manifest the fingerprint hashes: its content less `hybrid`, which only decides how search
 * mixes the scores, so setting a model's weight does not re-embed every workspace. Written as our
 * builds write manifests (2-space JSON and a newline), so a manifest they wrote hashes as before.
 */
function manifestForFingerprint(raw: unknown): Buffer {
  const { hybrid: _searchOnly, ...vectorRelevant } = raw as Record<string, unknown>;
  return Buffer.from(`${JSON.stringify(vectorRelevant, null, 2)}\n`);
}

/**
 * The fingerprint: SHA-256 over the name, size and SHA-256 of the full content of each file that decides
 * the vectors — the JSON settings the loader read, the tokenizer files, the ONNX file and any external
 * data files it names. Every byte is hashed (a fine-tuned model can differ only in the middle of its
 * weights); at ~1.5 GB/s that is ~0.3 s for a 440 MB BERT-base, read in 4 MB slices that yield to the event
 * loop, and a file unchanged since (same inode, size, mtime and ctime) is not hashed twice in a process.
 * scripts/bench/model-fingerprint.ts prints the cost.
 */
async function fingerprintFolder(
  folder: string,
  onnxRelative: string,
  settingsFiles: readonly string[],
  /** Hashed instead of the manifest file's bytes. */
  manifest: Buffer | undefined,
): Promise<{ fingerprint: string; onnxBytes: number }> {
  const onnx = await hashFile(join(folder, onnxRelative), true);
  const names = new Set([...settingsFiles, onnxRelative]);
  for (const name of TOKENIZER_FILES) if (await exists(join(folder, name))) names.add(name);
  const onnxFolder = dirname(join(folder, onnxRelative));
  for (const location of onnx.externalData) {
    const path = resolve(onnxFolder, location);
    const inside = relative(folder, path);
    // Only files inside the folder: onnxruntime resolves the locations against the model's folder.
    if (!inside || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) continue;
    if (await exists(path)) names.add(inside.split(sep).join('/'));
  }
  const hash = createHash('sha256');
  for (const name of [...names].sort()) {
    const file =
      name === onnxRelative
        ? onnx
        : name === MANIFEST_FILE && manifest
          ? { size: manifest.length, sha256: createHash('sha256').update(manifest).digest('hex') }
          : await hashFile(join(folder, name), false);
    hash.update(`${name}\0${file.size}\0${file.sha256}\n`);
  }
  return { fingerprint: hash.digest('hex').slice(0, 12), onnxBytes: onnx.size };
}

interface FileHash {
  size: number;
  sha256: string;
  /** For an ONNX file: the external data locations it names. */
  externalData: string[];
}

/** Hashes of files in this process, by identity and change times: a file is hashed once until it changes. */
const hashCache = new Map<string, FileHash>();

/**
 * In an ONNX (protobuf) file an external tensor's location is a StringStringEntryProto { key: "location",
 * value: <file> }: bytes 0x0A 0x08 "location" 0x12, then the value's length and bytes.
 */
const LOCATION_ENTRY = Buffer.from('\x0a\x08location\x12', 'latin1');
/** Read size: large enough that the per-read cost vanishes, small enough to yield often (~3 ms each). */
const CHUNK_BYTES = 4 << 20;
/** An entry's bytes at most (a location of up to 4096 bytes and its framing). */
const ENTRY_MAX_BYTES = 4200;

async function hashFile(path: string, onnx: boolean): Promise<FileHash> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    const key = `${onnx}:${path}:${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
    const cached = hashCache.get(key);
    if (cached) return cached;
    const hash = createHash('sha256');
    const externalData = new Set<string>();
    const chunk = Buffer.alloc(CHUNK_BYTES);
    // The end of the previous chunk, so an entry split across two reads is still found.
    let carry = Buffer.alloc(0);
    for (let position = 0; ;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const bytes = chunk.subarray(0, bytesRead);
      hash.update(bytes);
      if (onnx) {
        const boundary = Buffer.concat([carry, bytes.subarray(0, ENTRY_MAX_BYTES)]);
        for (const location of [...externalLocations(boundary), ...externalLocations(bytes)])
          externalData.add(location);
        carry = Buffer.from(bytes.subarray(Math.max(0, bytes.length - ENTRY_MAX_BYTES)));
      }
    }
    const result = { size: info.size, sha256: hash.digest('hex'), externalData: [...externalData] };
    hashCache.set(key, result);
    return result;
  } finally {
    await handle.close();
  }
}

function externalLocations(bytes: Buffer): string[] {
  const found: string[] = [];
  for (let at = bytes.indexOf(LOCATION_ENTRY); at >= 0; at = bytes.indexOf(LOCATION_ENTRY, at + 1)) {
    let offset = at + LOCATION_ENTRY.length;
    // A varint length; file names are short, so one or two bytes.
    let length = bytes[offset++] ?? 0;
    if (length & 0x80) length = (length & 0x7f) | ((bytes[offset++] ?? 0) << 7);
    if (length === 0 || length > 4096 || offset + length > bytes.length) continue;
    const name = bytes.toString('utf8', offset, offset + length);
    if (!name.includes('\0') && !name.includes('\ufffd')) found.push(name);
  }
  return found;
}
