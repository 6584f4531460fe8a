// An esbuild plugin that keeps the bundle working under the pages' Content-Security-Policy
// (style-src 'self', no inline style): a few vendor modules parse HTML with style="..." attributes,
// which the browser refuses (and reports as console errors). They are rewritten at build time:
// - bpmn-js-properties-panel's two container <div>s lose their style; designer.css gives the same rules
//   to their classes (.bio-properties-panel-container, .bio-properties-panel-header-container);
// - bpmn-js's align/distribute icons (SVG markup) get presentation attributes instead of style;
// - dmn-js's bpmn.io logo and its lightbox (dmn-js-shared PoweredByUtil) and the decision table's drag
//   image lose their style attributes; designer.css gives their classes the same rules;
// - style-mod (CodeMirror 6, dmn-js's FEEL cell editor) would add a <style> element to the document
//   (refused by style-src 'self' without a nonce); it uses a constructable stylesheet
//   (document.adoptedStyleSheets, CSSOM, allowed by the CSP) as it already does in shadow roots.
import { readFile } from "node:fs/promises";

const PANEL = /bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/;
const POWERED_BY = /dmn-js-shared[\\/]lib[\\/]util[\\/]PoweredByUtil\.js$/;
const DRAG_IMAGE = /dmn-js-decision-table[\\/]lib[\\/]features[\\/]drag-and-drop[\\/]DragAndDrop\.js$/;
const STYLE_MOD = /style-mod[\\/]src[\\/]style-mod\.js$/;
const ICONS = /bpmn-js[\\/]lib[\\/]features[\\/](align|distribute)-elements[\\/]\w+Icons\.js$/;

function styleToAttributes(source) {
  return source.replace(/ style="([^"]*)"/g, (_match, declarations) =>
    declarations
      .split(";")
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, value] = d.split(":").map((part) => part.trim());
        return ` ${name}="${value}"`;
      })
      .join(""),
  );
}

// Rewrites ``source`` with each [from, to] pair, failing the build when one no longer matches (the
// package changed: look again) or a style attribute is left.
async function patch(path, replacements, { noStyleLeft = true } = {}) {
  let source = await readFile(path, "utf8");
  for (const [from, to] of replacements) {
    const next = source.replace(from, to);
    if (next === source) throw new Error(`csp-safe: ${path} no longer has ${from}`);
    source = next;
  }
  if (noStyleLeft && source.includes('style="')) throw new Error(`csp-safe: ${path} has inline styles left`);
  return { contents: source, loader: "js" };
}

export const cspSafe = {
  name: "csp-safe",
  setup(build) {
    build.onLoad({ filter: PANEL }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const patched = source
        .replace('<div style="height: 100%" tabindex="-1"', '<div tabindex="-1"')
        .replace('<div style="flex: none; height: auto" class=', "<div class=");
      if (patched.includes('style="')) throw new Error(`csp-safe: ${args.path} has inline styles left`);
      return { contents: patched, loader: "js" };
    });
    build.onLoad({ filter: POWERED_BY }, (args) =>
      patch(args.path, [
        [/ style="' \+ [A-Z_]+ \+ '"/g, ""], // the lightbox's <div>s
        [/ style="margin: [^"']*' \+ '"/, ""], // the lightbox's link
        [/'style="position: absolute;[^"]*">'/, "'>'"], // the logo's link
        [/ style="vertical-align:middle"/, ""], // the logo
      ]));
    build.onLoad({ filter: DRAG_IMAGE }, (args) =>
      patch(args.path, [[/<span style="[^"]*"><\/span>/, '<span class="dmn-drag-image"></span>']]));
    build.onLoad({ filter: STYLE_MOD }, (args) =>
      patch(args.path, [["if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet)",
                         "if (root.adoptedStyleSheets && win.CSSStyleSheet)"]], { noStyleLeft: false }));
    build.onLoad({ filter: ICONS }, async (args) => {
      const source = await readFile(args.path, "utf8");
      return { contents: styleToAttributes(source), loader: "js" };
    });
  },
};
