import { redactUrl } from '../registry/http/redact';

/*
 * What reaches a terminal. Messages quote names from inputs — archive members, RepoTags, manifest fields, file
 * names — and a name holding ESC sequences would drive the terminal (rewrite the screen, set the title, hide
 * text), one holding a newline would forge a line such as `kimg: error: …`. The output points (exit.ts,
 * output.ts, progress.ts, the --debug log) pass every string through here, so no message needs to be careful on
 * its own. Control characters are shown as escapes (`\x1b`, `\n`, `\r`, `\t`), as `ls --quoting-style=escape`
 * and git do; DEL and C1 controls as `\u007f`…`\u009f`, which JSON reads as the same character, so JSON text
 * (whose C0 controls JSON.stringify already escaped) stays valid. Printable UTF-8 stays as it is.
 */

// C0 controls, DEL, and C1 controls (U+0080–U+009F: U+009B is a one-character CSI for terminals that honour C1).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- the same, newline and tab allowed
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(char: string): string {
  const code = char.charCodeAt(0);
  const hex = code.toString(16).padStart(2, '0');
  return NAMED[char] ?? (code < 0x20 ? `\\x${hex}` : `\\u00${hex}`);
}

/** One line for a terminal (an error, a hint, a warning, a note): every control character escaped. */
export function terminalLine(text: string): string {
  return text.replace(CONTROL, escapeControl);
}

/**
 * Text of several lines that kimg laid out itself (tables, build diagnostics, JSON): its newlines and tabs are
 * kept, every other control character escaped. A name with a newline is still escaped where it is quoted on a line
 * of its own (terminalLine); here it could only break the layout, not drive the terminal.
 */
export function terminalLines(text: string): string {
  return text.replace(CONTROL_BUT_LAYOUT, escapeControl);
}

// A URL in a message: scheme://… up to whitespace or a quote, without the punctuation that ends the sentence
// around it ("… leads back to http://host/x?n=1000, a page …": the comma is prose, not the query's).
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*):\/\/[^\s"'<>`]*[^\s"'<>`,.;:!?)\]]/gi;

/**
 * Messages on stderr go through the registry client's redactor (registry/http/redact.ts) wherever they quote a
 * URL: the registry code builds its messages from redacted URLs already; this is the net under every other
 * message (a URL the user typed with `user:password@`, a redirect echoed by a peer). http(s) URLs with userinfo,
 * a query or a fragment are redacted; any other scheme (`docker://user:pw@host/…`) loses its userinfo. URLs with
 * nothing to hide are left exactly as written.
 */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url: string, scheme: string) => {
    if (/^https?$/i.test(scheme)) return /[@?#]/.test(url) ? redactUrl(url) : url;
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  });
}

/** What every stderr line goes through: URLs redacted, then control characters escaped. */
export function stderrLine(text: string): string {
  return terminalLine(redactUrlsIn(text));
}
