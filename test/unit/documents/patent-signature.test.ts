/**
 * `looksLikePatentDocument` decides whether a workspace gets indexed on its own: true for every real patent
 * document and draft we have, false for the ordinary files of a code project.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { looksLikePatentDocument } from '../../../src/core/documents/index';

const DATA = join(__dirname, '../../../../shared/data');
const ROOT = join(__dirname, '../../..');
const encode = (text: string) => new TextEncoder().encode(text);

test('every shared USPTO (2005+, 2001–2004, Green Book) and EPO document and our drafts look like patent documents', () => {
  const files = [
    ...['uspto', 'uspto-2001', 'uspto-greenbook', 'ep'].flatMap((folder) =>
      readdirSync(join(DATA, folder)).map((name) => join(DATA, folder, name)),
    ),
    join(ROOT, 'test/fixtures/workspace/draft-ecg-patch.md'),
    join(ROOT, 'test/fixtures/documents/US20050004437A1.md'),
    join(ROOT, 'test/fixtures/documents/US20050004437A1.txt'),
  ];
  assert.equal(files.length, 15);
  for (const file of files) assert.ok(looksLikePatentDocument(readFileSync(file), file), file);
});

test('a draft without paragraph numbers is recognised by its claims heading and first claim', () => {
  const draft = 'Title\n\nSome description.\n\nWhat is claimed is:\n\n1. A valve comprising a seat.\n';
  assert.ok(looksLikePatentDocument(encode(draft), 'draft.txt'));
  assert.ok(
    looksLikePatentDocument(encode('# Widget\n\n## Claims\n\n1. An apparatus, comprising:\n'), 'w.md'),
  );
});

test('the ordinary files of a code project do not', () => {
  const files = ['README.md', 'docs/search.md', 'docs/embedding.md', 'LICENSE', 'package.json'];
  for (const name of files)
    assert.equal(looksLikePatentDocument(readFileSync(join(ROOT, name)), name), false, name);
  const pom = '<?xml version="1.0"?>\n<project><modelVersion>4.0.0</modelVersion></project>\n';
  assert.equal(looksLikePatentDocument(encode(pom), 'pom.xml'), false);
  const changelog = '# Changelog\n\n## Claims\n\nNothing here yet.\n';
  assert.equal(looksLikePatentDocument(encode(changelog), 'CHANGELOG.md'), false);
});
