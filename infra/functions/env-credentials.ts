/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (esbuild `alias`,
 * constructs/service-function.ts). Lambda always gives a function its role's credentials in these
 * environment variables, the first place the SDK's default chain looks; the rest of that chain
 * (shared files, SSO, web identity, container and instance metadata, and the STS, SSO and sign-in
 * clients they carry) is never reached in Lambda, yet took about 135 KB of every bundle and its
 * load time at cold start. The local runtime, tests and scripts keep the SDK's own chain.
 */
export interface EnvCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
  credentialScope?: string;
  accountId?: string;
}

/** The SDK's `fromEnv`, as the default chain's first step reads it. */
export function defaultProvider(): () => Promise<EnvCredentials> {
  return async () => {
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION } = process.env;
    const { AWS_CREDENTIAL_SCOPE, AWS_ACCOUNT_ID } = process.env;
    if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) {
      const error = new Error('Unable to find environment variable credentials.');
      error.name = 'CredentialsProviderError';
      throw error;
    }
    return {
      accessKeyId: AWS_ACCESS_KEY_ID,
      secretAccessKey: AWS_SECRET_ACCESS_KEY,
      ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
      ...(AWS_CREDENTIAL_EXPIRATION ? { expiration: new Date(AWS_CREDENTIAL_EXPIRATION) } : {}),
      ...(AWS_CREDENTIAL_SCOPE ? { credentialScope: AWS_CREDENTIAL_SCOPE } : {}),
      ...(AWS_ACCOUNT_ID ? { accountId: AWS_ACCOUNT_ID } : {}),
    };
  };
}
