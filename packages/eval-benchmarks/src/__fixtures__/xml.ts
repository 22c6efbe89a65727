// A strict little XML reader for tests: enough of XML 1.0 to prove an SVG is well-formed
// (balanced tags, quoted and unique attributes, valid entities, one root) and to query its marks.

export interface XmlElement {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITY = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;

function decode(raw: string, where: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '<') throw new Error(`raw "<" in ${where}`);
    if (c !== '&') {
      out += c;
      continue;
    }
    const m = ENTITY.exec(raw.slice(i));
    if (m === null) throw new Error(`bad entity in ${where}: ${raw.slice(i, i + 10)}`);
    const name = m[1] as string;
    out += name === 'amp' ? '&' : name === 'lt' ? '<' : name === 'gt' ? '>' : name === 'quot' ? '"' : name === 'apos' ? "'" : String.fromCodePoint(name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
    i += m[0].length - 1;
  }
  return out;
}

/** Parses `xml`, throwing on any well-formedness error; returns the root element. */
export function parseXml(xml: string): XmlElement {
  let pos = 0;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    pos = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    const text = xml.slice(pos, lt < 0 ? xml.length : lt);
    if (stack.length === 0) {
      if (text.trim() !== '') throw new Error(`text outside the root: ${text.slice(0, 20)}`);
    } else {
      (stack.at(-1) as XmlElement).text += decode(text, `text of <${(stack.at(-1) as XmlElement).name}>`);
    }
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end < 0) throw new Error('unterminated comment');
      pos = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = xml.slice(lt + 1, gt);
    pos = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const nameMatch = /^([A-Za-z_][\w:.-]*)/.exec(body);
    if (nameMatch === null) throw new Error(`bad tag <${tag}>`);
    const name = nameMatch[1] as string;
    const attrs: Record<string, string> = {};
    let rest = body.slice(name.length);
    const attr = /^\s+([A-Za-z_][\w:.-]*)="([^"]*)"/;
    for (;;) {
      const m = attr.exec(rest);
      if (m === null) break;
      const key = m[1] as string;
      if (key in attrs) throw new Error(`duplicate attribute ${key} on <${name}>`);
      attrs[key] = decode(m[2] as string, `attribute ${key} of <${name}>`);
      rest = rest.slice(m[0].length);
    }
    if (rest.trim() !== '') throw new Error(`unparsable attributes on <${name}>: ${rest.slice(0, 30)}`);
    const element: XmlElement = { name, attrs, children: [], text: '' };
    if (stack.length === 0) {
      if (root !== undefined) throw new Error('more than one root element');
      root = element;
    } else {
      (stack.at(-1) as XmlElement).children.push(element);
    }
    if (!selfClosing) stack.push(element);
  }
  if (stack.length > 0) throw new Error(`unclosed <${(stack.at(-1) as XmlElement).name}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Every element below `root` (depth first) matching `name` and, optionally, a class. */
export function findAll(root: XmlElement, name: string, className?: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (e.name === name && (className === undefined || (e.attrs['class'] ?? '').split(/\s+/).includes(className))) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}
