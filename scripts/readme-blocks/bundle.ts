// Bundles one README block to a CommonJS file that node runs as is: `@carl/*` comes from the packages' sources
// (no build needed), every other package stays a require() resolved from the repository's node_modules.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

/** Bundles `entry` to `outfile` (CommonJS, node) and returns `outfile`; a syntax error or top-level await throws. */
export async function bundleBlock(entry: string, outfile: string, root: string): Promise<string> {
  const sources = (name: string): string | undefined => {
    const match = /^@carl\/([a-z-]+)(\/testing)?$/.exec(name);
    if (match === null) return undefined;
    const pkg = path.join(root, 'packages', match[1] as string, 'src');
    return match[2] === undefined ? path.join(pkg, 'index.ts') : path.join(pkg, 'testing', 'index.ts');
  };
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
    plugins: [
      {
        name: 'carl-sources',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            // The optional native addon locates its .node file from its own folder: keep it a real package.
            if (args.path === '@carl/native-kernels') return { external: true };
            const file = sources(args.path);
            if (file !== undefined && fs.existsSync(file)) return { path: file };
            return { external: true };
          });
          // Bundled code would see the bundle's __dirname; sources that locate assets beside themselves need their own.
          build.onLoad({ filter: /[\\/]packages[\\/].*\.ts$/ }, (args) => {
            const text = fs.readFileSync(args.path, 'utf8');
            return { contents: text.replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path))), loader: 'ts' };
          });
        },
      },
    ],
  });
  return outfile;
}
