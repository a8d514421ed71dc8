/**
 * The lab's self-signed certificate for localhost, 127.0.0.1 and ::1, made with `selfsigned`
 * once and cached in the git-ignored .certs/ folder. Its SPKI sha256 (base64) is what Chromium's
 * --ignore-certificate-errors-spki-list takes to trust it.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';

export interface LabCertificate {
  cert: string;
  key: string;
  /** base64 sha256 of the certificate's SubjectPublicKeyInfo. */
  spki: string;
  /** Where cert.pem lives, for NODE_EXTRA_CA_CERTS. */
  certPath: string;
}

export const CERT_DIR = fileURLToPath(new URL('../.certs/', import.meta.url));

export function spkiHash(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

async function readCached(dir: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(`${dir}cert.pem`, 'utf8'), readFile(`${dir}key.pem`, 'utf8')]);
    // Regenerate a week before it expires.
    if (Date.parse(new X509Certificate(cert).validTo) - Date.now() < 7 * 86400_000) return undefined;
    return { cert, key };
  } catch {
    return undefined;
  }
}

/**
 * A fresh self-signed certificate for localhost and 127.0.0.1 (and ::1). `ca: true` marks it as its
 * own CA, so it can be trusted as one (Node's `ca` option, NODE_EXTRA_CA_CERTS).
 */
export async function generateSelfSigned(options: { days: number; ca: boolean }): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + options.days * 86400_000),
    extensions: [
      { name: 'basicConstraints', cA: options.ca },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: options.ca },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function makeCertificate(dir: string): Promise<void> {
  const { cert, key } = await generateSelfSigned({ days: 365, ca: true });
  await writeFile(`${dir}key.pem`, key, { mode: 0o600 });
  await writeFile(`${dir}cert.pem`, cert);
}

/**
 * The cached certificate, made on first use. Servers start in parallel processes, so one of them
 * takes a lock file and makes it while the others wait for it.
 */
export async function labCertificate(dir = CERT_DIR): Promise<LabCertificate> {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 15_000;
  let pair = await readCached(dir);
  while (!pair) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await open(lock, 'wx').catch(() => undefined);
    if (handle) {
      try {
        if (!(await readCached(dir))) await makeCertificate(dir);
      } finally {
        await handle.close();
        await rm(lock, { force: true });
      }
    } else if (Date.now() > deadline) {
      throw new Error(`lab: stale lock ${lock}; delete it and try again`);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    pair = await readCached(dir);
  }
  return { ...pair, spki: spkiHash(pair.cert), certPath: `${dir}cert.pem` };
}
