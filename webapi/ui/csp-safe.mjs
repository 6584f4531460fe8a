// An esbuild plugin that keeps the bundle working under the pages' Content-Security-Policy
// (style-src 'self', no inline style): a few vendor modules parse HTML with style="..." attributes,
// which the browser refuses (and reports as console errors). They are rewritten at build time:
// - bpmn-js-properties-panel's two container <div>s lose their style; designer.css gives the same rules
//   to their classes (.bio-properties-panel-container, .bio-properties-panel-header-container);
// - bpmn-js's align/distribute icons (SVG markup) get presentation attributes instead of style.
import { readFile } from "node:fs/promises";

const PANEL = /bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/;
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
    build.onLoad({ filter: ICONS }, async (args) => {
      const source = await readFile(args.path, "utf8");
      return { contents: styleToAttributes(source), loader: "js" };
    });
  },
};
