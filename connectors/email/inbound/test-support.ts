import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type DKIMSignOptions, dkimSign } from 'mailauth';
import { parseMasterKeys } from '../../core/master-key.ts';
import { type ReplyTokenKeys, replyTokenKeysFrom } from '../message-id.ts';
import type { DnsResolver } from './authenticate.ts';

/** A DKIM key pair made at test time: the PEM private key to sign with and the TXT record to publish. */
export function createDkimKey(): { privateKey: string; record: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  };
}

/**
 * `raw` with a real DKIM signature by `domain`'s key (selector `sb`), made by mailauth's signer.
 * mailauth 4.13.3 reads the keys from `signatureData`, which its typings put elsewhere.
 */
export async function signWithDkim(raw: string, domain: string, privateKey: string): Promise<string> {
  const options = { signatureData: [{ signingDomain: domain, selector: 'sb', privateKey }] };
  const { signatures } = await dkimSign(raw, options as unknown as DKIMSignOptions);
  return signatures + raw;
}

/**
 * A DNS stand-in for mailauth: TXT answers from `records` (`'name TXT'` → strings), anything else
 * ENOTFOUND the way node's resolver fails, and `failing` names that answer ETIMEOUT. Every query is
 * logged in `queries`, so a test can tell what was (not) looked up. Never touches the network.
 */
export function stubResolver(
  records: Record<string, string[]>,
  failing: string[] = [],
): { resolver: DnsResolver; queries: string[] } {
  const queries: string[] = [];
  const resolver: DnsResolver = async (name, rrtype) => {
    const key = `${name.toLowerCase()} ${rrtype}`;
    queries.push(key);
    if (failing.includes(key))
      throw Object.assign(new Error(`queryTxt ETIMEOUT ${name}`), { code: 'ETIMEOUT' });
    const answer = records[key];
    if (!answer) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return answer.map((text) => [text]);
  };
  return { resolver, queries };
}

/** Reply-token keys derived the way the runtime does, from a master key made up for the test. */
export function testReplyTokens(): ReplyTokenKeys {
  return replyTokenKeysFrom(parseMasterKeys(randomBytes(32).toString('base64')));
}
