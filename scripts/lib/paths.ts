/** Where the project lives: every path the commands read or write is built from ROOT. */
import { fileURLToPath } from 'node:url';

/** The project root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/?$/, '/');
