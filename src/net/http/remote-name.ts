// -O/--remote-name: the file a URL is saved as, as curl names it: the last segment of
// the URL's path, as written (not percent-decoded, so an encoded '/' or NUL stays
// harmless text). A name that would not be a plain file in the current directory is
// refused for that URL. Pure.
import { SockkitError } from '../shared/errors.js';

/** The file name -O saves `url` as; a usage error (exit 2) naming the URL when it has none fit to use. */
export function remoteFileName(url: URL): string {
  const path = url.pathname;
  const name = path.slice(path.lastIndexOf('/') + 1);
  const refuse = (why: string): never => {
    throw new SockkitError('USAGE', `-O ${url.href}`, why, 'give this URL a name with -o FILE');
  };
  if (name === '') refuse(path.endsWith('/') ? "the URL has no file name to save as (its path ends in '/')" : 'the URL has no file name to save as');
  if (name === '.' || name === '..') refuse(`'${name}' is not a file name`);
  if (name.includes('/') || name.includes('\\') || name.includes('\0')) refuse(`'${name}' is not a plain file name`);
  return name;
}
