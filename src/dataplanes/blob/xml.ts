/**
 * The XML Blob storage speaks: list results, block lists, errors. Written by hand (the shapes are
 * small and fixed) from the Blob service REST reference; the one document clients send, a
 * `BlockList`, is read with a strict scanner that refuses anything else.
 */
import { BlobError } from '../../core/blob/errors.js';
import type { BlockListEntry } from '../../core/blob/blob-service.js';

export function escapeXml(value: string): string {
  return (
    value
      .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
      // Characters XML 1.0 cannot carry at all.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
  );
}

/** `<Name>value</Name>`, or `<Name />` for empty/absent values. */
export function el(name: string, value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined || value === '' ? `<${name} />` : `<${name}>${escapeXml(String(value))}</${name}>`;
}

export const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>';

/** Azure's error body: code, message with request id and time, and an optional detail element. */
export function errorXml(code: string, message: string, detail?: { name: string; value: string }): string {
  return `${XML_HEAD}<Error>${el('Code', code)}${el('Message', message)}${detail ? el(detail.name, detail.value) : ''}</Error>`;
}

/** Reads `<BlockList><Latest|Committed|Uncommitted>id</…>…</BlockList>` (Put Block List). */
export function parseBlockList(body: string): BlockListEntry[] {
  let text = body
    .replace(/^\uFEFF/, '')
    .trim()
    .replace(/^<\?xml[^?]*\?>/, '')
    .trim();
  const open = /^<BlockList\s*>/.exec(text);
  if (!open || !text.endsWith('</BlockList>')) throw new BlobError('InvalidXmlDocument', 'The body must be a <BlockList> document.');
  text = text.slice(open[0].length, -'</BlockList>'.length);
  const entries: BlockListEntry[] = [];
  const item = /\s*<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>\s*/y;
  let at = 0;
  while (at < text.length) {
    item.lastIndex = at;
    const m = item.exec(text);
    if (!m) throw new BlobError('InvalidXmlDocument', 'A <BlockList> holds only <Latest>, <Committed> and <Uncommitted> elements with block ids.');
    entries.push({ kind: m[1] as BlockListEntry['kind'], id: m[2]!.trim() });
    at = item.lastIndex;
  }
  return entries;
}

/** RFC 1123 dates, as Blob storage writes them in headers and listings. */
export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}
