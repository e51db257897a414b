/**
 * Text prepared for matching: reference numerals ("the sink device 3200") and bracketed reference signs
 * ("storage box (10)", "gratings (107, 108; U, L)") removed, real numbers kept ("claim 1", "10 to 20 mm",
 * "200 °C", "at least 2 layers", "formula (I)", dates and patent numbers).
 *
 * It is a heuristic over words, not a parser: a bare number is a reference numeral when it follows a
 * content word (not a preposition, article, verb of inclusion or a word like "claim", "FIG.", "formula")
 * and no unit follows it. Each rule is one regex pass without nested quantifiers, so it stays linear.
 */

/** Words after which a number is a quantity, a label or a citation, never a reference numeral. */
const KEEP_AFTER = new Set(
  (
    'claim claims fig figs figure figures drawing drawings formula formulae formulas equation equations eq eqs ' +
    'table tables example examples embodiment embodiments no nos number numbers type types version class classes ' +
    'grade level group series generation phase section sections chapter paragraph paragraphs page pages line lines ' +
    'col column columns sheet sheets art article rule seq id sec item items ref reference chem ' +
    'about approximately approx ca circa around nearly almost roughly substantially than least most of to from ' +
    'between at by with within without in on for into onto is are was were be been being each and or nor the a an ' +
    'every all only up over under below above per times exceeding exceeds exceed less more greater smaller larger ' +
    'higher lower equal equals plus minus some any since until after before last next total first second third ' +
    'comprises comprising comprise includes including include having has have contains containing contain ' +
    'consisting consists wherein whereby where when which that these those said same other another ' +
    'ph ratio range ranges ranging value values amount amounts count rate dose doses factor factors ' +
    'us ep wo jp de gb fr cn kr ser pat patent patents application applications publication serial ' +
    'jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august ' +
    'september october november december vol pp see cf ' +
    // Nouns numbered as identifiers in the life sciences and elsewhere: "chromosome 21", "exon 4", "day 3".
    'chromosome chromosomes trisomy monosomy exon exons intron introns codon codons residue residues position ' +
    'positions lane lanes passage patient patients sample samples subject subjects donor generation model release ' +
    'stage stages cycle round experiment experiments run trial trials scheme route peptide protein gene isoform ' +
    'serotype genotype strain clone aspect option'
  ).split(' '),
);

/** Words before a bracketed number that make it a label or citation: "formula (I)", "claim (2)", "et al. (1998)". */
const LABEL_BEFORE = new Set(
  'claim claims fig figs figure figures formula formulae formulas equation equations eq eqs table tables example examples compound compounds structure structures scheme schemes reaction expression expressions al no nos seq id sec section'.split(
    ' ',
  ),
);

/** Units after which a number is a measurement. Single letters count only when the word ends there. */
const UNITS = new Set(
  (
    'mm cm m µm μm um nm km mg g kg µg μg ug ml l µl μl ul mol mmol µmol wt vol ppm ppb % ‰ hz khz mhz ghz thz ' +
    'v mv kv µv w kw mw µw ma ka ω ohm ohms kω mω s ms µs μs ns ps min mins h hr hrs hour hours second seconds ' +
    'minute minutes day days week weeks month months year years °c °f ° °k c f k degree degrees deg bar mbar pa ' +
    'kpa mpa gpa psi atm torr rpm n kn j kj mj cal kcal db dbm dbi bit bits byte bytes kb mb gb tb kbit mbit ' +
    'bp kb kda da percent part parts fold times x × cycle cycles inch inches ft feet foot lb lbs oz mesh gauge ' +
    'mil mils nmol pmol mm2 mm3 cm2 cm3 m2 m3 l/min µm2 lux lm cd t gy sv bq iu u'
  ).split(' '),
);

