import * as z from '../../domain/zod.ts';
import { ConnectorError } from '../../domain/errors.ts';
import { send, type Transport } from './http.ts';

const tokenSchema = z.lazy(() =>
  z.object({
    access_token: z.string().check(z.minLength(1)),
    token_type: z.string(),
    expires_in: z.number().check(z.int(), z.positive()),
  }),
);

/**
 * The `Authorization` header for Koha: HTTP Basic, or an OAuth2 client-credentials token
 * (`POST /oauth/token`) kept until shortly before `expires_in` runs out, and fetched once however
 * many calls wait for it.
 */
export class KohaAuthorizer {
  private token: { header: string; renewAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly t: Transport) {}

  /** OAuth2 tokens can be renewed after a 401; Basic credentials cannot. */
  get renewable(): boolean {
    return this.t.settings.auth.type === 'oauth2';
  }

  async header(): Promise<string> {
    const auth = this.t.settings.auth;
    if (auth.type === 'basic') return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    if (this.token && this.t.now() < this.token.renewAt) return this.token.header;
    this.pending ??= this.fetchToken(auth.clientId, auth.clientSecret).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The token was refused (revoked, or expired early): the next call fetches a new one. */
  forget(): void {
    this.token = undefined;
  }

  private async fetchToken(clientId: string, clientSecret: string): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    const answer = await send(
      this.t,
      { op: 'tokenOAuth', method: 'POST', path: '/oauth/token' },
      { body: form, headers: { accept: 'application/json' } },
    );
    const parsed = tokenSchema.safeParse(answer.body);
    if (!parsed.success)
      throw new ConnectorError(`system ${this.t.settings.systemId}: tokenOAuth answer is malformed`, 'malformed');
    if (parsed.data.token_type.toLowerCase() !== 'bearer')
      throw new ConnectorError(`system ${this.t.settings.systemId}: tokenOAuth gave a non-bearer token`, 'malformed');
    // Renew a minute early (a tenth of a short lifetime), so a token never expires mid-request.
    const lifetimeMs = parsed.data.expires_in * 1000;
    const header = `Bearer ${parsed.data.access_token}`;
    this.token = { header, renewAt: this.t.now() + lifetimeMs - Math.min(60_000, lifetimeMs / 10) };
    return header;
  }
}
