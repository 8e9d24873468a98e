/** The app's version, from package.json (bundled in by esbuild, read directly under tsx). */
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
