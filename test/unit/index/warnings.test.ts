import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { PassageIndex } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { HashingEmbedder, parse, RecordingLogger, SHARED_DATA, temporaryFolder } from './helpers';

test('a document read with repairs is indexed and its warning, naming file and line, is logged once', async () => {
  const dir = await temporaryFolder('pp-warnings-');
  const clean = await readFile(join(SHARED_DATA, 'uspto/US08930553.xml'), 'utf8');
  // A bare "&" inside the first description paragraph: the kind of damage downloaded files carry.
  const at = clean.indexOf('<p id="p-0002"');
  assert.ok(at > 0);
  const textStart = clean.indexOf('>', at) + 1;
  const damaged = `${clean.slice(0, textStart)}R&D ${clean.slice(textStart)}`;
  const line = damaged.slice(0, textStart).split('\n').length;
  const file = join(dir, 'US08930553-damaged.xml');
  await writeFile(file, damaged);

  const logger = new RecordingLogger();
  const index = new PassageIndex({
    source: new DirectorySource(dir),
    embedder: new HashingEmbedder(),
    parse,
    logger,
  });
  try {
    await index.update('full');
    const warnings = logger.lines.filter((l) => l.level === 'warn' && /repaired damaged XML/.test(l.message));
    assert.equal(warnings.length, 1, JSON.stringify(logger.lines));
    assert.match(warnings[0]?.message ?? '', new RegExp(`US08930553-damaged\\.xml.*line ${line}\\b`));
    const hits = await index.search({ text: 'R&D', mode: 'lexical', topK: 1 });
    assert.equal(hits.results[0]?.uri, file);

    // An update that reads nothing new repeats nothing.
    await writeFile(file, damaged); // same content, new mtime: read again
    await index.update('full');
    assert.equal(logger.count('warn', /repaired damaged XML/), 1);
  } finally {
    await index.dispose();
  }
});