/** One token of a bracketed reference-sign list: "10", "12a", "127-1", "20'", "U". */
const SIGN_TOKEN = /^(?:\d{1,5}[A-Za-z]?['′’]{0,3}(?:[-–.]\d{1,3}[A-Za-z]?)?|[A-Z]{1,2}\d{0,3}['′’]{0,2})$/;
const HAS_DIGIT = /\d/;
const BRACKETED = /\s?\(([^()]{1,80})\)/g;
/** A stand-alone whole number, maybe with a letter suffix or primes: "10", "3200", "12a", "20'". */
const BARE_NUMERAL =
  /(?<![\p{L}\p{N}.,'′’\-/:#§$€£+])\d{1,5}[a-z]?['′’]{0,3}(?![\p{L}\p{N}'′’%‰°\-/:×]|[.,][\p{L}\p{N}])/gu;
const WORD_AFTER = /^\s*([^\s,;:.()]{1,8})/u;
const CHAIN_GAP = /^(?:\s*(?:,|;|and\/or|and|or|to|-|–)\s*|\s+)$/;

const LETTER_OR_MARK = /[\p{L}\p{M}]/u;
const LETTER = /\p{L}/u;

/** The word just before `index` (only spaces between), and whether a full stop ends it ("Vol. 5", "follows. 1"). */
function wordBefore(text: string, index: number): { word: string; stop: boolean } | undefined {
  // A backward scan of at most ~40 characters: a regex anchored at the end would retry every start.
  const limit = Math.max(0, index - 40);
  let end = index;
  while (end > limit && /\s/.test(text[end - 1]!)) end--;
  if (end === index) return undefined;
  const stop = text[end - 1] === '.';
  if (stop) end--;
  let start = end;
  while (start > limit && LETTER_OR_MARK.test(text[start - 1]!)) start--;
  while (start < end && !LETTER.test(text[start]!)) start++;
  return start < end ? { word: text.slice(start, end), stop } : undefined;
}

/** "Chromosome 4", "Blood 69", "Press 1986": after a capitalised word a number is a name's or a citation's. */
function isTitleCase(word: string): boolean {
  return /^\p{Lu}\p{Ll}/u.test(word);
}

function isUnit(word: string | undefined): boolean {
  return word !== undefined && UNITS.has(word.toLowerCase());
}

function stripBracketedSigns(text: string): string {
  return text.replace(BRACKETED, (whole: string, inner: string, offset: number) => {
    const tokens = inner.split(/\s*(?:[,;/]|\band\b|\bor\b|\s)\s*/).filter((t) => t.length > 0);
    if (tokens.length === 0 || !tokens.some((t) => HAS_DIGIT.test(t))) return whole;
    if (!tokens.every((t) => SIGN_TOKEN.test(t))) return whole;
    // Glued to a word ("t(9;22)", "f(x1)", "box(10)"), a bracket is notation more often than a sign.
    if (!whole.startsWith(' ') && /[\p{L}\p{N}]/u.test(text[offset - 1] ?? '')) return whole;
    const at = offset + (whole.startsWith(' ') ? 1 : 0);
    const before = wordBefore(text, at)?.word.toLowerCase();
    // "formula (1)", "claim (2)", "Smith et al. (1998)": a label or a citation, not a reference sign.
    if (before !== undefined && LABEL_BEFORE.has(before)) return whole;
    // "Blood 73 (8):697": a journal issue after its volume.
    if (/\d\s*$/.test(text.slice(Math.max(0, at - 3), at)) || text[offset + whole.length] === ':')
      return whole;
    if (tokens.length === 1 && /^(?:19|20)\d\d$/.test(tokens[0] ?? '')) return whole; // a year
    return '';
  });
}

function stripBareNumerals(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let lastStrippedEnd = -1;
  for (const m of text.matchAll(BARE_NUMERAL)) {
    const start = m.index;
    const end = start + m[0].length;
    if (isUnit(WORD_AFTER.exec(text.slice(end, end + 12))?.[1])) continue;
    // A numeral right after a stripped one ("gears 14, 16 and 18") goes with it, separators included.
    if (
      lastStrippedEnd >= 0 &&
      start - lastStrippedEnd <= 12 &&
      CHAIN_GAP.test(text.slice(lastStrippedEnd, start))
    ) {
      out += text.slice(copiedUpTo, lastStrippedEnd);
      copiedUpTo = end;
      lastStrippedEnd = end;
      continue;
    }
    const before = wordBefore(text, start);
    if (before === undefined || before.stop || isTitleCase(before.word)) continue;
    if (KEEP_AFTER.has(before.word.toLowerCase())) continue;
    // Remove the space between the word and the numeral too.
    let cut = start;
    while (cut > copiedUpTo && /\s/.test(text[cut - 1] ?? '')) cut--;
    out += text.slice(copiedUpTo, cut);
    copiedUpTo = end;
    lastStrippedEnd = end;
  }
  return out + text.slice(copiedUpTo);
}

/** The text with reference numerals and bracketed reference signs removed, whitespace tidied. */
export function stripReferenceSigns(text: string): string {
  const stripped = stripBareNumerals(stripBracketedSigns(text));
  return stripped
    .replace(/\s+([,;:.)])/g, '$1')
    .replace(/\(\s*\)/g, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}
