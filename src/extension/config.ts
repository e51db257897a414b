/**
 * The typed reader of the `patentPassages.*` settings. Values are validated and clamped here, so the rest
 * of the extension never sees a malformed setting. Declared in package.json `contributes.configuration`.
 */
import * as vscode from 'vscode';
import type { ScopeName, SearchModeName } from '../shared/protocol';
import { SCOPES, SEARCH_MODES } from '../shared/protocol';

export const SECTION = 'patentPassages';

export type DependentClaimContext = 'none' | 'parent' | 'chain';
export type LogLevelName = 'error' | 'warn' | 'info' | 'debug';
export type IndexOnStartup = 'auto' | 'always' | 'never';

export interface PatentPassagesConfig {
  /** The model folder as the user wrote it ('' = the bundled model). Empty in Restricted Mode if set by the workspace. */
  model: string;
  mode: SearchModeName;
  topK: number;
  minScore: number;
  include: string[];
  exclude: string[];
  specification: string[];
  scope: ScopeName;
  dependentClaimContext: DependentClaimContext;
  hoverEnabled: boolean;
  codeLensEnabled: boolean;
  followCursor: boolean;
  elementMatching: boolean;
  /** Pseudo-relevance feedback in the lexical and hybrid modes (`search.feedback`). */
  feedback: boolean;
  /** Document evidence in the lexical and hybrid modes (`search.documentEvidence`). */
  documentEvidence: boolean;
  indexOnStartup: IndexOnStartup;
  logLevel: LogLevelName;
}

export const DEFAULTS: PatentPassagesConfig = {
  model: '',
  mode: 'hybrid',
  topK: 10,
  minScore: 0,
  include: ['**/*.{xml,sgm,sgml,md,markdown,txt,text,greenbook,docx,pdf}'],
  exclude: ['**/node_modules/**', '**/.git/**', '**/.vscode/**', '**/out/**'],
  specification: [],
  scope: 'all',
  dependentClaimContext: 'none',
  hoverEnabled: true,
  codeLensEnabled: false,
  followCursor: true,
  elementMatching: false,
  // Off, as in the core: beside document evidence it did not survive cross-validation (docs/search.md).
  feedback: false,
  documentEvidence: true,
  indexOnStartup: 'auto',
  logLevel: 'info',
};

/** The part of `WorkspaceConfiguration` the reader needs (so tests can hand it a plain object). */
export interface ConfigurationSource {
  get<T>(key: string): T | undefined;
  inspect<T>(
    key: string,
  ): { workspaceValue?: T; workspaceFolderValue?: T; globalValue?: T; defaultValue?: T } | undefined;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function integer(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.min(max, Math.max(min, Math.round(value)))
    : fallback;
}

function fraction(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : fallback;
}

function globs(value: unknown, fallback: string[]): string[] {
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '')
    : fallback;
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/**
 * Reads and validates the settings. With `trusted` false (Restricted Mode) a model folder set in the
 * workspace or folder settings is ignored: only the user's own setting (or the bundled model) is used.
 * VS Code already hides such values through `restrictedConfigurations`; this is the second lock.
 */
export function readConfig(source: ConfigurationSource, trusted: boolean): PatentPassagesConfig {
  let model = source.get<string>('model');
  if (!trusted) {
    const inspected = source.inspect<string>('model');
    model = inspected?.globalValue ?? '';
  }
  return {
    model: typeof model === 'string' ? model.trim() : '',
    mode: oneOf(source.get('mode'), SEARCH_MODES, DEFAULTS.mode),
    topK: integer(source.get('topK'), 1, 200, DEFAULTS.topK),
    minScore: fraction(source.get('minScore'), DEFAULTS.minScore),
    include: globs(source.get('include'), DEFAULTS.include),
    exclude: globs(source.get('exclude'), DEFAULTS.exclude),
    specification: globs(source.get('specification'), DEFAULTS.specification),
    scope: oneOf(source.get('scope'), SCOPES, DEFAULTS.scope),
    dependentClaimContext: oneOf(
      source.get('dependentClaimContext'),
      ['none', 'parent', 'chain'] as const,
      DEFAULTS.dependentClaimContext,
    ),
    hoverEnabled: bool(source.get('hover.enabled'), DEFAULTS.hoverEnabled),
    codeLensEnabled: bool(source.get('codeLens.enabled'), DEFAULTS.codeLensEnabled),
    followCursor: bool(source.get('sidebar.followCursor'), DEFAULTS.followCursor),
    elementMatching: bool(source.get('elementMatching'), DEFAULTS.elementMatching),
    feedback: bool(source.get('search.feedback'), DEFAULTS.feedback),
    documentEvidence: bool(source.get('search.documentEvidence'), DEFAULTS.documentEvidence),
    indexOnStartup: oneOf(
      source.get('indexOnStartup'),
      ['auto', 'always', 'never'] as const,
      DEFAULTS.indexOnStartup,
    ),
    logLevel: oneOf(source.get('logLevel'), ['error', 'warn', 'info', 'debug'] as const, DEFAULTS.logLevel),
  };
}

/** Reads the current settings from VS Code. */
export function currentConfig(scope?: vscode.ConfigurationScope): PatentPassagesConfig {
  return readConfig(vscode.workspace.getConfiguration(SECTION, scope), vscode.workspace.isTrusted);
}

/**
 * Writes a setting changed from the sidebar where it is currently defined: the workspace if it sets it,
 * else the user settings (no .vscode folder is created in a client's matter).
 */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const section = vscode.workspace.getConfiguration(SECTION);
  const inspected = section.inspect(key);
  const target =
    inspected?.workspaceValue !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await section.update(key, value, target);
}
