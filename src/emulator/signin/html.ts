/**
 * HTML for the sign-in pages: an escaping template tag (every interpolated value is escaped unless it
 * is itself the output of the tag) and the one page layout, with its CSS inline so nothing loads from
 * elsewhere.
 */

/** Markup already escaped by `html`; the only value `html` interpolates as-is. */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for both element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Interpolation = SafeHtml | string | number | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === undefined) return "";
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join("");
  return escapeHtml(String(value));
}

/** `html\`<p>${userText}</p>\``: query parameters and user input can never become markup. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  return new SafeHtml(strings.reduce((out, part, i) => out + part + (i < values.length ? render(values[i]) : ""), ""));
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;background:#f3f4f6;color:#111827;margin:0}
main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin-top:0}
label{display:block;font-weight:600;margin-top:1rem}
input[type=text]{box-sizing:border-box;width:100%;padding:.5rem;margin-top:.25rem;font:inherit;border:1px solid #9ca3af;border-radius:4px}
.buttons{display:flex;gap:.75rem;margin-top:1.5rem}
button{font:inherit;padding:.5rem 1.25rem;border-radius:4px;border:1px solid #1d4ed8;cursor:pointer}
button[value=allow]{background:#1d4ed8;color:#fff}
button[value=deny]{background:#fff;color:#1d4ed8}
.error{background:#fef2f2;border:1px solid #fca5a5;color:#991b1b;padding:.75rem;border-radius:4px}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;font-size:.9rem}
dt{color:#6b7280}dd{margin:0;word-break:break-all}
footer{margin-top:2rem;font-size:.8rem;color:#6b7280}
`;

/** The whole document around a page's main content. */
export function layout(title: string, content: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · SSO OIDC emulator</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<main>
<h1>${title}</h1>
${content}
<footer>AWS SSO OIDC emulator: a local stand-in for IAM Identity Center sign-in. Any user name is accepted.</footer>
</main>
</body>
</html>
`.markup;
}

/** A red notice above a form, or nothing. */
export function errorNotice(message: string | undefined): SafeHtml {
  return message === undefined ? html`` : html`<p class="error" role="alert">${message}</p>`;
}
